package org.protosw.tcp.internal;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;

import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.Constants;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
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
 * {@value CongestionControl#NAME_PROPERTY} property.
 *
 * <p><b>The default.</b> As in FreeBSD, each stack instance names the algorithm of its new
 * connections in the sysctl {@value TcpProtocol#SYSCTL_CC_ALGORITHM} (default
 * {@code cubic}), set with {@code net:sysctl} or {@code tcp:cc [-j VNET] set default NAME}
 * and kept with the other sysctls in Configuration Admin. The name is resolved here when a
 * connection starts: while no algorithm of that name is registered (its bundle has not
 * started yet, or has stopped) new connections use NewReno.
 *
 * <p><b>Algorithms leaving.</b> A service cannot refuse to go away, so when one does, its
 * connections are moved to their stack instance's default (keeping their window), NewReno
 * where the one leaving was that default, with a warning. Where a refusal is possible it is
 * made: {@code tcp:cc unload} does not unload an algorithm that is any instance's default
 * (nor NewReno). NewReno cannot disappear: besides its service this class keeps an instance
 * of its own, used whenever no {@code newreno} service is registered.
 *
 * <p>Lookups ({@link #lookup}, {@link #defaultFor}) take no lock: connections call them
 * under their own lock, which changes here take after this object's monitor.
 */
@Component(service = CcRegistry.class)
public final class CcRegistry {
    private static final Logger LOG = LoggerFactory.getLogger(CcRegistry.class);

    static final String DEFAULT_ALGORITHM = Cubic.NAME;
    private static final String BUILT_IN = "org.protosw.tcp (built in)";

    private final CcAlgo fallback = new CcAlgo(NewReno.NAME, new NewReno(), BUILT_IN);
    private final Map<String, CcAlgo> byName = new ConcurrentHashMap<>();
    private final List<TcpProtocol> users = new CopyOnWriteArrayList<>();
    /** "vnet/name" pairs already warned about: a missing default is logged once, not per connection. */
    private final Set<String> warnedMissing = ConcurrentHashMap.newKeySet();
    private final BundleContext bundleContext;

    /** Outside OSGi: no algorithm yet but the built-in NewReno; register them with {@link #register}. */
    CcRegistry() {
        this.bundleContext = null;
    }

    @Activate
    public CcRegistry(BundleContext bundleContext) {
        this.bundleContext = bundleContext;
    }

    /** Outside OSGi: this bundle's algorithms registered as their DS components would be. */
    static CcRegistry withBuiltins() {
        CcRegistry r = new CcRegistry();
        r.register(NewReno.NAME, new NewReno(), "org.protosw.tcp");
        r.register(Cubic.NAME, new Cubic(), "org.protosw.tcp");
        return r;
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
        warnedMissing.removeIf(k -> k.endsWith("/" + name));
        List<String> waiting = defaultIn(name);
        if (waiting.isEmpty()) {
            LOG.info("congestion control algorithm {} registered", a);
        } else {
            LOG.info("congestion control algorithm {} registered; new connections in {} use it again as their default",
                    a, String.join(", ", waiting));
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
        List<String> defaultIn = defaultIn(a.name());
        // said here, once: the fallback of the connections moved below need not say it again
        for (String vnet : defaultIn) {
            warnedMissing.add(vnet + "/" + a.name());
        }
        if (!defaultIn.isEmpty()) {
            if (a.name().equals(NewReno.NAME)) {
                // the NewReno service left and the built-in NewReno took over: nothing changes for anyone
                LOG.info("default congestion control algorithm {} is going away: {} takes over", a, fallback);
            } else if (stopping()) {
                // TCP (or the whole runtime) is stopping: no connection is left to care
                LOG.info("default congestion control algorithm {} is going away while TCP stops", a);
            } else {
                LOG.warn("default congestion control algorithm {} of {} is going away: new connections there use {} until '{}' "
                        + "registers again (tcp:cc set default NAME picks another)", a, String.join(", ", defaultIn),
                        NewReno.NAME, a.name());
            }
        }
        // from here no connection picks it: those that did are found by the walk below
        a.markGone();
        int moved = 0;
        for (TcpProtocol tcp : users) {
            CcAlgo to = defaultFor(tcp);
            for (InPcb<TcpCb> inp : tcp.table().list()) {
                TcpCb cb = inp.owner();
                if (cb != null && TcpSubr.ccMove(cb, a, to)) {
                    moved++;
                }
            }
        }
        LOG.info("congestion control algorithm {} unregistered; {} connection(s) moved to their default", a, moved);
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

    /**
     * The algorithm of new connections in {@code tcp}'s stack instance: the one its sysctl
     * names, or NewReno while that one is not registered.
     */
    CcAlgo defaultFor(TcpProtocol tcp) {
        String name = tcp.ccAlgorithm.get();
        CcAlgo a = lookup(name);
        if (a != null) {
            return a;
        }
        if (warnedMissing.add(tcp.context().vnet() + "/" + name)) {
            LOG.warn("{} of {} names '{}', which is not available (available: {}): new connections there use {} until it registers",
                    TcpProtocol.SYSCTL_CC_ALGORITHM, tcp.context().vnet(), name, String.join(", ", names()), NewReno.NAME);
        }
        return lookup(NewReno.NAME);
    }

    /** Why {@code name} cannot be a default, or null when it can: the sysctl's check. */
    String refuseDefault(String name) {
        return lookup(name) == null
                ? "no congestion control algorithm '" + name + "' (available: " + String.join(", ", names()) + ")"
                : null;
    }

    /** The stack instances whose default is {@code name}, sorted. */
    List<String> defaultIn(String name) {
        List<String> vnets = new ArrayList<>();
        for (TcpProtocol tcp : users) {
            if (tcp.ccAlgorithm != null && name.equals(tcp.ccAlgorithm.get())) {
                vnets.add(tcp.context().vnet());
            }
        }
        vnets.sort(null);
        return vnets;
    }

    /** Each stack instance's TCP, by vnet name. */
    Map<String, TcpProtocol> instances() {
        Map<String, TcpProtocol> m = new TreeMap<>();
        for (TcpProtocol tcp : users) {
            m.put(tcp.context().vnet(), tcp);
        }
        return m;
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
