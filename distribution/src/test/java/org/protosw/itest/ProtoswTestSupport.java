package org.protosw.itest;

import static org.ops4j.pax.exam.CoreOptions.cleanCaches;
import static org.ops4j.pax.exam.CoreOptions.frameworkProperty;
import static org.ops4j.pax.exam.CoreOptions.junitBundles;
import static org.ops4j.pax.exam.CoreOptions.systemPackages;
import static org.ops4j.pax.exam.CoreOptions.systemTimeout;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.function.BooleanSupplier;
import java.util.jar.JarFile;
import java.util.stream.Stream;
import javax.inject.Inject;
import org.junit.After;
import org.ops4j.pax.exam.Configuration;
import org.ops4j.pax.exam.CoreOptions;
import org.ops4j.pax.exam.Option;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.Constants;
import org.osgi.framework.InvalidSyntaxException;
import org.osgi.util.tracker.ServiceTracker;
import org.protosw.launcher.SystemPackages;
import org.protosw.testkit.Await;
import org.protosw.testkit.ProtoswOptions;

/**
 * Base of the pax-exam integration tests: a Felix framework (the version of the root pom,
 * from the test class path) running the bundles of the assembled distribution, provisioned by
 * {@code file:} URL from {@code target/protosw/bundle} and {@code target/protosw/deploy} so the
 * tests always run what this build produced, never a copy from a Maven repository.
 *
 * <p>slf4j and logback come from the class path and are exported by the system bundle, as the
 * launcher does; the log goes to {@code target/itest/itest.log}. (The launcher's OSGi log
 * service is not there: SCR's errors show on the test's console.) FileInstall watches
 * {@link #hotDeployFolder()}: copy a jar there to load it the way deploy/ does.
 *
 * <p>Subclasses are {@code @RunWith(PaxExam.class)} tests named {@code *IT}, run by failsafe
 * after the package phase. The shell and the waiting are the test kit's ({@code protosw-testkit},
 * installed beside the runtime's bundles), which a protocol bundle's own tests use to bring
 * up the stack.
 */
public abstract class ProtoswTestSupport {

    /** What tests wait for a service or a condition, unless they say otherwise. */
    protected static final Duration TIMEOUT = Duration.ofSeconds(10);

    /** Needs a terminal; the tests have none. */
    private static final String TERMINAL_SHELL = "org.apache.felix.gogo.jline";

    @Inject
    protected BundleContext bundleContext;

    private final List<ServiceTracker<?, ?>> trackers = new ArrayList<>();

    @Configuration
    public Option[] configuration() {
        Path dist = distribution();
        List<Option> options = new ArrayList<>();
        options.add(systemPackages(systemPackagesOfTheLauncher()));
        options.add(cleanCaches(true));
        options.add(systemTimeout(60_000));
        options.add(frameworkProperty("felix.fileinstall.dir").value(hotDeployFolder().toString()));
        options.add(frameworkProperty("felix.fileinstall.filter").value(".*\\.(jar|cfg)"));
        options.add(frameworkProperty("felix.fileinstall.noInitialDelay").value("true"));
        options.add(frameworkProperty("felix.fileinstall.poll").value("500"));
        options.add(frameworkProperty("felix.fileinstall.log.default").value("jul"));
        options.add(frameworkProperty("felix.fileinstall.enableConfigSave").value("false"));
        for (Path jar : systemBundles(dist.resolve("bundle"))) {
            options.add(CoreOptions.bundle(jar.toUri().toString()).start());
        }
        for (Path jar : jars(dist.resolve("deploy"))) {
            options.add(CoreOptions.bundle(jar.toUri().toString()).start());
        }
        // the test kit (Shell, Await, ...) as a bundle, from this build's testkit/target
        options.add(ProtoswOptions.kit());
        options.add(junitBundles());
        return options.toArray(Option[]::new);
    }

    /** The assembled runtime folder, {@code target/protosw}. */
    protected static Path distribution() {
        String dist = System.getProperty("protosw.dist");
        if (dist == null) {
            throw new IllegalStateException("protosw.dist is not set: run the integration tests with 'mvn verify'");
        }
        Path folder = Path.of(dist);
        if (!Files.isDirectory(folder.resolve("bundle"))) {
            throw new IllegalStateException(folder + " has no bundle/ folder: the distribution is not assembled");
        }
        return folder;
    }

    /** Scratch space of the integration tests, {@code target/itest}. */
    protected static Path itestFolder() {
        Path folder = Path.of(System.getProperty("protosw.itest.dir", "target/itest")).toAbsolutePath();
        try {
            Files.createDirectories(folder);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return folder;
    }

    /** The folder FileInstall watches in the test framework (empty at start). */
    protected static Path hotDeployFolder() {
        Path folder = itestFolder().resolve("hot-deploy");
        try {
            Files.createDirectories(folder);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return folder;
    }

    /** The log file the tests' logback writes (see logback-test.xml). */
    protected static Path logFile() {
        return itestFolder().resolve("itest.log");
    }

    /** The bundle with this symbolic name, if installed. */
    protected Optional<Bundle> bundle(String symbolicName) {
        for (Bundle bundle : bundleContext.getBundles()) {
            if (symbolicName.equals(bundle.getSymbolicName())) {
                return Optional.of(bundle);
            }
        }
        return Optional.empty();
    }

    /** The bundle with this symbolic name; fails the test when it is not installed. */
    protected Bundle requireBundle(String symbolicName) {
        return bundle(symbolicName)
                .orElseThrow(() -> new AssertionError("bundle " + symbolicName + " is not installed"));
    }

    /**
     * Sets the rights configuration ({@code org.protosw.priv}, as etc/org.protosw.priv.cfg
     * does): the installation's defaults, plus this test's probe bundle for each right named.
     * Applied asynchronously: wait for what it allows.
     */
    protected void grantProbe(String... rights) throws java.io.IOException {
        org.osgi.service.cm.ConfigurationAdmin cm = service(org.osgi.service.cm.ConfigurationAdmin.class, TIMEOUT);
        org.osgi.service.cm.Configuration c = cm.getConfiguration("org.protosw.priv", "?");
        java.util.Dictionary<String, Object> props = new java.util.Hashtable<>();
        props.put("raw", "");
        props.put("divert", "org.protosw.divert");
        props.put("pfil", "org.protosw.divert, org.protosw.ib.demo");
        String probe = bundleContext.getBundle().getSymbolicName();
        for (String right : rights) {
            props.put(right, props.get(right) + ", " + probe);
        }
        c.update(props);
    }

    /** A service of this type, waiting up to {@code timeout} for it; fails the test when none comes. */
    protected <T> T service(Class<T> type, Duration timeout) {
        return service(type, null, timeout);
    }

    /**
     * A service of this type matching an LDAP {@code filter} (null: any), waiting up to
     * {@code timeout}; fails the test when none comes.
     */
    protected <T> T service(Class<T> type, String filter, Duration timeout) {
        String objectClass = "(" + Constants.OBJECTCLASS + "=" + type.getName() + ")";
        String full = filter == null ? objectClass : "(&" + objectClass + filter + ")";
        ServiceTracker<T, T> tracker;
        try {
            tracker = new ServiceTracker<>(bundleContext, bundleContext.createFilter(full), null);
        } catch (InvalidSyntaxException e) {
            throw new IllegalArgumentException("bad service filter " + filter, e);
        }
        tracker.open();
        // kept open until the test ends: releasing the service could deactivate a delayed DS
        // component under the test's feet
        trackers.add(tracker);
        try {
            T service = tracker.waitForService(timeout.toMillis());
            if (service == null) {
                throw new AssertionError("no service " + full + " within " + timeout.toMillis() + " ms");
            }
            return service;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted while waiting for service " + full, e);
        }
    }

    @After
    public void releaseServices() {
        trackers.forEach(ServiceTracker::close);
        trackers.clear();
    }

    /** Waits until {@code condition} holds, polling; fails the test naming {@code what} after {@code timeout}. */
    protected static void waitFor(String what, Duration timeout, BooleanSupplier condition) {
        Await.until(what, timeout, condition);
    }

    /** Vnet b, joined to the default one by an epair: 192.0.2.1 here, 192.0.2.2 there (RFC 5737). */
    protected static void linkVnetB(GogoShell sh) throws Exception {
        sh.run("net:vnet create b");
        String pair = sh.run("net:ifconfig epair create").trim();
        if (!pair.matches("epair\\d+a")) {
            throw new AssertionError("net:ifconfig epair create printed '" + pair + "'");
        }
        String b = pair.substring(0, pair.length() - 1) + "b";
        sh.run("net:ifconfig " + b + " vnet b");
        sh.run("net:ifconfig " + pair + " inet 192.0.2.1/24 up");
        sh.run("net:ifconfig -j b " + b + " inet 192.0.2.2/24 up");
    }

    /** The system bundles in the order the launcher starts them: Config Admin, SCR, Gogo, the rest. */
    private static List<Path> systemBundles(Path folder) {
        return jars(folder).stream()
                .filter(jar -> !TERMINAL_SHELL.equals(symbolicName(jar)))
                .sorted(Comparator.comparingInt((Path jar) -> rank(symbolicName(jar))).thenComparing(Path::toString))
                .toList();
    }

    private static int rank(String symbolicName) {
        return switch (symbolicName == null ? "" : symbolicName) {
            case "org.apache.felix.configadmin" -> 1;
            case "org.apache.felix.scr" -> 2;
            case "org.apache.felix.gogo.runtime", "org.apache.felix.gogo.command" -> 3;
            case "org.apache.felix.fileinstall" -> 9;
            default -> 5;
        };
    }

    private static List<Path> jars(Path folder) {
        try (Stream<Path> files = Files.list(folder)) {
            return files.filter(f -> f.getFileName().toString().endsWith(".jar")).sorted().toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static String symbolicName(Path jar) {
        try (JarFile file = new JarFile(jar.toFile())) {
            String name = file.getManifest() == null ? null
                    : file.getManifest().getMainAttributes().getValue(Constants.BUNDLE_SYMBOLICNAME);
            return name == null ? null : name.split(";", 2)[0].strip();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Exactly what the launcher's system bundle exports: slf4j (2.x, and 1.7 for older importers), OSGi log. */
    private static String systemPackagesOfTheLauncher() {
        return SystemPackages.extra();
    }
}
