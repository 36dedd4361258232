package org.protosw.testkit;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.CodeSource;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.jar.JarFile;
import java.util.jar.Manifest;

/**
 * The bundle jars on the test class path, by symbolic name, and the rule that keeps a test on
 * what its own build made: a SNAPSHOT jar from the local Maven repository is refused. Such a
 * jar was put there by some other build (an old {@code mvn install}, another checkout), so a
 * test on it would pass or fail for code that is not the code being built. In a reactor build
 * (the module and what it needs, {@code -am}) Maven hands the test the jars the same run
 * packaged in each module's {@code target/}; released versions from the repository are fine.
 */
final class BundleJars {
    private final Map<String, Path> bySymbolicName = new LinkedHashMap<>();

    private BundleJars() {
    }

    /** The jars of the test class path (failsafe's, which holds the resolved test dependencies). */
    static BundleJars ofClassPath() {
        String cp = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path", ""));
        BundleJars jars = new BundleJars();
        for (String entry : cp.split(File.pathSeparator)) {
            Path p = Path.of(entry);
            if (entry.endsWith(".jar") && Files.isRegularFile(p)) {
                String bsn = symbolicName(p);
                if (bsn != null) {
                    jars.bySymbolicName.putIfAbsent(bsn, p);
                }
            }
        }
        return jars;
    }

    /** The jar of bundle {@code symbolicName}; fails naming what the class path holds instead. */
    Path require(String symbolicName) {
        Path jar = bySymbolicName.get(symbolicName);
        if (jar == null) {
            throw new IllegalStateException("no jar of bundle " + symbolicName + " on the test class path: add its artifact as a"
                    + " test dependency (bundles found: " + bySymbolicName.keySet() + ")");
        }
        return checkedFresh(jar);
    }

    /** The jar holding {@code type}: the kit's own bundle, say. */
    static Path jarOf(Class<?> type) {
        CodeSource source = type.getProtectionDomain().getCodeSource();
        try {
            Path p = Path.of(source.getLocation().toURI());
            if (!Files.isRegularFile(p)) {
                throw new IllegalStateException(type.getName() + " comes from " + p + ", not a jar: the kit's options install the"
                        + " kit's bundle, so run the tests in the integration-test phase (mvn verify), after the kit was packaged");
            }
            return checkedFresh(p);
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    /** {@code jar} itself, unless it is a SNAPSHOT some other build left in the local repository. */
    static Path checkedFresh(Path jar) {
        Path abs = jar.toAbsolutePath().normalize();
        if (abs.getFileName().toString().contains("SNAPSHOT") && inLocalRepository(abs)) {
            throw new IllegalStateException(abs + " is a SNAPSHOT from the local Maven repository, not the jar this build made:"
                    + " build the module together with the modules it tests (mvn -pl <module> -am verify), so the reactor's jars"
                    + " in their target/ folders are used");
        }
        return abs;
    }

    private static boolean inLocalRepository(Path abs) {
        for (String prop : new String[] {"org.ops4j.pax.url.mvn.localRepository", "maven.repo.local"}) {
            String repo = System.getProperty(prop);
            if (repo != null && !repo.isBlank() && abs.startsWith(Path.of(repo).toAbsolutePath().normalize())) {
                return true;
            }
        }
        return abs.startsWith(Path.of(System.getProperty("user.home"), ".m2", "repository").toAbsolutePath().normalize())
                || abs.toString().contains(File.separator + ".m2" + File.separator + "repository" + File.separator);
    }

    static String symbolicName(Path jar) {
        try (JarFile file = new JarFile(jar.toFile())) {
            Manifest m = file.getManifest();
            String name = m == null ? null : m.getMainAttributes().getValue("Bundle-SymbolicName");
            return name == null ? null : name.split(";", 2)[0].strip();
        } catch (IOException e) {
            throw new UncheckedIOException("reading the manifest of " + jar, e);
        }
    }

    /** The Export-Package header of the jar holding {@code marker}, or null. */
    static String exportsOf(Class<?> marker) {
        CodeSource source = marker.getProtectionDomain().getCodeSource();
        if (source == null || source.getLocation() == null) {
            return null;
        }
        try (JarFile jar = new JarFile(Path.of(source.getLocation().toURI()).toFile())) {
            Manifest m = jar.getManifest();
            return m == null ? null : m.getMainAttributes().getValue("Export-Package");
        } catch (IOException | URISyntaxException | IllegalArgumentException e) {
            return null;
        }
    }
}
