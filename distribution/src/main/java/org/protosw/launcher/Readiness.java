package org.protosw.launcher;

import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.BundleEvent;
import org.osgi.framework.BundleListener;
import org.osgi.framework.Constants;
import org.osgi.framework.FrameworkEvent;
import org.osgi.framework.FrameworkListener;
import org.osgi.framework.ServiceEvent;
import org.osgi.framework.ServiceListener;

/**
 * Tells when the runtime is ready for commands: every jar that was in deploy/ at start is
 * installed by FileInstall and ACTIVE (or definitely failed: FileInstall reported it), and then
 * nothing has happened (no bundle, service or framework event) for a quiet period, so the DS
 * components those bundles bring have registered their services.
 */
final class Readiness implements BundleListener, ServiceListener, FrameworkListener {

    static final Duration QUIET = Duration.ofMillis(300);
    static final Duration CAP = Duration.ofSeconds(30);
    private static final long POLL_MILLIS = 25;

    private final BundleContext context;
    private final DeployFailures failures;
    private volatile long lastEventNanos = System.nanoTime();

    Readiness(BundleContext context, DeployFailures failures) {
        this.context = context;
        this.failures = failures;
    }

    /** Starts listening; call before the bundles are started so no event is missed. */
    void open() {
        context.addBundleListener(this);
        context.addServiceListener(this);
        context.addFrameworkListener(this);
    }

    void close() {
        try {
            context.removeBundleListener(this);
            context.removeServiceListener(this);
            context.removeFrameworkListener(this);
        } catch (IllegalStateException stopped) {
            // the framework is already gone, and the listeners with it
        }
    }

    /** The jars of deploy/ now: those are the ones to wait for. */
    static List<Path> deployJars(Path deploy) throws IOException {
        if (!Files.isDirectory(deploy)) {
            return List.of();
        }
        try (Stream<Path> files = Files.list(deploy)) {
            return files.filter(f -> f.getFileName().toString().endsWith(".jar")).sorted().toList();
        }
    }

    /**
     * Waits until ready or until {@code cap} elapsed.
     *
     * @return the jars still pending when the cap was hit; empty when ready in time
     */
    List<Path> await(List<Path> jars, Duration quiet, Duration cap) throws InterruptedException {
        long deadline = System.nanoTime() + cap.toNanos();
        List<Path> pending = pending(jars);
        while (System.nanoTime() - deadline < 0) {
            pending = pending(jars);
            if (pending.isEmpty() && System.nanoTime() - lastEventNanos >= quiet.toNanos()) {
                return List.of();
            }
            Thread.sleep(POLL_MILLIS);
        }
        return pending;
    }

    private List<Path> pending(List<Path> jars) {
        List<Path> pending = new ArrayList<>();
        Bundle[] bundles = context.getBundles();
        for (Path jar : jars) {
            if (!settled(jar, bundles)) {
                pending.add(jar);
            }
        }
        return pending;
    }

    private boolean settled(Path jar, Bundle[] bundles) {
        if (failures.mentions(jar)) {
            return true;
        }
        for (Bundle bundle : bundles) {
            if (jar.equals(pathOf(bundle))) {
                int state = bundle.getState();
                boolean fragment = bundle.getHeaders().get(Constants.FRAGMENT_HOST) != null;
                return state == Bundle.ACTIVE || (fragment && state == Bundle.RESOLVED);
            }
        }
        return false;
    }

    private static Path pathOf(Bundle bundle) {
        String location = bundle.getLocation();
        if (location == null || !location.startsWith("file:")) {
            return null;
        }
        try {
            return Path.of(URI.create(location)).toAbsolutePath().normalize();
        } catch (IllegalArgumentException e) {
            return null;
        }
    }

    private void touch() {
        lastEventNanos = System.nanoTime();
    }

    @Override
    public void bundleChanged(BundleEvent event) {
        touch();
    }

    @Override
    public void serviceChanged(ServiceEvent event) {
        touch();
    }

    @Override
    public void frameworkEvent(FrameworkEvent event) {
        touch();
    }
}
