package org.protosw.tcp.internal;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;

import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.Constants;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Modified;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;
import org.osgi.service.component.annotations.ReferencePolicyOption;
import org.protosw.spi.InPcb;
import org.protosw.tcp.cc.CongestionControl;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The congestion control algorithms TCP may use ({@code cc_list} of FreeBSD's
 * {@code cc.c}): a whiteboard of {@link CongestionControl} services named by their
 * {@value CongestionControl#NAME_PROPERTY} property, and the default for new connections.
 *
 * <p><b>The default.</b> FreeBSD's {@code net.inet.tcp.cc.algorithm} sysctl holds a name;
 * protosw's sysctls hold integers, so the name lives in Configuration Admin instead (PID
 * {@value #PID}, property {@value #PROP_ALGORITHM}, default {@code cubic}), set with
 * {@code tcp:cc set default NAME}. It is one choice for every stack instance. Until the
 * configured algorithm has registered, and while it is away, new connections use NewReno.
 *
 * <p><b>Algorithms leaving.</b> A service cannot refuse to go away, so when one does, its
 * connections are moved to the default (keeping their window); when the default itself goes,
 * the default becomes NewReno first, with a warning, and returns to the configured name when
 * that algorithm registers again. Where a refusal is possible it is made: {@code tcp:cc
 * unload} does not unload the default (nor NewReno). NewReno cannot disappear: besides its
 * service this class keeps an instance of its own, used whenever no {@code newreno} service
 * is registered.
 *
 * <p>Lookups ({@link #lookup}, {@link #defaultAlgo}) take no lock: connections call them
 * under their own lock, which changes here take after this object's monitor.
 */
@Component(service = CcRegistry.class, configurationPid = CcRegistry.PID)
public final class CcRegistry {
    private static final Logger LOG = LoggerFactory.getLogger(CcRegistry.class);

    static final String PID = "org.protosw.tcp.cc";
    static final String PROP_ALGORITHM = "algorithm";
    static final String DEFAULT_ALGORITHM = Cubic.NAME;
    private static final String BUILT_IN = "org.protosw.tcp (built in)";

    private final CcAlgo fallback = new CcAlgo(NewReno.NAME, new NewReno(), BUILT_IN);
    private final Map<String, CcAlgo> byName = new ConcurrentHashMap<>();
    private final List<TcpProtocol> users = new CopyOnWriteArrayList<>();
    private final BundleContext bundleContext;
    private volatile String configured = DEFAULT_ALGORITHM;
    private volatile CcAlgo dflt = fallback;

    /** Outside OSGi: no algorithm yet but the built-in NewReno; register them with {@link #register}. */
    CcRegistry() {
        this.bundleContext = null;
    }

    @Activate
    public CcRegistry(BundleContext bundleContext, Map<String, Object> config) {
        this.bundleContext = bundleContext;
        // nothing has registered yet: the configured name becomes the default when it does
        configured = configuredName(config);
    }

    /** Outside OSGi: this bundle's algorithms registered as their DS components would be. */
    static CcRegistry withBuiltins() {
        CcRegistry r = new CcRegistry();
        r.register(NewReno.NAME, new NewReno(), "org.protosw.tcp");
        r.register(Cubic.NAME, new Cubic(), "org.protosw.tcp");
        return r;
    }

    @Modified
    void modified(Map<String, Object> config) {
        configure(config);
    }

    private static String configuredName(Map<String, Object> config) {
        Object v = config == null ? null : config.get(PROP_ALGORITHM);
        return v == null || v.toString().isBlank() ? DEFAULT_ALGORITHM : v.toString().trim();
    }

    private synchronized void configure(Map<String, Object> config) {
        String name = configuredName(config);
        if (name.equals(configured) && dflt.name().equals(name)) {
            return;
        }
        configured = name;
        CcAlgo a = lookup(name);
        if (a == null) {
            LOG.warn("configured default congestion control algorithm '{}' is not available (available: {}); "
                    + "new connections use {} until it registers", name, String.join(", ", names()), dflt.name());
            return;
        }
        if (a != dflt) {
            dflt = a;
            LOG.info("default congestion control algorithm is now {}", a);
        }
    }

    // ---- the whiteboard --------------------------------------------------------------------

    @Reference(service = CongestionControl.class, cardinality = ReferenceCardinality.MULTIPLE,
            policy = ReferencePolicy.DYNAMIC, policyOption = ReferencePolicyOption.GREEDY)
    void addAlgorithm(CongestionControl cc, Map<String, Object> props) {
        Object name = props.get(CongestionControl.NAME_PROPERTY);
        String provider = provider(props);
        if (name == null || name.toString().isBlank()) {
            LOG.warn("ignoring a congestion control service of {} without the property {}", provider,
                    CongestionControl.NAME_PROPERTY);
            return;
        }
        register(name.toString().trim(), cc, provider);
    }

    void removeAlgorithm(CongestionControl cc) {
        unregister(cc);
    }

    private String provider(Map<String, Object> props) {
        Object id = props.get(Constants.SERVICE_BUNDLEID);
        if (!(id instanceof Long bid)) {
            return "bundle ?";
        }
        Bundle b = bundleContext == null ? null : bundleContext.getBundle(bid);
        return b == null || b.getSymbolicName() == null ? "bundle " + bid : b.getSymbolicName() + " [" + bid + "]";
    }

    /** {@code cc_register_algo}: false (and a warning) when the name is taken. */
    synchronized boolean register(String name, CongestionControl cc, String provider) {
        CcAlgo taken = byName.get(name);
        if (taken != null) {
            LOG.warn("ignoring congestion control algorithm '{}' of {}: the name is taken by {}", name, provider, taken);
            return false;
        }
        CcAlgo a = new CcAlgo(name, cc, provider);
        byName.put(name, a);
        LOG.info("congestion control algorithm {} registered", a);
        if (name.equals(configured) && dflt != a) {
            CcAlgo old = dflt;
            dflt = a;
            LOG.info("default congestion control algorithm is now {} (was {})", name, old.name());
        }
        return true;
    }

    /**
     * {@code cc_deregister_algo}: the algorithm goes; its connections move to the default.
     *
     * @return how many connections were moved
     */
    synchronized int unregister(CongestionControl cc) {
        CcAlgo a = null;
        for (CcAlgo x : byName.values()) {
            if (x.impl() == cc) {
                a = x;
                break;
            }
        }
        if (a == null) {
            return 0;
        }
        byName.remove(a.name(), a);
        if (dflt == a) {
            dflt = lookup(NewReno.NAME);
            if (a.name().equals(dflt.name())) {
                // the NewReno service left and the built-in NewReno took over: nothing changes for anyone
                LOG.info("default congestion control algorithm {} is going away: {} takes over", a, dflt);
            } else if (stopping()) {
                // TCP (or the whole runtime) is stopping: no connection is left to care
                LOG.info("default congestion control algorithm {} is going away while TCP stops", a);
            } else {
                LOG.warn("default congestion control algorithm {} is going away: new connections use {} until '{}' "
                        + "registers again (tcp:cc set default NAME picks another)", a, dflt, configured);
            }
        }
        // from here no connection picks it: those that did are found by the walk below
        a.markGone();
        int moved = 0;
        for (TcpProtocol tcp : users) {
            for (InPcb<TcpCb> inp : tcp.table().list()) {
                TcpCb cb = inp.owner();
                if (cb != null && cb.moveCc(a, dflt)) {
                    moved++;
                }
            }
        }
        LOG.info("congestion control algorithm {} unregistered; {} connection(s) moved to {}", a, moved, dflt.name());
        return moved;
    }

    /** True while this bundle or the framework is stopping, when algorithms leaving is no news. */
    private boolean stopping() {
        if (bundleContext == null) {
            return false;
        }
        try {
            Bundle system = bundleContext.getBundle(Constants.SYSTEM_BUNDLE_ID);
            return bundleContext.getBundle().getState() == Bundle.STOPPING
                    || (system != null && system.getState() == Bundle.STOPPING);
        } catch (IllegalStateException e) {
            // the context is no longer valid: this bundle has stopped
            return true;
        }
    }

    // ---- the default ---------------------------------------------------------------------

    /** The algorithm of new connections. */
    CcAlgo defaultAlgo() {
        return dflt;
    }

    /** The name the configuration asks for (it may not be registered). */
    String configuredDefault() {
        return configured;
    }

    /**
     * Makes {@code name} the default for new connections; existing ones keep theirs.
     *
     * @throws IllegalArgumentException naming the available algorithms when there is no such one
     */
    synchronized CcAlgo setDefault(String name) {
        CcAlgo a = lookup(name);
        if (a == null) {
            throw new IllegalArgumentException("no congestion control algorithm '" + name + "' (available: "
                    + String.join(", ", names()) + ")");
        }
        configured = name;
        if (dflt != a) {
            CcAlgo old = dflt;
            dflt = a;
            LOG.info("default congestion control algorithm is now {} (was {})", name, old.name());
        }
        return a;
    }

    // ---- lookups -----------------------------------------------------------------------------

    /** The algorithm of that name, or null; {@code newreno} is always found. */
    CcAlgo lookup(String name) {
        if (name == null) {
            return null;
        }
        CcAlgo a = byName.get(name);
        if (a == null && NewReno.NAME.equals(name)) {
            return fallback;
        }
        return a;
    }

    /** The names that {@link #lookup} finds, sorted. */
    List<String> names() {
        return algorithms().stream().map(CcAlgo::name).toList();
    }

    /** The algorithms available now, sorted by name. */
    List<CcAlgo> algorithms() {
        List<CcAlgo> l = new ArrayList<>(byName.values());
        if (!byName.containsKey(NewReno.NAME)) {
            l.add(fallback);
        }
        l.sort(Comparator.comparing(CcAlgo::name));
        return l;
    }

    /** Connections per algorithm name, over every stack instance. */
    Map<String, Integer> connectionCounts() {
        Map<String, Integer> counts = new TreeMap<>();
        for (TcpProtocol tcp : users) {
            for (InPcb<TcpCb> inp : tcp.table().list()) {
                TcpCb cb = inp.owner();
                if (cb != null && cb.tcpState() != TcpState.CLOSED) {
                    counts.merge(cb.ccAlgo().name(), 1, Integer::sum);
                }
            }
        }
        return counts;
    }

    // ---- the TCPs that use it ----------------------------------------------------------------

    void attach(TcpProtocol tcp) {
        users.add(tcp);
    }

    void detach(TcpProtocol tcp) {
        users.remove(tcp);
    }
}
