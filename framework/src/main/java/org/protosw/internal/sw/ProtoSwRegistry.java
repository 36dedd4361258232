package org.protosw.internal.sw;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.locks.ReentrantLock;

import org.protosw.socket.Errno;
import org.protosw.socket.SockAddr;
import org.protosw.socket.SocketConstants;
import org.protosw.socket.SocketException;
import org.protosw.spi.Domain;
import org.protosw.spi.ProtoSw;
import org.protosw.spi.Protocol;
import org.protosw.spi.StateTransfer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The protocol switch table shared by all stack instances ({@code protosw} and
 * {@code pffindproto} of FreeBSD's {@code uipc_domain.c}), and the keeper of the socket
 * lifecycle promise when protocols come and go.
 *
 * <p>Registering, unregistering, draining and adding or removing stack instances are
 * serialised by one configuration lock and come from OSGi threads; {@link #find} runs
 * on application threads and reads a copy-on-write snapshot of the table without locking.
 */
public final class ProtoSwRegistry {
    private static final Logger LOG = LoggerFactory.getLogger(ProtoSwRegistry.class);

    /**
     * How long unregister waits for calls in flight to leave, unless configured otherwise
     * ({@code net.protosw.unload_wait_ms} of the first stack instance overrides it).
     */
    public static final Duration DEFAULT_UNLOAD_TIMEOUT = Duration.ofSeconds(5);

    private final ReentrantLock config = new ReentrantLock();
    private final org.protosw.internal.priv.PrivTable privs = new org.protosw.internal.priv.PrivTable();
    // guarded by config
    private final Map<ProtoSw, ProtoEntry> bySw = new IdentityHashMap<>();
    /** Registration order: protocol 0 picks the first entry that fits, as in a protosw array. */
    private final List<ProtoEntry> order = new ArrayList<>();
    private final Map<ProtoSw, Refusal> refused = new IdentityHashMap<>();
    private final Map<String, VnetHooks> vnets = new LinkedHashMap<>();
    /** The first stack instance (the default one), read without locking for its tunables. */
    private volatile VnetHooks firstVnet;
    /** Instances an unload stopped waiting for, until their last call leaves (net:diag). */
    private final List<Lingering> lingering = new java.util.concurrent.CopyOnWriteArrayList<>();
    // read without locking by find(); replaced under config
    private volatile ProtoEntry[] table = new ProtoEntry[0];
    /**
     * Every (domain, type) any entry ever served: once a protocol of a type was loaded, asking
     * for that type after it left is "protocol not supported" (EPROTONOSUPPORT, the protocol is
     * gone), not "socket type not supported".
     */
    private final java.util.Set<Long> typesSeen = java.util.concurrent.ConcurrentHashMap.newKeySet();
    private volatile List<Refusal> refusalsView = List.of();
    private volatile Duration unloadTimeout;

    // domains (domain_add), guarded by config; the views are read without locking
    private final Map<Integer, DomainEntry> domains = new LinkedHashMap<>();
    private final Map<Domain, DomainEntry> byDomain = new IdentityHashMap<>();
    private final Map<Domain, Refusal> refusedDomains = new IdentityHashMap<>();
    private final List<WaitingEntry> waiting = new ArrayList<>();
    private volatile Map<Integer, DomainEntry> domainsView = Map.of();
    private volatile List<WaitingEntry> waitingView = List.of();
    private volatile List<Refusal> domainRefusalsView = List.of();
    /** Upper protocol name to the names of the protocols it runs on (declared or learned). */
    private final Map<String, java.util.Set<String>> uses = new java.util.concurrent.ConcurrentHashMap<>();

    /** Live upgrades waiting for their new revision, by entry name; guarded by config. */
    private final Map<String, Upgrade> upgrades = new LinkedHashMap<>();
    /** The last failed upgrades (at most {@link #FAILURES_KEPT}), for net:diag. */
    private volatile List<UpgradeRecord> upgradeFailures = List.of();
    static final int FAILURES_KEPT = 16;

    /** Owner name of what the core registers itself (the inet domain). */
    public static final String CORE_OWNER = "org.protosw.framework";

    public ProtoSwRegistry() {
        this(DEFAULT_UNLOAD_TIMEOUT);
    }

    /** A registry with the core's own inet domain registered. */
    public ProtoSwRegistry(Duration unloadTimeout) {
        setUnloadTimeout(unloadTimeout);
        registerDomain(new InetDomain(), CORE_OWNER);
    }

    /** How long an unload waits for calls in flight before it gives up waiting (and logs why). */
    public void setUnloadTimeout(Duration timeout) {
        Objects.requireNonNull(timeout, "timeout");
        if (timeout.isNegative()) {
            throw new IllegalArgumentException("unload timeout must not be negative: " + timeout);
        }
        this.unloadTimeout = timeout;
    }

    public Duration unloadTimeout() {
        return unloadTimeout;
    }

    /**
     * The bound an unload waits for calls in flight: {@code net.protosw.unload_wait_ms} of the
     * first stack instance (protocols serve every instance, so one bound, as the upgrade's),
     * else {@link #unloadTimeout()}.
     */
    public long unloadWaitMillis() {
        VnetHooks first = firstVnet;
        long ms = first == null ? -1 : first.unloadWaitMillis();
        return ms >= 0 ? ms : unloadTimeout.toMillis();
    }

    /** Protocol instances an unload left behind with threads inside, for {@code net:diag}. */
    public List<Lingering> lingering() {
        lingering.removeIf(l -> !l.stillThere());
        return List.copyOf(lingering);
    }

    /** Which bundles may open raw and divert sockets and add pfil hooks, in every instance. */
    public org.protosw.internal.priv.PrivTable privs() {
        return privs;
    }

    /**
     * Validates and adds a protocol switch entry ({@code protosw_register}), then runs its
     * {@code init} in every known stack instance.
     *
     * @param properties the service properties ({@code protosw.*})
     * @param owner the serving bundle, e.g. {@code "org.protosw.udp [12] 1.0.0"}
     * @return the accepted entry, or the refusal (also kept in {@link #refusals()})
     */
    public RegisterResult register(ProtoSw sw, Map<String, ?> properties, String owner) {
        Objects.requireNonNull(sw, "sw");
        Objects.requireNonNull(properties, "properties");
        String who = owner == null ? "(unknown bundle)" : owner;
        config.lock();
        try {
            if (bySw.containsKey(sw)) {
                LOG.error("protocol switch service {} from {} registered twice; the second registration is refused",
                        bySw.get(sw), who);
                return refuse(sw, who, bySw.get(sw).descriptor().toString(), Errno.EEXIST,
                        "this service object is already registered");
            }
            // registered again (its properties changed): judge it afresh
            if (refused.remove(sw) != null) {
                refusalsView = List.copyOf(refused.values());
            }
            ProtoDescriptor d;
            try {
                d = ProtoDescriptor.parse(properties);
            } catch (ProtoDescriptor.InvalidDescriptor e) {
                Object name = properties.get("protosw.name");
                return refuse(sw, who, name instanceof String s ? s : "protocol switch entry", Errno.EINVAL, e.getMessage());
            }
            Upgrade pendingUpgrade = upgrades.get(d.name());
            if (pendingUpgrade != null) {
                RegisterResult r = completeUpgrade(pendingUpgrade, sw, properties, who, d);
                if (r != null) {
                    return r;
                }
                // the upgrade failed: the new revision registers as a protocol of its own
            }
            if (!domains.containsKey(d.domain())) {
                WaitingEntry w = new WaitingEntry(sw, properties, who, d);
                waiting.add(w);
                waitingView = List.copyOf(waiting);
                LOG.info("protocol {} from {} waits for domain af{}: no domain of that family is registered yet",
                        d.name(), who, d.domain());
                return new RegisterResult.Waiting(w);
            }
            for (ProtoEntry e : table) {
                ProtoDescriptor o = e.descriptor();
                if (o.domain() == d.domain() && o.type() == d.type() && o.protocol() == d.protocol()) {
                    LOG.error("protocol switch entry {} from {} refused: {} is already served by {} from {}",
                            d, who, d.triple(), o.name(), e.owner());
                    return refuse(sw, who, d.toString(), Errno.EEXIST,
                            d.triple() + " is already served by " + o.name() + " from " + e.owner());
                }
                if (o.name().equals(d.name())) {
                    LOG.error("protocol switch entry {} from {} refused: the name {} is already used by {} from {}",
                            d, who, d.name(), o, e.owner());
                    return refuse(sw, who, d.toString(), Errno.EEXIST,
                            "the name " + d.name() + " is already used by " + o + " from " + e.owner());
                }
            }
            ProtoEntry entry = new ProtoEntry(d, who, sw, properties);
            Map<String, Throwable> failed = new LinkedHashMap<>();
            for (VnetHooks hooks : vnets.values()) {
                Throwable t = initInstance(entry, hooks, false);
                if (t != null) {
                    failed.put(hooks.name(), t);
                }
            }
            if (!failed.isEmpty()) {
                // a protocol that runs nowhere is refused, so net:diag says why; one that
                // runs somewhere serves there, the other instances run without it
                if (entry.instances().isEmpty()) {
                    return refuseFailedInit(sw, entry, failed);
                }
                failed.forEach((vnet, t) -> entry.faults().report(ProtoFaults.Where.INIT, "init",
                        "vnet " + vnet + " (that instance runs without it)", t));
            }
            for (String lower : d.uses()) {
                uses.computeIfAbsent(d.name(), k -> java.util.concurrent.ConcurrentHashMap.newKeySet()).add(lower);
            }
            bySw.put(sw, entry);
            order.add(entry);
            publish();
            LOG.info("protocol {} from {} registered ({} flags {})", d.name(), who, d.triple(), d.flagNames());
            return new RegisterResult.Accepted(entry);
        } finally {
            config.unlock();
        }
    }

    // ---- live upgrade (DESIGN.md, socket lifecycle point 5) ---------------------------------

    /**
     * The service of a protocol goes away because its bundle is being updated: when it
     * offers {@link StateTransfer}, its sockets are frozen and their state exported, and the
     * entry waits ({@code net.protosw.upgrade_wait_ms}) for the new revision to register.
     * Without the facet, or when the freeze or the export fails, this is an unload
     * ({@link #unregister}); a failed export is logged and shown by {@code net:diag}.
     */
    public void unregisterForUpgrade(ProtoSw sw) {
        ProtoEntry entry;
        Upgrade u;
        long waitMillis;
        config.lock();
        try {
            entry = bySw.get(sw);
            if (!(sw instanceof StateTransfer) || entry == null || entry.state() != ProtoState.ACTIVE
                    || upgrades.containsKey(entry.name())) {
                entry = null;
                u = null;
                waitMillis = 0;
            } else {
                entry.setState(ProtoState.UPGRADING);
                u = new Upgrade(entry, entry.instances(), vnets);
                waitMillis = upgradeWaitMillis();
            }
        } finally {
            config.unlock();
        }
        if (entry == null) {
            unregister(sw);
            return;
        }
        LOG.info("protocol {} from {} is being updated: freezing {} socket(s) and exporting their state", entry.name(),
                entry.owner(), entry.openSockets());
        try {
            u.freezeAndExport((StateTransfer) sw, System.nanoTime() + java.util.concurrent.TimeUnit.MILLISECONDS.toNanos(unloadWaitMillis()));
        } catch (Upgrade.Failed f) {
            LOG.error("upgrade of {} from {}: {}; unloading it instead (its sockets are aborted)", entry.name(), entry.owner(),
                    f.getMessage(), f.getCause());
            remember(new UpgradeRecord(entry.name(), u.from, null, u.when, u.pause(), entry.openSockets(), u.held(),
                    u.overflowed(), f.getMessage()));
            u.thaw();
            config.lock();
            try {
                entry.setState(ProtoState.ACTIVE);
            } finally {
                config.unlock();
            }
            unregister(sw);
            return;
        }
        u.destroyWaitMillis = unloadWaitMillis();
        u.retireOld();
        config.lock();
        try {
            bySw.remove(sw);
            entry.forgetService();
            upgrades.put(entry.name(), u);
        } finally {
            config.unlock();
        }
        LOG.info("protocol {}: {} socket(s) exported (format {} version {}); waiting up to {} ms for the new revision",
                entry.name(), u.sockets(), u.format, u.version, waitMillis);
        // The timer holds the upgrade weakly: once the new revision has imported it, the
        // snapshots of every socket and the old revision's instances must not stay reachable
        // until the timer's time is up (with 1,000 connections, a few upgrades a minute kept
        // hundreds of MB alive and put long GC pauses inside the next upgrades' freeze).
        String name = entry.name();
        java.lang.ref.WeakReference<Upgrade> pending = new java.lang.ref.WeakReference<>(u);
        java.util.concurrent.CompletableFuture.delayedExecutor(waitMillis, java.util.concurrent.TimeUnit.MILLISECONDS)
                .execute(() -> {
                    config.lock();
                    try {
                        Upgrade still = pending.get();
                        if (still != null && upgrades.get(name) == still) {
                            failUpgrade(still, "no new revision of " + name + " registered within " + waitMillis
                                    + " ms (net.protosw.upgrade_wait_ms)", null);
                        }
                    } finally {
                        config.unlock();
                    }
                });
    }

    private long upgradeWaitMillis() {
        VnetHooks first = vnets.values().stream().findFirst().orElse(null);
        return first == null ? 10_000 : first.upgradeWaitMillis();
    }

    /** Whether {@code name} is frozen waiting for its new revision. */
    public boolean upgrading(String name) {
        config.lock();
        try {
            return upgrades.containsKey(name);
        } finally {
            config.unlock();
        }
    }

    /** The last failed upgrades, oldest first, for {@code net:diag}. */
    public List<UpgradeRecord> upgradeFailures() {
        return upgradeFailures;
    }

    private synchronized void remember(UpgradeRecord r) {
        List<UpgradeRecord> l = new ArrayList<>(upgradeFailures);
        l.add(r);
        while (l.size() > FAILURES_KEPT) {
            l.remove(0);
        }
        upgradeFailures = List.copyOf(l);
    }

    /**
     * The new revision registered: imports everything, or fails the upgrade. Config held.
     *
     * @return the accepted entry, or null when the upgrade failed (the caller registers the
     *         new revision afresh)
     */
    private RegisterResult completeUpgrade(Upgrade u, ProtoSw sw, Map<String, ?> properties, String owner, ProtoDescriptor d) {
        ProtoDescriptor old = u.entry.descriptor();
        if (old.domain() != d.domain() || old.type() != d.type() || old.protocol() != d.protocol() || old.flags() != d.flags()) {
            failUpgrade(u, "the new revision serves " + d + ", the old one served " + old, owner);
            return null;
        }
        if (!(sw instanceof StateTransfer st)) {
            failUpgrade(u, "the new revision from " + owner + " offers no state transfer (StateTransfer)", owner);
            return null;
        }
        try {
            u.importInto(sw, st, part -> newInstanceContext(u.entry, part.hooks));
        } catch (Upgrade.Failed f) {
            LOG.error("upgrade of {}: {}", u.entry.name(), f.getMessage(), f.getCause());
            failUpgrade(u, f.getMessage(), owner);
            return null;
        }
        upgrades.remove(u.entry.name());
        u.resume();
        UpgradeRecord rec = new UpgradeRecord(u.entry.name(), u.from, owner, u.when, u.pause(), u.sockets(), u.held(),
                u.overflowed(), null);
        u.entry.revive(sw, owner, properties, rec);
        bySw.put(sw, u.entry);
        // stack instances made while it was frozen have no instance of it yet
        for (VnetHooks hooks : vnets.values()) {
            if (u.entry.instance(hooks.name()) == null) {
                initInstance(u.entry, hooks);
            }
        }
        publish();
        LOG.info("protocol {}: {}", u.entry.name(), rec);
        return new RegisterResult.Accepted(u.entry);
    }

    /** A context for {@code entry} in {@code hooks}' instance with its domain's state bound, or null. Config held. */
    private ScopedContext newInstanceContext(ProtoEntry entry, VnetHooks hooks) {
        if (vnets.get(hooks.name()) != hooks) {
            return null;
        }
        DomainEntry dom = domains.get(entry.descriptor().domain());
        DomainEntry.Instance di = dom == null ? null : dom.instance(hooks.name());
        if (di == null) {
            return null;
        }
        ScopedContext ctx = hooks.newContext(entry.name(), org.protosw.internal.priv.Cred.ofOwner(entry.owner()));
        ctx.bindDomainState(di.state());
        ctx.bindFaults(entry.faults());
        return ctx;
    }

    /**
     * The upgrade failed after the export: the sockets are aborted as in an unload
     * (ECONNABORTED; they point at the core's dead pcb already), the held packets dropped,
     * the entry removed. Config held.
     */
    private void failUpgrade(Upgrade u, String reason, String to) {
        ProtoEntry entry = u.entry;
        upgrades.remove(entry.name());
        entry.setState(ProtoState.UNLOADING);
        List<AttachedSocket> socks = u.allSockets();
        UpgradeRecord rec = new UpgradeRecord(entry.name(), u.from, to, u.when, u.pause(), socks.size(), u.held(),
                u.overflowed(), reason);
        remember(rec);
        LOG.error("{}", rec);
        long told = u.notifyPeers();
        if (told > 0) {
            LOG.info("{}: {} peer(s) told their connection is gone", entry.name(), told);
        }
        abortUppers(entry, entry.name() + " upgrade failure");
        // marked first, so every caller (those waiting at the gate too) sees ECONNABORTED
        List<AttachedSocket> marked = new ArrayList<>();
        for (AttachedSocket so : socks) {
            if (so.markAborted()) {
                marked.add(so);
            }
        }
        List<ProtoInstance> instances = new ArrayList<>();
        for (Upgrade.Part p : u.parts) {
            for (InputHold h : p.holds) {
                h.discard();
            }
            p.pi.openGate();
            instances.add(p.pi);
        }
        for (AttachedSocket so : marked) {
            try {
                so.completeAbort();
            } catch (RuntimeException e) {
                LOG.error("aborting {} failed", so.describe(), e);
            }
        }
        teardown(instances, entry.name() + " upgrade failure");
        order.remove(entry);
        publish();
        entry.completeDrain();
        entry.forgetService();
    }

    /**
     * A protocol whose {@code init} threw in every stack instance is refused (with the thrown
     * errno, EIO for an unchecked exception), logged once with its bundle's name and listed
     * by {@code net:diag}: the stack and the other protocols go on as if it never came.
     * Config held.
     */
    private RegisterResult refuseFailedInit(ProtoSw sw, ProtoEntry entry, Map<String, Throwable> failed) {
        Map.Entry<String, Throwable> first = failed.entrySet().iterator().next();
        Throwable t = first.getValue();
        Errno errno = t instanceof SocketException se ? se.errno() : Errno.EIO;
        return refuse(sw, entry.owner(), entry.descriptor().toString(), errno,
                "its init failed in vnet " + String.join(", ", failed.keySet()) + ": " + t, t);
    }

    // config held
    private RegisterResult refuse(ProtoSw sw, String owner, String what, Errno errno, String message) {
        return refuse(sw, owner, what, errno, message, null);
    }

    // config held
    private RegisterResult refuse(ProtoSw sw, String owner, String what, Errno errno, String message, Throwable cause) {
        Refusal r = new Refusal(owner, what, errno, message, Instant.now());
        if (errno != Errno.EEXIST) {
            LOG.error("protocol switch entry {} from {} refused: {}", what, owner, message, cause);
        }
        if (!bySw.containsKey(sw)) {
            refused.put(sw, r);
            refusalsView = List.copyOf(refused.values());
        }
        return new RegisterResult.Refused(r);
    }

    // config held; a failing init leaves that instance without the protocol
    private void initInstance(ProtoEntry entry, VnetHooks hooks) {
        initInstance(entry, hooks, true);
    }

    /**
     * Runs the protocol's init in one instance. Config held.
     *
     * @param report whether a throwing init is counted and logged here (a stack instance that
     *        came after the protocol runs without it); else the caller refuses the protocol
     * @return what the init threw, or null when the protocol runs there (or cannot for want
     *         of a context or its domain, which is logged)
     */
    private Throwable initInstance(ProtoEntry entry, VnetHooks hooks, boolean report) {
        ProtoSw sw = entry.sw();
        String name = entry.descriptor().name();
        ScopedContext ctx;
        try {
            ctx = hooks.newContext(name, org.protosw.internal.priv.Cred.ofOwner(entry.owner()));
        } catch (RuntimeException e) {
            LOG.error("protocol {} cannot run in vnet {}: no context for it", name, hooks.name(), e);
            return null;
        }
        DomainEntry dom = domains.get(entry.descriptor().domain());
        DomainEntry.Instance di = dom == null ? null : dom.instance(hooks.name());
        if (di == null) {
            LOG.error("protocol {} cannot run in vnet {}: its domain {} does not run there (see the log)", name,
                    hooks.name(), DomainNames.of(entry.descriptor().domain()));
            ctx.close();
            return null;
        }
        ctx.bindDomainState(di.state());
        ctx.bindFaults(entry.faults());
        try {
            Protocol p = sw.init(ctx);
            if (p == null) {
                throw new IllegalStateException("init returned null");
            }
            ctx.bindProtocol(p);
            entry.putInstance(new ProtoInstance(entry, hooks.name(), p, ctx));
        } catch (SocketException | RuntimeException | LinkageError e) {
            if (report) {
                entry.faults().report(ProtoFaults.Where.INIT, "init", "vnet " + hooks.name() + " (that instance runs without it)", e);
            }
            try {
                ctx.close();
            } catch (RuntimeException ce) {
                LOG.error("closing the context of {} in vnet {} failed", name, hooks.name(), ce);
            }
            return e;
        }
        return null;
    }

    // config held
    private void publish() {
        table = order.toArray(new ProtoEntry[0]);
        for (ProtoEntry e : order) {
            typesSeen.add(typeKey(e.descriptor().domain(), e.descriptor().type()));
            typesSeen.add(typeKey(e.descriptor().domain(), -1));
        }
    }

    /**
     * Removes a protocol switch entry: the unload sequence of DESIGN.md ("socket
     * lifecycle", point 4). New sockets are refused at once; every open socket is aborted
     * (blocked callers wake with ECONNABORTED); the calls in flight get
     * {@link #unloadWaitMillis()} to leave; each pcb is detached once; then every
     * {@link Protocol#destroy()} runs and every context is closed; then nothing of the
     * service is referenced any more. Calls still in flight after the bound are logged (with
     * their threads' stacks); their sockets are detached, and the protocol instance
     * destroyed, when they leave.
     *
     * <p>A refused service is only forgotten.
     */
    public void unregister(ProtoSw sw) {
        ProtoEntry entry;
        List<ProtoInstance> instances;
        config.lock();
        try {
            if (refused.remove(sw) != null) {
                refusalsView = List.copyOf(refused.values());
                return;
            }
            if (waiting.removeIf(w -> w.sw() == sw)) {
                waitingView = List.copyOf(waiting);
                return;
            }
            entry = bySw.get(sw);
            if (entry == null) {
                return;
            }
            entry.setState(ProtoState.UNLOADING);
            instances = entry.instances();
        } finally {
            config.unlock();
        }
        abortUppers(entry, entry.name() + " unload");
        LOG.info("protocol {} from {} unloading: aborting {} socket(s)", entry.name(), entry.owner(), entry.openSockets());
        teardown(instances, entry.name() + " unload");
        config.lock();
        try {
            bySw.remove(sw);
            order.remove(entry);
            publish();
        } finally {
            config.unlock();
        }
        entry.completeDrain();
        entry.forgetService();
        LOG.info("protocol {} from {} unloaded", entry.name(), entry.owner());
    }

    /**
     * Closes the instances, aborts their sockets, waits (bounded by
     * {@link #unloadWaitMillis()}) for calls in flight, then destroys each instance now or
     * when its last call leaves. What did not leave in time is logged once, and listed by
     * {@link #lingering()} until it leaves.
     */
    private void teardown(List<ProtoInstance> instances, String why) {
        List<AttachedSocket> toAbort = new ArrayList<>();
        for (ProtoInstance pi : instances) {
            toAbort.addAll(pi.close());
        }
        long waitMillis = unloadWaitMillis();
        long deadline = System.nanoTime() + java.util.concurrent.TimeUnit.MILLISECONDS.toNanos(waitMillis);
        boolean abortsReturned = abortAllBounded(toAbort, why, deadline);
        List<ProtoInstance> stuck = new ArrayList<>();
        for (ProtoInstance pi : instances) {
            if (!pi.awaitQuiet(deadline)) {
                stuck.add(pi);
            }
        }
        if (!stuck.isEmpty()) {
            logStuck(stuck, why, waitMillis, abortsReturned);
        }
        for (ProtoInstance pi : instances) {
            if (!pi.teardownNowOrWhenQuiet(waitMillis)) {
                lingering.add(new Lingering(pi, why, waitMillis, Instant.now()));
            }
        }
    }

    /** One line for the whole teardown, with the stacks of the threads still inside. */
    private void logStuck(List<ProtoInstance> stuck, String why, long waitMillis, boolean abortsReturned) {
        StringBuilder sb = new StringBuilder();
        for (ProtoInstance pi : stuck) {
            for (AttachedSocket so : pi.remaining()) {
                sb.append("\n  ").append(so.describe());
                List<Thread> threads = so.threadsInFlight();
                if (threads.isEmpty()) {
                    sb.append(" (threads not tracked)");
                }
                for (Thread t : threads) {
                    sb.append("\n    thread \"").append(t.getName()).append("\" ").append(t.getState());
                    for (StackTraceElement el : t.getStackTrace()) {
                        sb.append("\n      at ").append(el);
                    }
                }
            }
        }
        ProtoEntry e = stuck.get(0).entry();
        LOG.error("{}: calls in flight did not leave {} from {} within {} ms (net.protosw.unload_wait_ms); going on without "
                + "them: those sockets are detached, and the protocol instance destroyed, when their last call leaves "
                + "(net:diag lists them){}:{}", why, stuck, e.owner(), waitMillis,
                abortsReturned ? "" : "; the protocol's abort had not returned either", sb);
    }

    /**
     * Stops new sockets of the named protocol (EPROTONOSUPPORT) while the existing ones keep
     * working. The future completes when the last socket has closed.
     *
     * @throws SocketException ENOENT when no protocol has that name, EINVAL when it is unloading
     */
    public CompletableFuture<Void> drain(String name) throws SocketException {
        ProtoEntry e;
        CompletableFuture<Void> f;
        config.lock();
        try {
            e = byName(name);
            if (e.state() == ProtoState.UNLOADING) {
                throw new SocketException(Errno.EINVAL, "protocol " + name + " is unloading");
            }
            f = e.startDrain();
        } finally {
            config.unlock();
        }
        // the protocols above cannot finish on a lower one that takes no new sockets: their
        // sockets are aborted, top down, then the in-stack sockets they held on this one
        abortUppers(e, name + " drain");
        List<AttachedSocket> inStack = new ArrayList<>();
        for (ProtoInstance pi : e.instances()) {
            for (AttachedSocket so : pi.remaining()) {
                if (so.inStack()) {
                    inStack.add(so);
                }
            }
        }
        abortAll(inStack, name + " drain");
        LOG.info("protocol {} draining: new sockets are refused, {} open socket(s) keep working", name, e.openSockets());
        e.checkDrained();
        return f;
    }

    // ---- dependencies ------------------------------------------------------------------

    /**
     * The core learned (from an in-stack socket) or was told that {@code upper} runs on
     * {@code lower}. Names, not entries: the order holds across reloads of either.
     */
    public void noteUses(String upper, String lower) {
        if (upper == null || lower == null || upper.equals(lower)) {
            return;
        }
        if (uses.computeIfAbsent(upper, k -> java.util.concurrent.ConcurrentHashMap.newKeySet()).add(lower)) {
            LOG.info("protocol {} uses {}: unloading or draining {} aborts {}'s sockets first", upper, lower, lower, upper);
        }
    }

    /** The protocols {@code name} runs on, sorted. */
    public List<String> uses(String name) {
        java.util.Set<String> s = uses.get(name);
        if (s == null) {
            return List.of();
        }
        List<String> l = new ArrayList<>(s);
        l.sort(null);
        return l;
    }

    /** How far above the bottom a protocol sits: 0 uses nothing, else 1 + its highest lower. */
    private int level(String name, int depth) {
        java.util.Set<String> lowers = uses.get(name);
        if (lowers == null || lowers.isEmpty() || depth > 32) {
            return 0;
        }
        int max = 0;
        for (String l : lowers) {
            max = Math.max(max, 1 + level(l, depth + 1));
        }
        return max;
    }

    private boolean usesTransitively(String upper, String lower, int depth) {
        java.util.Set<String> lowers = uses.get(upper);
        if (lowers == null || depth > 32) {
            return false;
        }
        for (String l : lowers) {
            if (l.equals(lower) || usesTransitively(l, lower, depth + 1)) {
                return true;
            }
        }
        return false;
    }

    /** Every registered entry above {@code lower}, the topmost first. */
    List<ProtoEntry> uppersOf(ProtoEntry lower) {
        List<ProtoEntry> up = new ArrayList<>();
        for (ProtoEntry e : table) {
            if (e != lower && usesTransitively(e.name(), lower.name(), 0)) {
                up.add(e);
            }
        }
        up.sort(java.util.Comparator.comparingInt((ProtoEntry e) -> level(e.name(), 0)).reversed());
        return up;
    }

    /** Aborts the sockets of every protocol above {@code lower}, top down, one protocol at a time. */
    private void abortUppers(ProtoEntry lower, String why) {
        for (ProtoEntry up : uppersOf(lower)) {
            List<AttachedSocket> socks = new ArrayList<>();
            for (ProtoInstance pi : up.instances()) {
                socks.addAll(pi.remaining());
            }
            if (!socks.isEmpty()) {
                LOG.info("{}: aborting {} socket(s) of {}, which runs on {}", why, socks.size(), up.name(), lower.name());
            }
            abortAll(socks, why);
        }
    }

    /**
     * {@link #abortAll} with the protocol's aborts on a helper thread, waited for until the
     * deadline: a protocol whose abort blocks (on a lock a thread stuck in one of its
     * requests holds, say) cannot hold the unload up beyond the bound either. The sockets are
     * marked first, here, as always; an abort that returns late still ends in the detach.
     * With the configuration lock held (a failed upgrade) the aborts run here: the helper
     * could need the lock.
     */
    private boolean abortAllBounded(List<AttachedSocket> socks, String why, long deadlineNanos) {
        if (socks.isEmpty() || config.isHeldByCurrentThread()) {
            abortAll(socks, why);
            return true;
        }
        List<AttachedSocket> marked = new ArrayList<>();
        for (AttachedSocket so : socks) {
            if (so.markAborted()) {
                marked.add(so);
            }
        }
        Thread t = Thread.ofVirtual().name("protosw abort (" + why + ")").start(() -> completeAborts(marked, why));
        try {
            long left = Math.max(0, deadlineNanos - System.nanoTime());
            return t.join(Duration.ofNanos(left));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    /** Marks every socket aborted first (so all callers see ECONNABORTED), then aborts each. */
    private static void abortAll(List<AttachedSocket> socks, String why) {
        List<AttachedSocket> marked = new ArrayList<>();
        for (AttachedSocket so : socks) {
            if (so.markAborted()) {
                marked.add(so);
            }
        }
        completeAborts(marked, why);
    }

    private static void completeAborts(List<AttachedSocket> marked, String why) {
        for (AttachedSocket so : marked) {
            try {
                so.completeAbort();
            } catch (RuntimeException e) {
                LOG.error("{}: aborting {} failed", why, so.describe(), e);
            }
        }
    }

    /**
     * Ends draining: the protocol accepts new sockets again.
     *
     * @throws SocketException ENOENT when no protocol has that name, EINVAL when it is not draining
     */
    public void undrain(String name) throws SocketException {
        config.lock();
        try {
            ProtoEntry e = byName(name);
            if (e.state() != ProtoState.DRAINING) {
                throw new SocketException(Errno.EINVAL, "protocol " + name + " is " + e.state().label() + ", not draining");
            }
            e.stopDrain();
            LOG.info("protocol {} active again", name);
        } finally {
            config.unlock();
        }
    }

    // config held
    private ProtoEntry byName(String name) throws SocketException {
        for (ProtoEntry e : table) {
            if (e.name().equals(name)) {
                return e;
            }
        }
        throw new SocketException(Errno.ENOENT, "no protocol named '" + name + "' is registered (see net:protocols)");
    }

    /**
     * {@code pffindproto}/{@code pffindtype}: the entry that serves a socket(2) triple.
     * Protocol 0 picks the first active entry of the domain and type with a non-zero
     * protocol (else one registered with protocol 0); a SOCK_RAW entry with protocol 0 is a
     * wildcard serving every protocol number.
     *
     * @throws SocketException EAFNOSUPPORT for a domain no entry ever served, ESOCKTNOSUPPORT
     *         for a type the domain never had, EPROTONOSUPPORT otherwise (also while
     *         draining/unloading, and after the protocol of that type was unloaded)
     */
    private static long typeKey(int domain, int type) {
        return (long) domain << 32 | (type & 0xffffffffL);
    }

    public ProtoEntry find(int domain, int type, int protocol) throws SocketException {
        ProtoEntry[] t = table;
        boolean domainKnown = false;
        boolean typeKnown = false;
        ProtoEntry fallback = null;
        for (ProtoEntry e : t) {
            ProtoDescriptor d = e.descriptor();
            if (d.domain() != domain) {
                continue;
            }
            domainKnown = true;
            if (d.type() != type) {
                continue;
            }
            typeKnown = true;
            // an upgrading entry is found: socket(2) then waits at its gate
            if (e.state() != ProtoState.ACTIVE && e.state() != ProtoState.UPGRADING) {
                continue;
            }
            if (protocol == 0) {
                if (d.protocol() != 0) {
                    return e;
                }
                if (fallback == null) {
                    fallback = e;
                }
            } else {
                if (d.protocol() == protocol) {
                    return e;
                }
                if (type == SocketConstants.SOCK_RAW && d.protocol() == 0 && fallback == null) {
                    fallback = e;
                }
            }
        }
        if (fallback != null) {
            return fallback;
        }
        domainKnown |= typesSeen.contains(typeKey(domain, -1));
        typeKnown |= typesSeen.contains(typeKey(domain, type));
        if (!domainKnown) {
            throw new SocketException(Errno.EAFNOSUPPORT, "socket: no protocol of domain " + DomainNames.of(domain) + " is loaded");
        }
        if (!typeKnown) {
            throw new SocketException(Errno.ESOCKTNOSUPPORT, "socket: domain " + DomainNames.of(domain)
                    + " has no " + SocketConstants.typeName(type) + " protocol loaded");
        }
        throw new SocketException(Errno.EPROTONOSUPPORT, "socket: no active protocol serves "
                + DomainNames.of(domain) + "/" + SocketConstants.typeName(type) + "/" + protocol);
    }

    /** The table for {@code net:protocols}, in registration order. */
    public List<ProtoSwInfo> list() {
        List<ProtoSwInfo> out = new ArrayList<>();
        for (ProtoEntry e : table) {
            out.add(e.info(uses(e.name())));
        }
        return out;
    }

    /** The entry with that name, or null. */
    public ProtoEntry entry(String name) {
        for (ProtoEntry e : table) {
            if (e.name().equals(name)) {
                return e;
            }
        }
        return null;
    }

    /** Services refused and still registered, for {@code net:diag}. */
    public List<Refusal> refusals() {
        return refusalsView;
    }

    /**
     * A stack instance was created: every registered protocol (unless unloading) runs its
     * {@code init} there.
     *
     * @throws IllegalArgumentException when an instance of that name is known already
     */
    public void addVnet(VnetHooks hooks) {
        Objects.requireNonNull(hooks, "hooks");
        config.lock();
        try {
            if (vnets.containsKey(hooks.name())) {
                throw new IllegalArgumentException("vnet " + hooks.name() + " is already known to the protocol switch");
            }
            vnets.put(hooks.name(), hooks);
            firstVnet = vnets.values().iterator().next();
            for (DomainEntry d : domains.values()) {
                initDomain(d, hooks);
            }
            for (ProtoEntry e : table) {
                if (e.state() != ProtoState.UNLOADING && e.sw() != null) {
                    initInstance(e, hooks);
                }
            }
        } finally {
            config.unlock();
        }
    }

    /**
     * A stack instance goes away: every socket of every protocol in it is aborted, then each
     * protocol's instance is destroyed and its context closed (bounded like an unload).
     * Unknown names are ignored.
     */
    public void removeVnet(String name) {
        List<ProtoInstance> instances = new ArrayList<>();
        config.lock();
        try {
            if (vnets.remove(name) == null) {
                return;
            }
            firstVnet = vnets.isEmpty() ? null : vnets.values().iterator().next();
            for (ProtoEntry e : table) {
                ProtoInstance pi = e.removeInstance(name);
                if (pi != null) {
                    instances.add(pi);
                }
            }
        } finally {
            config.unlock();
        }
        // upper protocols first, so none of them finds its lower one gone under it
        java.util.TreeMap<Integer, List<ProtoInstance>> byLevel = new java.util.TreeMap<>(java.util.Comparator.reverseOrder());
        for (ProtoInstance pi : instances) {
            byLevel.computeIfAbsent(level(pi.entry().name(), 0), k -> new ArrayList<>()).add(pi);
        }
        for (List<ProtoInstance> layer : byLevel.values()) {
            teardown(layer, "vnet " + name + " removal");
        }
        List<DomainEntry> doms;
        config.lock();
        try {
            doms = new ArrayList<>(domains.values());
        } finally {
            config.unlock();
        }
        for (DomainEntry d : doms) {
            destroyDomain(d, name);
        }
        for (ProtoEntry e : table) {
            if (e.state() == ProtoState.DRAINING) {
                e.checkDrained();
            }
        }
    }

    // ---- domains (domain_add) --------------------------------------------------------------

    /**
     * Adds a domain: it runs its {@code init} in every known stack instance, then the switch
     * entries that waited for its family start.
     *
     * @return the refusal (EEXIST for a family or name already served, EINVAL for a bad
     *         description), or null when accepted
     */
    public Refusal registerDomain(Domain d, String owner) {
        Objects.requireNonNull(d, "domain");
        String who = owner == null ? "(unknown bundle)" : owner;
        List<WaitingEntry> ready = new ArrayList<>();
        config.lock();
        try {
            if (byDomain.containsKey(d)) {
                return refuseDomain(d, who, "domain", Errno.EEXIST, "this domain service is already registered");
            }
            int family;
            String name;
            try {
                family = d.family();
                name = d.name();
            } catch (RuntimeException | LinkageError e) {
                return refuseDomain(d, who, "domain", Errno.EINVAL, "family() or name() failed: " + e);
            }
            String what = "domain " + name + " (af" + family + ")";
            if (family < 1 || name == null || name.isBlank() || name.chars().anyMatch(Character::isWhitespace)) {
                return refuseDomain(d, who, what, Errno.EINVAL,
                        "a domain needs a family of at least 1 and a short name without spaces");
            }
            DomainEntry taken = domains.get(family);
            if (taken != null) {
                LOG.error("domain {} from {} refused: family {} is already served by domain {} from {}", name, who, family,
                        taken.name(), taken.owner());
                return refuseDomain(d, who, what, Errno.EEXIST,
                        "family " + family + " is already served by domain " + taken.name() + " from " + taken.owner());
            }
            for (DomainEntry o : domains.values()) {
                if (o.name().equals(name)) {
                    LOG.error("domain {} (af{}) from {} refused: the name {} is already used by af{} from {}", name, family,
                            who, name, o.family(), o.owner());
                    return refuseDomain(d, who, what, Errno.EEXIST,
                            "the name " + name + " is already used by af" + o.family() + " from " + o.owner());
                }
            }
            if (refusedDomains.remove(d) != null) {
                domainRefusalsView = List.copyOf(refusedDomains.values());
            }
            DomainEntry entry = new DomainEntry(d, family, name, who);
            for (VnetHooks hooks : vnets.values()) {
                initDomain(entry, hooks);
            }
            domains.put(family, entry);
            byDomain.put(d, entry);
            domainsView = Map.copyOf(domains);
            DomainNames.put(family, name);
            for (var it = waiting.iterator(); it.hasNext();) {
                WaitingEntry w = it.next();
                if (w.descriptor().domain() == family) {
                    ready.add(w);
                    it.remove();
                }
            }
            waitingView = List.copyOf(waiting);
            LOG.info("domain {} (af{}) from {} registered{}", name, family, who,
                    ready.isEmpty() ? "" : "; starting " + ready.size() + " protocol(s) that waited for it");
            for (WaitingEntry w : ready) {
                register(w.sw(), w.properties(), w.owner());
            }
            return null;
        } finally {
            config.unlock();
        }
    }

    // config held
    private Refusal refuseDomain(Domain d, String owner, String what, Errno errno, String message) {
        Refusal r = new Refusal(owner, what, errno, message, Instant.now());
        if (errno != Errno.EEXIST) {
            LOG.error("{} from {} refused: {}", what, owner, message);
        }
        if (!byDomain.containsKey(d)) {
            refusedDomains.put(d, r);
            domainRefusalsView = List.copyOf(refusedDomains.values());
        }
        return r;
    }

    // config held
    private void initDomain(DomainEntry d, VnetHooks hooks) {
        ScopedContext ctx;
        try {
            ctx = hooks.newContext("domain " + d.name(), org.protosw.internal.priv.Cred.ofOwner(d.owner()));
        } catch (RuntimeException e) {
            LOG.error("domain {} cannot run in vnet {}: no context for it", d.name(), hooks.name(), e);
            return;
        }
        try {
            Object state = d.domain().init(ctx);
            d.put(hooks.name(), new DomainEntry.Instance(state, ctx));
        } catch (SocketException | RuntimeException | LinkageError e) {
            LOG.error("domain {} from {} failed to initialise in vnet {}; its protocols do not run there", d.name(),
                    d.owner(), hooks.name(), e);
            ctx.close();
        }
    }

    private void destroyDomain(DomainEntry d, String vnet) {
        DomainEntry.Instance i = d.remove(vnet);
        if (i == null) {
            return;
        }
        try {
            d.domain().destroy(i.state());
        } catch (RuntimeException | LinkageError e) {
            LOG.error("domain {} in vnet {}: destroy failed", d.name(), vnet, e);
        }
        i.ctx().close();
    }

    /**
     * A domain goes away: its switch entries are unloaded (their sockets aborted, upper
     * protocols first) and wait again for the family; then its state in every instance is
     * destroyed. A refused domain is only forgotten.
     */
    public void unregisterDomain(Domain d) {
        DomainEntry entry;
        List<ProtoEntry> entries = new ArrayList<>();
        config.lock();
        try {
            if (refusedDomains.remove(d) != null) {
                domainRefusalsView = List.copyOf(refusedDomains.values());
                return;
            }
            entry = byDomain.get(d);
            if (entry == null) {
                return;
            }
            for (ProtoEntry e : order) {
                if (e.descriptor().domain() == entry.family()) {
                    entries.add(e);
                }
            }
        } finally {
            config.unlock();
        }
        LOG.info("domain {} from {} unregistering: unloading {} protocol(s) of it", entry.name(), entry.owner(), entries.size());
        List<WaitingEntry> again = new ArrayList<>();
        for (ProtoEntry e : entries) {
            ProtoSw sw = e.sw();
            if (sw == null) {
                continue;
            }
            unregister(sw);
            again.add(new WaitingEntry(sw, e.properties(), e.owner(), e.descriptor()));
        }
        config.lock();
        try {
            domains.remove(entry.family(), entry);
            byDomain.remove(d);
            domainsView = Map.copyOf(domains);
            waiting.addAll(again);
            waitingView = List.copyOf(waiting);
            for (String v : new ArrayList<>(entry.instances().keySet())) {
                destroyDomain(entry, v);
            }
        } finally {
            config.unlock();
        }
        LOG.info("domain {} (af{}) from {} unregistered", entry.name(), entry.family(), entry.owner());
    }

    /** The domain serving {@code family}, or null. */
    public DomainEntry domain(int family) {
        return domainsView.get(family);
    }

    /** The registered domains by family. */
    public List<DomainEntry> domains() {
        List<DomainEntry> l = new ArrayList<>(domainsView.values());
        l.sort(java.util.Comparator.comparingInt(DomainEntry::family));
        return l;
    }

    /** Switch entries waiting for their domain, for {@code net:diag}. */
    public List<WaitingEntry> waiting() {
        return waitingView;
    }

    /** Domains refused and still registered, for {@code net:diag}. */
    public List<Refusal> domainRefusals() {
        return domainRefusalsView;
    }

    /**
     * Parses an address of {@code family} with its domain's parser.
     *
     * @throws SocketException EAFNOSUPPORT without a domain, EINVAL with the domain's message
     */
    public SockAddr parseAddress(int family, String text) throws SocketException {
        DomainEntry d = domain(family);
        if (d == null) {
            throw new SocketException(Errno.EAFNOSUPPORT, "no domain serves address family " + family);
        }
        try {
            SockAddr a = d.domain().parseAddress(text);
            if (a == null) {
                throw new SocketException(Errno.EINVAL, d.name() + " address '" + text + "': the domain parsed nothing");
            }
            return a;
        } catch (IllegalArgumentException e) {
            throw new SocketException(Errno.EINVAL, e.getMessage());
        } catch (RuntimeException | LinkageError e) {
            throw new SocketException(Errno.EINVAL, d.name() + " address '" + text + "': the domain's parser failed: " + e);
        }
    }

    /** An address as its domain formats it (its toString when no domain or the domain fails). */
    public String formatAddress(SockAddr a) {
        if (a == null) {
            return "";
        }
        DomainEntry d = domain(a.family());
        if (d != null) {
            try {
                String s = d.domain().formatAddress(a);
                if (s != null) {
                    return s;
                }
            } catch (RuntimeException | LinkageError e) {
                // fall through to the address's own text
            }
        }
        return String.valueOf(a);
    }

    /** Names of the known stack instances. */
    public List<String> vnets() {
        config.lock();
        try {
            return List.copyOf(vnets.keySet());
        } finally {
            config.unlock();
        }
    }
}
