package org.protosw.internal.kern;

import org.protosw.internal.priv.Cred;
import org.protosw.internal.priv.Priv;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

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
    private volatile boolean closed;
    private final Sysctls scopedSysctls;
    private final Pfil scopedPfil;
    /** Whose code this context serves: what it opens that needs a right is checked against it. */
    private final Cred cred;

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
                Registration r = vnet.ip().pfil().addHook(name, directions, order, hook);
                remember(r);
                return r;
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
        return Packet.allocate(len);
    }

    @Override
    public void ipOutput(Packet p, int src, int dst, int proto, int ttl, int tos, int flags) throws SocketException {
        vnet.ip().output(p, src, dst, proto, ttl, tos, flags);
    }

    @Override
    public Registration ipprotoRegister(int proto, IpInput input) throws SocketException {
        Consumer<IcmpError> ctl = e -> {
            Protocol p = protocol;
            if (p != null) {
                p.ctlinput(e);
            }
        };
        Registration r = vnet.ip().register(proto, input, ctl);
        remember(r);
        return r;
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
    public Callout newCallout(Runnable task) {
        // Owned by this context, so close() can take every armed timer back from the wheel.
        Callout c = vnet.callout().newCallout(task, this);
        return new Callout() {
            @Override
            public void reset(long delay, TimeUnit unit) {
                if (!closed) {
                    c.reset(delay, unit);
                }
            }

            @Override
            public boolean stop() {
                return c.stop();
            }

            @Override
            public boolean pending() {
                return c.pending();
            }
        };
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
