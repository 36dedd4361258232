package org.protosw.internal.kern;

import org.protosw.internal.priv.Cred;
import org.protosw.internal.priv.Priv;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

import org.protosw.internal.socket.SockBufs;
import org.protosw.internal.sw.ScopedContext;
import org.protosw.socket.Errno;
import org.protosw.socket.SocketException;
import org.protosw.spi.KernSocket;
import org.protosw.spi.SoUpcall;
import org.protosw.spi.Callout;
import org.protosw.spi.IcmpError;
import org.protosw.spi.IfNet;
import org.protosw.spi.InPcbTable;
import org.protosw.spi.IpInput;
import org.protosw.spi.Packet;
import org.protosw.spi.Pfil;
import org.protosw.spi.PfilHook;
import org.protosw.spi.Protocol;
import org.protosw.spi.Registration;
import org.protosw.spi.Route;
import org.protosw.spi.StringTunable;
import org.protosw.spi.SockBuf;
import org.protosw.spi.Sysctls;
import org.protosw.spi.Tunable;

/**
 * The context one protocol (or module) gets in one stack instance. It remembers everything
 * registered through it, so that {@link #close()} leaves nothing of the protocol reachable
 * from the core, even when the protocol forgets to clean up: that is what lets an
 * unloaded bundle's class loader be collected.
 */
final class ScopedContextImpl implements ScopedContext {
    private final Vnet vnet;
    private final String owner;
    private final List<AutoCloseable> undo = new ArrayList<>();
    private volatile Protocol protocol;
    private volatile Object domainState;
    /** Where the protocol's input, ctlinput and timer failures go; null for a module that is no protocol. */
    private volatile org.protosw.internal.sw.ProtoFaults faults;
    private volatile boolean closed;
    private final Sysctls scopedSysctls;
    private final Pfil scopedPfil;
    /** Whose code this context serves: what it opens that needs a right is checked against it. */
    private final Cred cred;
    /** Threads inside the protocol's input or ctlinput through this context (see {@link #quiesce}). */
    private final java.util.concurrent.atomic.AtomicInteger inInput = new java.util.concurrent.atomic.AtomicInteger();
    /** Protocol numbers registered through this context. */
    private final List<Integer> protos = new java.util.concurrent.CopyOnWriteArrayList<>();
    /** A pfil hook registered through this context, and the hold its packets go to during an upgrade. */
    private static final class HookEntry {
        final String name;
        final int directions;
        final int order;
        volatile org.protosw.internal.sw.PfilHold hold;

        HookEntry(String name, int directions, int order) {
            this.name = name;
            this.directions = directions;
            this.order = order;
        }
    }

    /** Pfil hooks registered through this context. */
    private final List<HookEntry> hooks = new java.util.concurrent.CopyOnWriteArrayList<>();
    /** Set by {@link #quiesce}: input goes to these holds instead of the protocol. */
    private volatile java.util.Map<Integer, org.protosw.internal.sw.InputHold> diverted;
    /** Timers armed while deferred (a new revision importing), started by {@link #resumeTimers()}. */
    private final List<DeferrableCallout> deferred = new ArrayList<>();
    private volatile boolean deferring;

    ScopedContextImpl(Vnet vnet, String owner, Cred cred) {
        this.vnet = vnet;
        this.owner = owner;
        this.cred = cred;
        this.scopedSysctls = new Sysctls() {
            @Override
            public Tunable register(String name, long defaultValue, long min, long max, String description) {
                Tunable t = vnet.sysctl().register(name, defaultValue, min, max, description);
                remember(t);
                return t;
            }

            @Override
            public Tunable register(String name, long defaultValue, long min, long max, String description,
                    java.util.function.LongConsumer onSet) {
                Tunable t = vnet.sysctl().register(name, defaultValue, min, max, description, onSet);
                remember(t);
                return t;
            }

            @Override
            public StringTunable registerString(String name, String defaultValue, StringTunable.Check check, String description) {
                StringTunable t = vnet.sysctl().registerString(name, defaultValue, check, description);
                remember(t);
                return t;
            }

            @Override
            public Tunable find(String name) {
                return vnet.sysctl().find(name);
            }

            @Override
            public StringTunable findString(String name) {
                return vnet.sysctl().findString(name);
            }
        };
        this.scopedPfil = new Pfil() {
            @Override
            public Registration addHook(String name, int directions, int order, PfilHook hook) {
                try {
                    vnet.privs().check(cred, Priv.NET_PFIL, "pfil hook " + name + " of " + owner);
                } catch (SocketException e) {
                    throw new SecurityException(e.getMessage(), e);
                }
                // counted in and out as input is, and sent to the hold while the protocol is
                // upgraded (see quiesce): no packet runs the old revision's hook after its export
                HookEntry entry = new HookEntry(name, directions, order);
                Registration r = vnet.ip().pfil().addHook(name, directions, order, (p, dir, ifp) -> {
                    inInput.incrementAndGet();
                    try {
                        org.protosw.internal.sw.PfilHold h = entry.hold;
                        if (h != null) {
                            return h.take(p, dir, ifp);
                        }
                        return hook.check(p, dir, ifp);
                    } finally {
                        inInput.decrementAndGet();
                    }
                });
                hooks.add(entry);
                Registration tracked = () -> {
                    hooks.remove(entry);
                    r.close();
                };
                remember(tracked);
                return tracked;
            }

            @Override
            public void reinject(Packet p, int direction, IfNet ifp, int order) {
                vnet.ip().pfil().reinject(p, direction, ifp, order);
            }

            @Override
            public Packet reassemble(Packet p) {
                return vnet.ip().pfil().reassemble(p);
            }
        };
    }

    /** The stack instance, for the core's own protocols (raw IP) that need more than the SPI. */
    Vnet vnetInternal() {
        return vnet;
    }

    private void remember(AutoCloseable c) {
        synchronized (undo) {
            if (closed) {
                closeQuietly(c);
                throw new IllegalStateException(owner + " in vnet " + vnet.name() + " has left the stack");
            }
            undo.add(c);
        }
    }

    private void forget(AutoCloseable c) {
        synchronized (undo) {
            undo.remove(c);
        }
    }

    @Override
    public void bindProtocol(Protocol p) {
        this.protocol = p;
    }

    @Override
    public void bindDomainState(Object state) {
        this.domainState = state;
    }

    @Override
    public void bindFaults(org.protosw.internal.sw.ProtoFaults faults) {
        this.faults = faults;
    }

    @Override
    public <T> T domainState(Class<T> type) {
        Object st = domainState;
        return st == null ? null : type.cast(st);
    }

    @Override
    public KernSocket socreate(int domain, int type, int protocol, SoUpcall upcall) throws SocketException {
        if (closed) {
            throw new SocketException(Errno.EPROTONOSUPPORT, "socreate: " + owner + " has left vnet " + vnet.name());
        }
        // a detached socket is let go at once: it references the lower protocol's pcb, whose
        // bundle must be collectable after it left, and an owner that reopens its lower socket
        // after each return of the lower protocol would otherwise pile them up here
        vnet.sockets().privCheck(domain, type, cred);
        KernSocket so = vnet.sockets().kernSocket(domain, type, protocol, owner, upcall, this::forget);
        try {
            remember(so);
        } catch (IllegalStateException e) {
            throw new SocketException(Errno.EPROTONOSUPPORT, "socreate: " + owner + " has left vnet " + vnet.name());
        }
        if (so.isAborted()) {
            // aborted (and so detached, or about to be) before it was remembered
            forget(so);
        }
        return so;
    }

    @Override
    public String vnet() {
        return vnet.name();
    }

    @Override
    public Packet allocate(int len) {
        return PacketPool.allocate(Packet.DEFAULT_HEADROOM, len);
    }

    @Override
    public void ipOutput(Packet p, int src, int dst, int proto, int ttl, int tos, int flags) throws SocketException {
        vnet.ip().output(p, src, dst, proto, ttl, tos, flags);
    }

    @Override
    public Registration ipprotoRegister(int proto, IpInput input) throws SocketException {
        Consumer<IcmpError> ctl = e -> {
            inInput.incrementAndGet();
            try {
                Protocol p = protocol;
                if (p != null && diverted == null) {
                    p.ctlinput(e);
                }
            } catch (RuntimeException | LinkageError ex) {
                if (!failed(ex, org.protosw.internal.sw.ProtoFaults.Where.INPUT, "ctlinput of IP protocol " + proto)) {
                    throw ex;
                }
            } finally {
                inInput.decrementAndGet();
            }
        };
        // counted in and out, so an upgrade knows when no thread is inside the protocol's
        // input any more; after quiesce a thread that looked the handler up just before the
        // hold replaced it sees the diversion here (it counted itself in first)
        IpInput counted = (p, hlen) -> {
            inInput.incrementAndGet();
            try {
                java.util.Map<Integer, org.protosw.internal.sw.InputHold> d = diverted;
                if (d != null) {
                    org.protosw.internal.sw.InputHold h = d.get(proto);
                    if (h instanceof IpInput hi) {
                        hi.input(p, hlen);
                    }
                    return;
                }
                input.input(p, hlen);
            } catch (RuntimeException | LinkageError ex) {
                // the packet is dropped; the thread (an input worker, or a sender under direct
                // dispatch) goes on with the next one
                if (!failed(ex, org.protosw.internal.sw.ProtoFaults.Where.INPUT, "input of IP protocol " + proto)) {
                    throw ex;
                }
            } finally {
                inInput.decrementAndGet();
            }
        };
        Registration r = vnet.ip().register(proto, counted, ctl);
        Registration tracked = () -> {
            protos.remove((Integer) proto);
            r.close();
        };
        protos.add(proto);
        remember(tracked);
        return tracked;
    }

    @Override
    public List<org.protosw.internal.sw.InputHold> quiesce(int holdLimit, long deadlineNanos) {
        java.util.Map<Integer, org.protosw.internal.sw.InputHold> m = new java.util.LinkedHashMap<>();
        for (int proto : protos) {
            m.put(proto, vnet.ip().hold(proto, holdLimit));
        }
        List<org.protosw.internal.sw.InputHold> all = new ArrayList<>(m.values());
        for (HookEntry e : hooks) {
            org.protosw.internal.sw.PfilHold h = vnet.ip().pfil().hold(e.name, e.directions, e.order, holdLimit);
            e.hold = h;
            all.add(h);
        }
        diverted = m;
        // on the wheel thread: when it returns no timer task of this context runs
        vnet.callout().pause(this);
        List<org.protosw.internal.sw.InputHold> out = List.copyOf(all);
        while (inInput.get() != 0) {
            if (System.nanoTime() - deadlineNanos >= 0) {
                return null;
            }
            java.util.concurrent.locks.LockSupport.parkNanos(50_000);
        }
        return out;
    }

    @Override
    public List<org.protosw.internal.sw.InputHold> holds() {
        java.util.Map<Integer, org.protosw.internal.sw.InputHold> d = diverted;
        if (d == null) {
            return List.of();
        }
        List<org.protosw.internal.sw.InputHold> all = new ArrayList<>(d.values());
        for (HookEntry e : hooks) {
            if (e.hold != null) {
                all.add(e.hold);
            }
        }
        return List.copyOf(all);
    }

    @Override
    public void deferTimers() {
        synchronized (deferred) {
            deferring = true;
        }
    }

    @Override
    public void resumeTimers() {
        List<DeferrableCallout> todo;
        synchronized (deferred) {
            deferring = false;
            todo = new ArrayList<>(deferred);
            deferred.clear();
        }
        for (DeferrableCallout c : todo) {
            c.start();
        }
    }

    @Override
    public <T> InPcbTable<T> newPcbTable(String protocolName) {
        return vnet.newPcbTable(protocolName);
    }

    @Override
    public Route routeLookup(int dst) {
        return vnet.ip().routes().lookup(dst);
    }

    @Override
    public List<IfNet> interfaces() {
        return List.copyOf(vnet.interfaces().list());
    }

    @Override
    public IfNet interfaceByName(String name) {
        return vnet.interfaces().byName(name);
    }

    @Override
    public boolean isLocalAddress(int addr) {
        return vnet.ip().isLocalAddress(addr);
    }

    @Override
    public boolean isBroadcast(int addr) {
        return vnet.ip().isBroadcast(addr);
    }

    @Override
    public void icmpError(Packet offending, int type, int code, int nextMtu) {
        vnet.ip().icmpError(offending, type, code, nextMtu);
    }

    @Override
    public SockBuf newStreamBuffer(int hiwat) {
        if (hiwat < 1) {
            throw new IllegalArgumentException("a socket buffer of " + hiwat + " bytes");
        }
        return SockBufs.stream(hiwat);
    }

    @Override
    public Callout newCallout(Runnable task) {
        // Owned by this context, so close() can take every armed timer back from the wheel.
        Runnable guarded = new Runnable() {
            @Override
            public void run() {
                try {
                    task.run();
                } catch (RuntimeException | LinkageError e) {
                    if (!failed(e, org.protosw.internal.sw.ProtoFaults.Where.TIMER, "timer task " + task)) {
                        throw e;
                    }
                }
            }

            @Override
            public String toString() {
                return task.toString();
            }
        };
        return new DeferrableCallout(vnet.callout().newCallout(guarded, this));
    }

    /**
     * A failure of the protocol's own code on a core thread (input worker, timer wheel):
     * counted and logged with its bundle's name. False when this context serves no protocol:
     * the caller rethrows to the core's last resort.
     */
    private boolean failed(Throwable e, org.protosw.internal.sw.ProtoFaults.Where where, String what) {
        org.protosw.internal.sw.ProtoFaults f = faults;
        if (f == null) {
            return false;
        }
        f.report(where, what, "vnet " + vnet.name(), e);
        return true;
    }

    /** The protocol's view of a wheel timer; while the context defers timers, arming only records the delay. */
    private final class DeferrableCallout implements Callout {
        private final Callout c;
        /** Delay recorded while deferring, in nanoseconds; -1 when none. Guarded by {@link #deferred}. */
        private volatile long delayNanos = -1;

        DeferrableCallout(Callout c) {
            this.c = c;
        }

        @Override
        public void reset(long delay, TimeUnit unit) {
            if (closed) {
                return;
            }
            // the data path re-arms timers on nearly every segment: no lock unless deferring
            if (deferring) {
                synchronized (deferred) {
                    if (deferring) {
                        if (delayNanos < 0) {
                            deferred.add(this);
                        }
                        delayNanos = Math.max(0, unit.toNanos(delay));
                        return;
                    }
                }
            }
            c.reset(delay, unit);
        }

        void start() {
            long d;
            synchronized (deferred) {
                d = delayNanos;
                delayNanos = -1;
            }
            if (d >= 0 && !closed) {
                c.reset(d, TimeUnit.NANOSECONDS);
            }
        }

        @Override
        public boolean stop() {
            boolean was = false;
            if (delayNanos >= 0) {
                synchronized (deferred) {
                    was = delayNanos >= 0;
                    if (was) {
                        delayNanos = -1;
                        deferred.remove(this);
                    }
                }
            }
            return c.stop() || was;
        }

        @Override
        public boolean pending() {
            return delayNanos >= 0 || c.pending();
        }

        @Override
        public long remaining(TimeUnit unit) {
            long d = delayNanos;
            return d >= 0 ? unit.convert(d, TimeUnit.NANOSECONDS) : c.remaining(unit);
        }
    }

    @Override
    public Sysctls sysctl() {
        return scopedSysctls;
    }

    @Override
    public Pfil pfil() {
        return scopedPfil;
    }

    @Override
    public void close() {
        List<AutoCloseable> todo;
        synchronized (undo) {
            if (closed) {
                return;
            }
            closed = true;
            todo = new ArrayList<>(undo);
            undo.clear();
        }
        vnet.callout().purge(this);
        for (int i = todo.size() - 1; i >= 0; i--) {
            closeQuietly(todo.get(i));
        }
        protocol = null;
        domainState = null;
    }

    private static void closeQuietly(AutoCloseable c) {
        try {
            c.close();
        } catch (Exception e) {
            // undoing a registration cannot fail in a way the caller could act on
        }
    }

    @Override
    public String toString() {
        return owner + "@" + vnet.name();
    }
}
