package org.protosw.launcher;

import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.CodeSource;
import java.util.Map;
import java.util.Properties;

/**
 * The folders of an installation. {@code home} is the unpacked distribution; {@code data}
 * (framework cache, logs) defaults to {@code home/data} and moves with {@code -Dprotosw.data}
 * or {@code PROTOSW_DATA}, so a read-only installation or a test can keep its state elsewhere.
 */
record Layout(Path home, Path data) {

    static final String HOME_PROPERTY = "protosw.home";
    static final String DATA_PROPERTY = "protosw.data";
    static final String DATA_ENV = "PROTOSW_DATA";

    Path bundle() {
        return home.resolve("bundle");
    }

    Path deploy() {
        return home.resolve("deploy");
    }

    Path etc() {
        return home.resolve("etc");
    }

    Path lib() {
        return home.resolve("lib");
    }

    Path cache() {
        return data.resolve("cache");
    }

    Path log() {
        return data.resolve("log");
    }

    /**
     * Finds the installation: {@code protosw.home} (set by bin/protosw), else the folder above
     * the lib/ folder holding the launcher jar.
     */
    static Layout locate(Properties system, Map<String, String> env) throws IOException {
        String homeProperty = system.getProperty(HOME_PROPERTY);
        Path home = homeProperty != null && !homeProperty.isBlank()
                ? Path.of(homeProperty)
                : homeFromLauncherJar();
        if (!Files.isDirectory(home.resolve("bundle"))) {
            throw new IOException(home + " is not a protosw installation (it has no bundle/ folder)");
        }
        home = home.toRealPath();
        String dataSetting = system.getProperty(DATA_PROPERTY);
        if (dataSetting == null || dataSetting.isBlank()) {
            dataSetting = env.get(DATA_ENV);
        }
        Path data = dataSetting == null || dataSetting.isBlank()
                ? home.resolve("data")
                : Path.of(dataSetting).toAbsolutePath();
        Files.createDirectories(data);
        return new Layout(home, data.toRealPath());
    }

    private static Path homeFromLauncherJar() throws IOException {
        CodeSource source = Layout.class.getProtectionDomain().getCodeSource();
        if (source == null || source.getLocation() == null) {
            throw new IOException("cannot tell where protosw is installed; set -D" + HOME_PROPERTY);
        }
        Path jar;
        try {
            jar = Path.of(source.getLocation().toURI());
        } catch (URISyntaxException | IllegalArgumentException e) {
            throw new IOException("cannot tell where protosw is installed from " + source.getLocation()
                    + "; set -D" + HOME_PROPERTY, e);
        }
        Path lib = jar.toAbsolutePath().getParent();
        if (lib == null || lib.getParent() == null) {
            throw new IOException("cannot tell where protosw is installed from " + jar + "; set -D" + HOME_PROPERTY);
        }
        return lib.getParent();
    }
}
