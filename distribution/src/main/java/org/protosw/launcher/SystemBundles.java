package org.protosw.launcher;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.jar.JarFile;
import java.util.jar.Manifest;
import java.util.stream.Stream;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.BundleException;
import org.osgi.framework.Constants;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Installs every jar of bundle/ and starts them in an order that needs no start levels:
 * Config Admin and SCR first (so components find their configuration and the DS runtime
 * when their bundle starts), then the rest, FileInstall last (so etc/*.cfg and the protocol
 * bundles of deploy/ arrive once the core is up). A bundle that fails is logged with its stack
 * trace, reported on stderr in one line, and the others still start.
 */
final class SystemBundles {

    /** The Gogo terminal shell: started only in interactive mode, and only once ready. */
    static final String SHELL = "org.apache.felix.gogo.jline";
    static final String FILEINSTALL = "org.apache.felix.fileinstall";

    private static final Logger LOG = LoggerFactory.getLogger(SystemBundles.class);

    private final BundleContext context;
    private final Console console;
    private final List<Bundle> installed = new ArrayList<>();

    SystemBundles(BundleContext context, Console console) {
        this.context = context;
        this.console = console;
    }

    /**
     * Installs the jars of {@code folder} (without the terminal shell unless {@code withShell}:
     * headless it cannot run, and an idle copy would only confuse {@code lb}).
     */
    void install(Path folder, boolean withShell) throws IOException {
        List<Path> jars;
        try (Stream<Path> files = Files.list(folder)) {
            jars = files.filter(f -> f.getFileName().toString().endsWith(".jar")).sorted().toList();
        }
        for (Path jar : jars) {
            if (!withShell && SHELL.equals(symbolicName(jar))) {
                continue;
            }
            String location = jar.toFile().toURI().toString();
            try {
                Bundle bundle = context.installBundle(location);
                installed.add(bundle);
                LOG.info("installed {} {} from {}", bundle.getSymbolicName(), bundle.getVersion(), jar);
            } catch (BundleException e) {
                LOG.error("cannot install {}", jar, e);
                console.report("cannot install " + folder.getFileName() + "/" + jar.getFileName() + ": "
                        + ErrorLines.message(e));
            }
        }
    }

    /** Starts the installed bundles, except the shell, in dependency order. */
    void startAll() {
        installed.stream()
                .filter(b -> !SHELL.equals(b.getSymbolicName()))
                .sorted(Comparator.comparingInt((Bundle b) -> rank(b.getSymbolicName())).thenComparing(Bundle::getBundleId))
                .forEach(this::start);
    }

    Optional<Bundle> shell() {
        return installed.stream().filter(b -> SHELL.equals(b.getSymbolicName())).findFirst();
    }

    /** Starts one bundle; false (after logging and telling the user) when it does not start. */
    boolean start(Bundle bundle) {
        if (bundle.getHeaders().get(Constants.FRAGMENT_HOST) != null) {
            return true;
        }
        try {
            bundle.start();
            return true;
        } catch (BundleException | RuntimeException e) {
            LOG.error("bundle {} ({}) did not start", bundle.getSymbolicName(), bundle.getLocation(), e);
            console.report("bundle " + bundle.getSymbolicName() + " did not start: " + ErrorLines.message(e)
                    + " (details in the log)");
            return false;
        }
    }

    /** The jar's Bundle-SymbolicName without directives, or null when it has none or is unreadable. */
    static String symbolicName(Path jar) {
        try (JarFile file = new JarFile(jar.toFile())) {
            Manifest manifest = file.getManifest();
            String name = manifest == null ? null : manifest.getMainAttributes().getValue(Constants.BUNDLE_SYMBOLICNAME);
            return name == null ? null : name.split(";", 2)[0].strip();
        } catch (IOException e) {
            return null;
        }
    }

    private static int rank(String symbolicName) {
        if (symbolicName == null) {
            return 5;
        }
        return switch (symbolicName) {
            case "org.apache.felix.configadmin" -> 1;
            case "org.apache.felix.scr" -> 2;
            case "org.apache.felix.gogo.runtime", "org.apache.felix.gogo.command" -> 3;
            case FILEINSTALL -> 9;
            default -> 5;
        };
    }
}
