package org.protosw.internal.sw;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

import org.protosw.socket.Errno;
import org.protosw.socket.SocketException;
import org.protosw.spi.ProtoContext;
import org.protosw.spi.Protocol;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One protocol in one stack instance: the {@link Protocol} its {@code init} returned, the
 * context it runs with, and the sockets whose pcbs it attached.
 *
 * <p>The socket set changes only when a socket is created or detached (never on the data
 * path). Once the instance is closed (protocol unload, vnet removal) no socket joins it
 * any more; when the last one has left, {@link Protocol#destroy()} runs and then the
 * context is closed, exactly once.
 */
public final class ProtoInstance {
    private static final Logger LOG = LoggerFactory.getLogger(ProtoInstance.class);

    private final ProtoEntry entry;
    private final String vnet;
    private volatile Protocol protocol;
    private volatile ScopedContext context;

    private final LongAdder callsInFlight = new LongAdder();
    private final UpgradeGate gate = new UpgradeGate();

    private final ReentrantLock lock = new ReentrantLock();
    private final Condition quiet = lock.newCondition();
    // guarded by lock
    private final Set<AttachedSocket> sockets = new HashSet<>();
    private int creating;
    private boolean closed;
    private boolean teardownWhenQuiet;
    private boolean tornDown;

    ProtoInstance(ProtoEntry entry, String vnet, Protocol protocol, ScopedContext context) {
        this.entry = entry;
        this.vnet = vnet;
        this.protocol = protocol;
        this.context = context;
    }

    public ProtoEntry entry() {
        return entry;
    }

    public String vnet() {
        return vnet;
    }

    /** The protocol's per-instance half; null once torn down. */
    public Protocol protocol() {
        return protocol;
    }

    /** The context the protocol runs with in this instance; null once torn down. */
    public ProtoContext context() {
        return context;
    }

    /**
     * Starts creating a socket (a user's socket(2), or {@code sonewconn} for a connection on
     * a listener: {@code child}). Must be paired with {@link #endCreate()}.
     *
     * @throws SocketException EPROTONOSUPPORT when the protocol is going away (or, for a
     *         user's socket, draining)
     */
    public void beginCreate(boolean child) throws SocketException {
        for (;;) {
            lock.lock();
            try {
                // a user's socket(2) waits while the protocol is frozen for an upgrade; a
                // connection made by the protocol's own input (child) is counted by its
                // input already and must not wait, or the upgrade would wait for itself
                if (child || !gate.isClosed()) {
                    ProtoState st = entry.state();
                    if (closed || st == ProtoState.UNLOADING
                            || (!child && st != ProtoState.ACTIVE && st != ProtoState.UPGRADING)) {
                        throw new SocketException(Errno.EPROTONOSUPPORT,
                                entry.descriptor().name() + " is " + (closed ? "unloading" : st.label()) + ": no new sockets");
                    }
                    creating++;
                    return;
                }
            } finally {
                lock.unlock();
            }
            if (!gate.awaitOpen(true)) {
                throw new SocketException(Errno.EINTR, "socket: interrupted while " + entry.name() + " was being upgraded");
            }
        }
    }

    /** The gate of a live upgrade in front of this instance's pcbs. */
    public UpgradeGate gate() {
        return gate;
    }

    /** Closes the gate: from now on new user requests and socket(2) calls wait. */
    void freezeGate() {
        lock.lock();
        try {
            gate.close();
        } finally {
            lock.unlock();
        }
    }

    /** Opens the gate again (the upgrade ended, either way). */
    void openGate() {
        gate.open();
    }

    /** Waits until no socket is being created and no caller is inside a pcb, or the deadline. */
    boolean awaitOutOfProtocol(long deadlineNanos) {
        return gate.awaitQuiet(() -> {
            lock.lock();
            try {
                if (creating > 0) {
                    return false;
                }
                for (AttachedSocket so : sockets) {
                    if (!so.outOfProtocol()) {
                        return false;
                    }
                }
                return true;
            } finally {
                lock.unlock();
            }
        }, deadlineNanos);
    }

    /** The new revision took over: its per-instance half and context serve from now on. */
    void revive(Protocol p, ScopedContext ctx) {
        this.protocol = p;
        this.context = ctx;
    }

    /** The old revision's half was exported and destroyed; its context closed. */
    void forgetProtocol() {
        this.protocol = null;
        this.context = null;
    }

    /** Where the old revision's context is (the upgrade closes it after the export). */
    ScopedContext scopedContext() {
        return context;
    }

    /**
     * Adds a socket whose pcb was attached. False when the instance closed meanwhile: the
     * caller then aborts the socket itself.
     */
    public boolean insert(AttachedSocket so) {
        lock.lock();
        try {
            if (closed) {
                return false;
            }
            sockets.add(so);
            return true;
        } finally {
            lock.unlock();
        }
    }

    /** Ends what {@link #beginCreate} started, whether a socket came of it or not. */
    public void endCreate() {
        boolean teardown;
        lock.lock();
        try {
            creating--;
            teardown = becameQuiet();
        } finally {
            lock.unlock();
        }
        if (gate.isClosed()) {
            gate.left();
        }
        afterChange(teardown);
    }

    /** A socket of this instance was detached: it leaves the set. */
    public void detached(AttachedSocket so) {
        boolean teardown;
        lock.lock();
        try {
            if (!sockets.remove(so)) {
                return;
            }
            teardown = becameQuiet();
        } finally {
            lock.unlock();
        }
        afterChange(teardown);
    }

    // lock held
    private boolean becameQuiet() {
        if (sockets.isEmpty() && creating == 0) {
            quiet.signalAll();
            if (teardownWhenQuiet && !tornDown) {
                tornDown = true;
                return true;
            }
        }
        return false;
    }

    private void afterChange(boolean teardown) {
        if (teardown) {
            LOG.info("{} in vnet {}: the last call in flight left; detached late, now destroying the protocol instance",
                    entry.descriptor().name(), vnet);
            destroyAndClose();
        }
        if (entry.state() == ProtoState.DRAINING) {
            entry.checkDrained();
        }
    }

    /** A user request of a socket of this protocol started (lock-free). */
    public void callEntered() {
        callsInFlight.increment();
    }

    /** ... and ended. */
    public void callLeft() {
        callsInFlight.decrement();
    }

    public long callsInFlight() {
        return callsInFlight.sum();
    }

    /** Sockets attached and not yet detached. */
    public int openSockets() {
        lock.lock();
        try {
            return sockets.size();
        } finally {
            lock.unlock();
        }
    }

    /** The protocol's {@code netstat -s} counters; empty once torn down or when it fails. */
    public Map<String, Long> statistics() {
        Protocol p = protocol;
        if (p == null) {
            return Map.of();
        }
        try {
            Map<String, Long> s = p.statistics();
            return s == null ? Map.of() : s;
        } catch (RuntimeException | LinkageError e) {
            LOG.warn("{} in vnet {}: statistics() failed", entry.descriptor().name(), vnet, e);
            return Map.of();
        }
    }

    /** Refuses further sockets and returns those still attached, to be aborted. */
    List<AttachedSocket> close() {
        lock.lock();
        try {
            closed = true;
            return new ArrayList<>(sockets);
        } finally {
            lock.unlock();
        }
    }

    /** Waits until every socket left and no creation is running, or until the deadline. */
    boolean awaitQuiet(long deadlineNanos) {
        lock.lock();
        try {
            while (!sockets.isEmpty() || creating > 0) {
                long left = deadlineNanos - System.nanoTime();
                if (left <= 0) {
                    return false;
                }
                try {
                    quiet.awaitNanos(Math.min(left, TimeUnit.MILLISECONDS.toNanos(100)));
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return false;
                }
            }
            return true;
        } finally {
            lock.unlock();
        }
    }

    /** Sockets still attached (for the log line naming what did not leave in time). */
    List<AttachedSocket> remaining() {
        lock.lock();
        try {
            return new ArrayList<>(sockets);
        } finally {
            lock.unlock();
        }
    }

    /** True once {@link Protocol#destroy()} ran (or was decided to run). */
    boolean tornDown() {
        lock.lock();
        try {
            return tornDown;
        } finally {
            lock.unlock();
        }
    }

    /**
     * Destroys the protocol instance now if it is quiet, else as soon as the last socket
     * leaves. Returns true when it ran now.
     */
    boolean teardownNowOrWhenQuiet(long destroyWaitMillis) {
        this.destroyWaitMillis = destroyWaitMillis;
        lock.lock();
        try {
            if (tornDown) {
                return true;
            }
            if (!sockets.isEmpty() || creating > 0) {
                teardownWhenQuiet = true;
                return false;
            }
            tornDown = true;
        } finally {
            lock.unlock();
        }
        destroyAndClose();
        return true;
    }

    /** How long {@link Protocol#destroy()} may take before the core goes on without it (net.protosw.unload_wait_ms). */
    private volatile long destroyWaitMillis = ProtoSwRegistry.DEFAULT_UNLOAD_TIMEOUT.toMillis();

    private void destroyAndClose() {
        Protocol p = protocol;
        ScopedContext ctx = context;
        if (p != null) {
            destroyBounded(p);
        }
        if (ctx != null) {
            try {
                ctx.close();
            } catch (RuntimeException e) {
                LOG.error("{} in vnet {}: closing its context failed", entry.descriptor().name(), vnet, e);
            }
        }
        // the bundle's class loader must be collectable: keep no reference to its objects
        protocol = null;
        context = null;
        entry.instanceGone(this);
    }

    /**
     * Runs the protocol's destroy on a thread of its own and waits for it at most
     * {@link #destroyWaitMillis}: a destroy that blocks (on a lock its own stuck thread holds,
     * on a peer that never answers) must not hold the unload, the bundle's stop or the
     * runtime's shutdown. After the wait the context is closed under it all the same (timers
     * stopped, registrations removed); the thread stays where it is, named in the log.
     */
    private void destroyBounded(Protocol p) {
        String stuck = BoundedCall.run("protosw destroy (" + entry.descriptor().name() + " in vnet " + vnet + ")",
                destroyWaitMillis, () -> {
                    try {
                        p.destroy();
                    } catch (RuntimeException | LinkageError e) {
                        entry.faults().report(ProtoFaults.Where.TEARDOWN, "destroy", "vnet " + vnet, e);
                    }
                });
        if (stuck != null) {
            entry.faults().report(ProtoFaults.Where.TEARDOWN, "destroy", "vnet " + vnet,
                    new IllegalStateException("Protocol.destroy() did not return within " + destroyWaitMillis
                            + " ms (net.protosw.unload_wait_ms); going on without it: its context is closed, " + stuck
                            + " stays inside"));
        }
    }

    @Override
    public String toString() {
        return entry.descriptor().name() + "@" + vnet;
    }
}
