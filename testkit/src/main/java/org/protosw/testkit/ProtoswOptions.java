package org.protosw.testkit;

import static org.ops4j.pax.exam.CoreOptions.cleanCaches;
import static org.ops4j.pax.exam.CoreOptions.junitBundles;
import static org.ops4j.pax.exam.CoreOptions.systemPackages;
import static org.ops4j.pax.exam.CoreOptions.systemTimeout;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import org.ops4j.pax.exam.CoreOptions;
import org.ops4j.pax.exam.Option;

/**
 * The pax-exam options of a protocol bundle's test: Felix (the native container), Config
 * Admin, SCR with the OSGi bundles it needs, Gogo's runtime and commands (no terminal shell),
 * slf4j exported by the system bundle with logback behind it as the launcher does, the core,
 * this kit, the protocol bundles asked for, and the bundle under test, each started in that
 * order. Called from the test's {@code @Configuration} method, outside the framework:
 *
 * <pre>{@code
 * @Configuration
 * public Option[] config() {
 *     return ProtoswOptions.stack().protocols("org.protosw.udp").bundleUnderTest().build();
 * }
 * }</pre>
 *
 * <p>Every jar comes from the test class path by {@code file:} URL (a protocol bundle needs
 * its artifact as a test dependency), never through a Maven repository lookup, and a SNAPSHOT
 * jar found in the local repository is refused (see {@link BundleJars}): in a reactor build
 * the test runs on the jars the same run packaged. The bundle under test is the jar named by
 * the system property {@value #BUNDLE_UNDER_TEST} (failsafe:
 * {@code ${project.build.directory}/${project.build.finalName}.jar}). pax-exam's own bundles
 * (probe support, JUnit) are released artifacts it resolves through pax-url from the local
 * repository; set {@code org.ops4j.pax.url.mvn.offline=true} for an offline build.
 */
public final class ProtoswOptions {
    /** System property naming the jar of the bundle under test. */
    public static final String BUNDLE_UNDER_TEST = "protosw.testkit.bundleUnderTest";

    /** The stack's system bundles, in the launcher's start order. */
    private static final List<String> SYSTEM_BUNDLES = List.of("org.apache.felix.configadmin", "org.osgi.util.function",
            "org.osgi.util.promise", "org.osgi.service.component", "org.apache.felix.scr", "org.apache.felix.gogo.runtime",
            "org.apache.felix.gogo.command", "org.protosw.framework");

    private final List<String> protocols = new ArrayList<>();
    private final List<Path> bundles = new ArrayList<>();
    private final List<Option> more = new ArrayList<>();
    private boolean underTest;

    private ProtoswOptions() {
    }

    /** The stack without protocol bundles. */
    public static ProtoswOptions stack() {
        return new ProtoswOptions();
    }

    /** Protocol (or other) bundles of the class path, by symbolic name, started after the core. */
    public ProtoswOptions protocols(String... symbolicNames) {
        protocols.addAll(List.of(symbolicNames));
        return this;
    }

    /** The jar named by {@value #BUNDLE_UNDER_TEST}, started last. */
    public ProtoswOptions bundleUnderTest() {
        underTest = true;
        return this;
    }

    /** A bundle jar of the author's, started after the protocols. */
    public ProtoswOptions bundle(Path jar) {
        bundles.add(BundleJars.checkedFresh(jar));
        return this;
    }

    /** More pax-exam options (framework properties, say). */
    public ProtoswOptions with(Option... options) {
        more.addAll(List.of(options));
        return this;
    }

    public Option[] build() {
        BundleJars jars = BundleJars.ofClassPath();
        List<Option> options = new ArrayList<>();
        options.add(systemPackages(systemPackagesOfTheLauncher()));
        options.add(cleanCaches(true));
        options.add(systemTimeout(60_000));
        for (String bsn : SYSTEM_BUNDLES) {
            options.add(start(jars.require(bsn)));
        }
        options.add(kit());
        for (String bsn : protocols) {
            options.add(start(jars.require(bsn)));
        }
        for (Path jar : bundles) {
            options.add(start(jar));
        }
        if (underTest) {
            options.add(start(bundleUnderTestJar()));
        }
        options.add(junitBundles());
        options.addAll(more);
        return options.toArray(Option[]::new);
    }

    /** This kit's bundle, for tests that bring up the stack their own way (the distribution's). */
    public static Option kit() {
        return start(BundleJars.jarOf(ProtoswOptions.class));
    }

    /**
     * What the launcher's system bundle exports from its class path: slf4j (its jar's own
     * Export-Package, which offers 2.x and 1.7), and the OSGi log API when it is on the class
     * path.
     */
    public static String systemPackagesOfTheLauncher() {
        List<String> exports = new ArrayList<>();
        exports.add(exportsOrVersion("org.slf4j.LoggerFactory", "org.slf4j", "org.slf4j.spi", "org.slf4j.event", "org.slf4j.helpers"));
        String log = exportsOrVersion("org.osgi.service.log.LogService", "org.osgi.service.log");
        if (log != null) {
            exports.add(log);
        }
        exports.removeIf(e -> e == null);
        return String.join(",", exports);
    }

    private static String exportsOrVersion(String marker, String... packages) {
        Class<?> type;
        try {
            type = Class.forName(marker, false, ProtoswOptions.class.getClassLoader());
        } catch (ClassNotFoundException e) {
            return null;
        }
        String header = BundleJars.exportsOf(type);
        if (header != null && !header.isBlank()) {
            return header;
        }
        String version = type.getPackage().getImplementationVersion();
        List<String> clauses = new ArrayList<>();
        for (String name : packages) {
            clauses.add(name + (version == null ? "" : ";version=" + version));
        }
        return String.join(",", clauses);
    }

    private static Path bundleUnderTestJar() {
        String value = System.getProperty(BUNDLE_UNDER_TEST);
        if (value == null || value.isBlank()) {
            throw new IllegalStateException(BUNDLE_UNDER_TEST + " is not set: give failsafe the system property "
                    + BUNDLE_UNDER_TEST + "=${project.build.directory}/${project.build.finalName}.jar");
        }
        Path jar = Path.of(value);
        if (!Files.isRegularFile(jar)) {
            throw new IllegalStateException(BUNDLE_UNDER_TEST + "=" + value + " is not a file: run the tests with mvn verify"
                    + " (the integration-test phase comes after package)");
        }
        return BundleJars.checkedFresh(jar);
    }

    private static Option start(Path jar) {
        return CoreOptions.bundle(jar.toUri().toString()).start();
    }
}
