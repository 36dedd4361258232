package org.protosw.internal.sw;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.ReentrantLock;

import org.protosw.socket.Errno;
import org.protosw.socket.SocketConstants;
import org.protosw.socket.SocketException;
import org.protosw.spi.ProtoSw;
import org.protosw.spi.Protocol;
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

    /** How long unregister waits for calls in flight to leave, unless configured otherwise. */
    public static final Duration DEFAULT_UNLOAD_TIMEOUT = Duration.ofSeconds(10);

    private final ReentrantLock config = new ReentrantLock();
    // guarded by config
    private final Map<ProtoSw, ProtoEntry> bySw = new IdentityHashMap<>();
    /** Registration order: protocol 0 picks the first entry that fits, as in a protosw array. */
    private final List<ProtoEntry> order = new ArrayList<>();
    private final Map<ProtoSw, Refusal> refused = new IdentityHashMap<>();
    private final Map<String, VnetHooks> vnets = new LinkedHashMap<>();
    // read without locking by find(); replaced under config
    private volatile ProtoEntry[] table = new ProtoEntry[0];
    private volatile List<Refusal> refusalsView = List.of();
    private volatile Duration unloadTimeout;
    /**
     * Every (domain, type) a protocol ever served here: once its protocol is unloaded, a
     * socket of that kind fails with EPROTONOSUPPORT (DESIGN.md, unload), not as if the
     * domain never had the type.
     */
    private final Set<Long> everServed = ConcurrentHashMap.newKeySet();

    public ProtoSwRegistry() {
        this(DEFAULT_UNLOAD_TIMEOUT);
    }

    public ProtoSwRegistry(Duration unloadTimeout) {
        setUnloadTimeout(unloadTimeout);
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
            ProtoEntry entry = new ProtoEntry(d, who, sw);
            for (VnetHooks hooks : vnets.values()) {
                initInstance(entry, hooks);
            }
            bySw.put(sw, entry);
            order.add(entry);
            everServed.add(kind(d.domain(), d.type()));
            publish();
            LOG.info("protocol {} from {} registered ({} flags {})", d.name(), who, d.triple(), d.flagNames());
            return new RegisterResult.Accepted(entry);
        } finally {
            config.unlock();
        }
    }

    // config held
    private RegisterResult refuse(ProtoSw sw, String owner, String what, Errno errno, String message) {
        Refusal r = new Refusal(owner, what, errno, message, Instant.now());
        if (errno != Errno.EEXIST) {
            LOG.error("protocol switch entry {} from {} refused: {}", what, owner, message);
        }
        if (!bySw.containsKey(sw)) {
            refused.put(sw, r);
            refusalsView = List.copyOf(refused.values());
        }
        return new RegisterResult.Refused(r);
    }

    // config held; a failing init leaves that instance without the protocol
    private void initInstance(ProtoEntry entry, VnetHooks hooks) {
        ProtoSw sw = entry.sw();
        String name = entry.descriptor().name();
        ScopedContext ctx;
        try {
            ctx = hooks.newContext(name);
        } catch (RuntimeException e) {
            LOG.error("protocol {} cannot run in vnet {}: no context for it", name, hooks.name(), e);
            return;
        }
        try {
            Protocol p = sw.init(ctx);
            if (p == null) {
                throw new IllegalStateException("init returned null");
            }
            ctx.bindProtocol(p);
            entry.putInstance(new ProtoInstance(entry, hooks.name(), p, ctx));
        } catch (SocketException | RuntimeException | LinkageError e) {
            LOG.error("protocol {} from {} failed to initialise in vnet {}; that instance runs without it",
                    name, entry.owner(), hooks.name(), e);
            try {
                ctx.close();
            } catch (RuntimeException ce) {
                LOG.error("closing the context of {} in vnet {} failed", name, hooks.name(), ce);
            }
        }
    }

    // config held
    private void publish() {
        table = order.toArray(new ProtoEntry[0]);
    }

    /**
     * Removes a protocol switch entry: the unload sequence of DESIGN.md ("socket
     * lifecycle", point 4). New sockets are refused at once; every open socket is aborted
     * (blocked callers wake with ECONNABORTED); the calls in flight get
     * {@link #unloadTimeout()} to leave; each pcb is detached once; then every
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
            entry = bySw.get(sw);
            if (entry == null) {
                return;
            }
            entry.setState(ProtoState.UNLOADING);
            instances = entry.instances();
        } finally {
            config.unlock();
        }
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
     * Closes the instances, aborts their sockets, waits (bounded) for calls in flight, then
     * destroys each instance now or when its last call leaves.
     */
    private void teardown(List<ProtoInstance> instances, String why) {
        List<AttachedSocket> toAbort = new ArrayList<>();
        for (ProtoInstance pi : instances) {
            toAbort.addAll(pi.close());
        }
        for (AttachedSocket so : toAbort) {
            try {
                so.abortByCore();
            } catch (RuntimeException e) {
                LOG.error("{}: aborting {} failed", why, so.describe(), e);
            }
        }
        long deadline = System.nanoTime() + unloadTimeout.toNanos();
        for (ProtoInstance pi : instances) {
            if (!pi.awaitQuiet(deadline)) {
                logStuck(pi, why);
            }
            pi.teardownNowOrWhenQuiet();
        }
    }

    private void logStuck(ProtoInstance pi, String why) {
        StringBuilder sb = new StringBuilder();
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
        LOG.error("{}: calls in flight did not leave {} within {} ms; those sockets are detached, and {} destroyed, "
                + "when their last call leaves:{}", why, pi, unloadTimeout.toMillis(), pi, sb);
    }

    /**
     * Stops new sockets of the named protocol (EPROTONOSUPPORT) while the existing ones keep
     * working. The future completes when the last socket has closed.
     *
     * @throws SocketException ENOENT when no protocol has that name, EINVAL when it is unloading
     */
    public CompletableFuture<Void> drain(String name) throws SocketException {
        config.lock();
        try {
            ProtoEntry e = byName(name);
            if (e.state() == ProtoState.UNLOADING) {
                throw new SocketException(Errno.EINVAL, "protocol " + name + " is unloading");
            }
            CompletableFuture<Void> f = e.startDrain();
            LOG.info("protocol {} draining: new sockets are refused, {} open socket(s) keep working", name, e.openSockets());
            return f;
        } finally {
            config.unlock();
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
     * @throws SocketException EAFNOSUPPORT for a domain no entry serves, ESOCKTNOSUPPORT for
     *         a type the domain lacks, EPROTONOSUPPORT otherwise (also while draining/unloading,
     *         and once the protocols of a type are unloaded while the domain keeps others)
     */
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
            if (e.state() != ProtoState.ACTIVE) {
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
        if (!domainKnown) {
            throw new SocketException(Errno.EAFNOSUPPORT, "socket: no protocol of domain " + SocketConstants.domainName(domain) + " is loaded");
        }
        if (!typeKnown && everServed.contains(kind(domain, type))) {
            throw new SocketException(Errno.EPROTONOSUPPORT, "socket: no protocol serving "
                    + SocketConstants.domainName(domain) + "/" + SocketConstants.typeName(type) + " is loaded any more");
        }
        if (!typeKnown) {
            throw new SocketException(Errno.ESOCKTNOSUPPORT, "socket: domain " + SocketConstants.domainName(domain)
                    + " has no " + SocketConstants.typeName(type) + " protocol loaded");
        }
        throw new SocketException(Errno.EPROTONOSUPPORT, "socket: no active protocol serves "
                + SocketConstants.domainName(domain) + "/" + SocketConstants.typeName(type) + "/" + protocol);
    }

    private static long kind(int domain, int type) {
        return (long) domain << 32 | (type & 0xffffffffL);
    }

    /** The table for {@code net:protocols}, in registration order. */
    public List<ProtoSwInfo> list() {
        List<ProtoSwInfo> out = new ArrayList<>();
        for (ProtoEntry e : table) {
            out.add(e.info());
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
            for (ProtoEntry e : table) {
                ProtoInstance pi = e.removeInstance(name);
                if (pi != null) {
                    instances.add(pi);
                }
            }
        } finally {
            config.unlock();
        }
        teardown(instances, "vnet " + name + " removal");
        for (ProtoEntry e : table) {
            if (e.state() == ProtoState.DRAINING) {
                e.checkDrained();
            }
        }
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
