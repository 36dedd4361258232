package org.protosw.testkit;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

import org.apache.felix.service.command.CommandProcessor;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.Constants;
import org.osgi.framework.InvalidSyntaxException;
import org.osgi.framework.ServiceReference;
import org.osgi.util.tracker.ServiceTracker;
import org.protosw.socket.Errno;
import org.protosw.socket.NetStack;
import org.protosw.socket.Socket;
import org.protosw.socket.SocketException;

/**
 * A test's view of the running stack, inside the framework: services (waited for), the shell,
 * vnets and epairs made as a user makes them ({@code net:vnet}, {@code net:ifconfig}), and
 * waiting until a protocol is served. {@link #close()} destroys the vnets it made and lets
 * the services go. One per test:
 *
 * <pre>{@code
 * try (Lab lab = new Lab(bundleContext)) {
 *     NetStack b = lab.vnet("b");
 *     lab.epair(NetStack.DEFAULT_VNET, "192.0.2.1/24", "b", "192.0.2.2/24");
 *     lab.awaitServed("b", AF_IB, SOCK_SEQPACKET, 0);
 *     ...
 * }
 * }</pre>
 */
public final class Lab implements AutoCloseable {
    /** What the lab waits for a service or a condition, unless told otherwise. */
    public static final Duration TIMEOUT = Duration.ofSeconds(10);

    private final BundleContext context;
    private final List<ServiceTracker<?, ?>> trackers = new ArrayList<>();
    private final List<String> vnets = new ArrayList<>();

    public Lab(BundleContext context) {
        this.context = context;
    }

    public BundleContext context() {
        return context;
    }

    /** A service of this type matching an LDAP {@code filter} (null: any), waiting up to {@code timeout}. */
    public <T> T service(Class<T> type, String filter, Duration timeout) {
        String objectClass = "(" + Constants.OBJECTCLASS + "=" + type.getName() + ")";
        String full = filter == null ? objectClass : "(&" + objectClass + filter + ")";
        ServiceTracker<T, T> tracker;
        try {
            tracker = new ServiceTracker<>(context, context.createFilter(full), null);
        } catch (InvalidSyntaxException e) {
            throw new IllegalArgumentException("bad service filter " + filter, e);
        }
        tracker.open();
        // open until the lab closes: releasing the service could deactivate a delayed DS
        // component under the test's feet
        synchronized (trackers) {
            trackers.add(tracker);
        }
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

    /** The stack of vnet {@code name} (its NetStack service). */
    public NetStack stack(String name) {
        return service(NetStack.class, "(" + NetStack.VNET_PROPERTY + "=" + name + ")", TIMEOUT);
    }

    /** The names of the vnets that exist now. */
    public List<String> vnets() {
        List<String> names = new ArrayList<>();
        try {
            ServiceReference<?>[] refs = context.getServiceReferences(NetStack.class.getName(), null);
            for (ServiceReference<?> r : refs == null ? new ServiceReference<?>[0] : refs) {
                names.add(String.valueOf(r.getProperty(NetStack.VNET_PROPERTY)));
            }
        } catch (InvalidSyntaxException e) {
            throw new IllegalStateException(e);
        }
        return names;
    }

    /** The shell, as a user types into it. */
    public Shell shell() {
        return new Shell(service(CommandProcessor.class, null, TIMEOUT));
    }

    /** Makes vnet {@code name} ({@code net:vnet create}); {@link #close()} destroys it. */
    public NetStack vnet(String name) throws Exception {
        shell().run("net:vnet create " + name);
        vnets.add(name);
        return stack(name);
    }

    /**
     * Makes an epair ({@code net:ifconfig epair create}), moves each end to its vnet and gives
     * it an address ({@code 192.0.2.1/24}) and brings it up.
     */
    public Epair epair(String vnetA, String cidrA, String vnetB, String cidrB) throws Exception {
        Shell sh = shell();
        String a = sh.run("net:ifconfig epair create").strip();
        if (!a.matches("epair\\d+a")) {
            throw new AssertionError("net:ifconfig epair create printed '" + a + "'");
        }
        String b = a.substring(0, a.length() - 1) + "b";
        if (!vnetA.equals(NetStack.DEFAULT_VNET)) {
            sh.run("net:ifconfig " + a + " vnet " + vnetA);
        }
        if (!vnetB.equals(NetStack.DEFAULT_VNET)) {
            sh.run("net:ifconfig " + b + " vnet " + vnetB);
        }
        sh.run("net:ifconfig -j " + vnetA + " " + a + " inet " + cidrA + " up");
        sh.run("net:ifconfig -j " + vnetB + " " + b + " inet " + cidrB + " up");
        return new Epair(a, vnetA, cidrA.split("/")[0], b, vnetB, cidrB.split("/")[0]);
    }

    /**
     * Waits until vnet {@code vnet} serves (family, type, protocol): a socket of it can be made
     * (no EAFNOSUPPORT, ESOCKTNOSUPPORT or EPROTONOSUPPORT while a bundle and its components come up).
     */
    public void awaitServed(String vnet, int family, int type, int protocol) {
        NetStack stack = stack(vnet);
        SocketException[] last = new SocketException[1];
        try {
            Await.until("vnet " + vnet + " to serve (" + family + ", " + type + ", " + protocol + ")", TIMEOUT, () -> {
                try (Socket s = stack.socket(family, type, protocol)) {
                    return true;
                } catch (SocketException e) {
                    if (e.errno() != Errno.EAFNOSUPPORT && e.errno() != Errno.ESOCKTNOSUPPORT && e.errno() != Errno.EPROTONOSUPPORT) {
                        throw new AssertionError("socket(" + family + ", " + type + ", " + protocol + ") in " + vnet + ": " + e, e);
                    }
                    last[0] = e;
                    return false;
                }
            });
        } catch (AssertionError e) {
            if (last[0] != null && e.getCause() == null) {
                e.initCause(last[0]);
            }
            throw e;
        }
    }

    /** The bundle with this symbolic name, if installed. */
    public Optional<Bundle> bundle(String symbolicName) {
        for (Bundle bundle : context.getBundles()) {
            if (symbolicName.equals(bundle.getSymbolicName())) {
                return Optional.of(bundle);
            }
        }
        return Optional.empty();
    }

    /** The bundle with this symbolic name; fails the test when it is not installed. */
    public Bundle requireBundle(String symbolicName) {
        return bundle(symbolicName).orElseThrow(() -> new AssertionError("bundle " + symbolicName + " is not installed"));
    }

    /** Destroys the vnets the lab made (the last first) and lets the services go. */
    @Override
    public void close() {
        try {
            Shell sh = vnets.isEmpty() ? null : shell();
            for (int i = vnets.size() - 1; i >= 0; i--) {
                try {
                    sh.run("net:vnet destroy " + vnets.get(i));
                } catch (Exception e) {
                    // the test's own failure matters more; a vnet left goes with the framework
                }
            }
            vnets.clear();
        } finally {
            synchronized (trackers) {
                trackers.forEach(ServiceTracker::close);
                trackers.clear();
            }
        }
    }
}
