package org.protosw.internal.kern;

import org.protosw.internal.priv.Cred;
import org.protosw.internal.priv.PrivTable;

import java.util.concurrent.TimeUnit;

import org.protosw.internal.ip.IpLayer;
import org.protosw.internal.net.CaptureTable;
import org.protosw.internal.net.Epair;
import org.protosw.internal.net.IfTable;
import org.protosw.internal.net.Loopback;
import org.protosw.internal.net.NetInterface;
import org.protosw.internal.net.PipeTable;
import org.protosw.internal.socket.SocketLayer;
import org.protosw.internal.sw.ProtoSwRegistry;
import org.protosw.internal.sw.ScopedContext;
import org.protosw.internal.sw.VnetHooks;
import org.protosw.socket.Errno;
import org.protosw.socket.InAddr;
import org.protosw.socket.NetStack;
import org.protosw.socket.Poller;
import org.protosw.socket.Socket;
import org.protosw.socket.SocketException;
import org.protosw.spi.Callout;
import org.protosw.spi.IfAddr;
import org.protosw.spi.InPcbTable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One stack instance (a vnet): its interfaces, routes, IP layer, sockets, input workers,
 * timers, pipes and captures. It is the {@link NetStack} service applications use.
 */
public final class Vnet implements NetStack, VnetHooks {
    private static final Logger LOG = LoggerFactory.getLogger(Vnet.class);

    private final String name;
    private final SysctlTree sysctl;
    private final CalloutWheel callout;
    private final IfTable ifs;
    private final IpLayer ip;
    private final Netisr netisr;
    private final SocketLayer sockets;
    private final PipeTable pipes;
    private final CaptureTable captures;
    private final Callout slowtimo;
    private final PrivTable privs;

    private final org.protosw.spi.Tunable upgradeWait;
    private final org.protosw.spi.Tunable upgradeHoldq;
    private final org.protosw.spi.Tunable unloadWait;

    Vnet(String name, ProtoSwRegistry registry, SysctlTree.Store store) throws SocketException {
        this.name = name;
        this.sysctl = new SysctlTree(store);
        this.callout = new CalloutWheel(name);
        this.ifs = new IfTable(name);
        this.ip = new IpLayer(name, ifs, sysctl);
        int threads = (int) sysctl.register("net.isr.maxthreads", Math.max(1, Math.min(4, Runtime.getRuntime().availableProcessors())), 1, 64,
                "input worker threads per stack instance (read at creation)").get();
        int qlimit = (int) sysctl.register("net.isr.maxqlimit", 10240, 16, 1 << 20,
                "input queue length per worker (read at creation)").get();
        this.upgradeWait = sysctl.register("net.protosw.upgrade_wait_ms", 10_000, 0, 600_000,
                "how long a live upgrade of a protocol waits for its new revision to register (ms)");
        // a protocol that blocks in a request forever must not hold its bundle's stop forever
        this.unloadWait = sysctl.register("net.protosw.unload_wait_ms", ProtoSwRegistry.DEFAULT_UNLOAD_TIMEOUT.toMillis(), 0, 600_000,
                "how long unloading a protocol waits for calls still inside it before it goes on (ms; net:diag lists what stayed)");
        this.upgradeHoldq = sysctl.register("net.protosw.upgrade_holdq", 1024, 0, 1 << 20,
                "inbound packets held per protocol number while the protocol is upgraded (more are dropped and counted)");
        this.netisr = new Netisr(name, threads, qlimit, ip::input);
        // 90: SYNs and fragments queue only while a queue holds under a tenth of its limit
        // (1,024 of the default 10,240, about Linux's netdev_max_backlog of 1,000), so a
        // flood of them adds at most that much queueing in front of a connection's segment;
        // at 25 the 7,680 SYNs ahead of each segment halved even a light paced load
        org.protosw.spi.Tunable reserve = sysctl.register("net.isr.reserve", 90, 0, 90,
                "percent of each input queue kept for packets of established flows: a TCP SYN or an IP fragment"
                        + " arriving when its queue is that close to full is dropped (counted), so floods of them"
                        + " do not crowd out connections' segments (0: off)",
                v -> netisr.setReservePercent((int) v));
        netisr.setReservePercent((int) reserve.get());
        // looped broadcast copies go through the workers, never re-entering input on the sender
        ip.setLoopInput(netisr::dispatch);
        this.sockets = new SocketLayer(name, this, registry, sysctl);
        this.privs = registry.privs();
        this.pipes = new PipeTable(name);
        this.captures = new CaptureTable();

        Loopback lo0 = new Loopback("lo0");
        attachInterface(lo0);
        addAddress(lo0, new IfAddr(InAddr.LOOPBACK, 8, null));
        lo0.setUp(true);

        // ip_slowtimo: reassembly queues expire on a half-second beat, as in BSD.
        Callout[] self = new Callout[1];
        self[0] = callout.newCallout(() -> {
            ip.slowtimo(System.nanoTime());
            self[0].reset(500, TimeUnit.MILLISECONDS);
        });
        this.slowtimo = self[0];
        slowtimo.reset(500, TimeUnit.MILLISECONDS);
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public Socket socket(int domain, int type, int protocol) throws SocketException {
        return sockets.socket(domain, type, protocol);
    }

    /** socket(2) asked by the bundle {@code cred} names, through its NetStack service. */
    public Socket socket(int domain, int type, int protocol, Cred cred) throws SocketException {
        sockets.privCheck(domain, type, cred);
        return sockets.socket(domain, type, protocol);
    }

    @Override
    public Poller newPoller() {
        return sockets.newPoller();
    }

    @Override
    public org.protosw.socket.SockAddr parseAddress(int family, String text) throws SocketException {
        return sockets.parseAddress(family, text);
    }

    @Override
    public long upgradeWaitMillis() {
        return upgradeWait.get();
    }

    @Override
    public long unloadWaitMillis() {
        return unloadWait.get();
    }

    @Override
    public int upgradeHoldLimit() {
        return upgradeHoldq.getInt();
    }

    @Override
    public ScopedContext newContext(String ownerName, Cred cred) {
        return new ScopedContextImpl(this, ownerName, cred);
    }

    /** The rights of bundles in this stack (shared by its instances). */
    PrivTable privs() {
        return privs;
    }

    <T> InPcbTable<T> newPcbTable(String protocolName) {
        return ip.newPcbTable(protocolName);
    }

    public SysctlTree sysctl() {
        return sysctl;
    }

    public CalloutWheel callout() {
        return callout;
    }

    public IfTable interfaces() {
        return ifs;
    }

    public IpLayer ip() {
        return ip;
    }

    public Netisr netisr() {
        return netisr;
    }

    public SocketLayer sockets() {
        return sockets;
    }

    public PipeTable pipes() {
        return pipes;
    }

    public CaptureTable captures() {
        return captures;
    }

    /** Adds an interface to this instance and feeds its input to the workers. */
    public void attachInterface(NetInterface ifp) throws SocketException {
        ifs.attach(ifp);
        ifp.setInputHandler(netisr::dispatch);
        if (ifp instanceof Epair.End end) {
            // destroying the pair from either side (or either vnet) takes this end out of here
            end.setDestroyListener(this::detachInterface);
        }
        for (IfAddr a : ifp.addresses()) {
            ip.routes().addConnected(ifp, a);
        }
    }

    /** Takes an interface out of this instance (to destroy it or move it to another). */
    public void detachInterface(NetInterface ifp) {
        if (!ifs.list().contains(ifp)) {
            return;
        }
        if (ifp instanceof Epair.End end) {
            end.setDestroyListener(null);
        }
        ifp.setInputHandler(null);
        ip.routes().removeInterface(ifp);
        pipes.detach(ifp, true);
        pipes.detach(ifp, false);
        try {
            captures.stop(ifp.name());
        } catch (SocketException e) {
            // no capture was running on it
        }
        ifs.detach(ifp);
    }

    /** Adds an address (and the route to its network) to an interface, as ifconfig does. */
    public void addAddress(NetInterface ifp, IfAddr a) throws SocketException {
        ifs.lock().lock();
        try {
            NetInterface holder = ifs.byAddress(a.addr().bits());
            if (holder != null && holder != ifp) {
                throw new SocketException(Errno.EADDRINUSE, a.addr() + " is already configured on " + holder.name());
            }
            ifp.addAddress(a);
            ip.routes().removeConnected(ifp, a);
            ip.routes().addConnected(ifp, a);
        } finally {
            ifs.lock().unlock();
        }
    }

    public boolean removeAddress(NetInterface ifp, InAddr addr) {
        ifs.lock().lock();
        try {
            for (IfAddr a : ifp.addresses()) {
                if (a.addr().equals(addr)) {
                    ip.routes().removeConnected(ifp, a);
                    return ifp.removeAddress(a);
                }
            }
            return false;
        } finally {
            ifs.lock().unlock();
        }
    }

    /** Destroys the instance: sockets first (protocols see aborts), then interfaces, then threads. */
    void destroy(ProtoSwRegistry registry) {
        // before the protocols leave, so no socket can be made with a same-named successor's
        sockets.shutdown();
        registry.removeVnet(name);
        slowtimo.stop();
        for (NetInterface ifp : ifs.list()) {
            detachInterface(ifp);
            try {
                ifp.destroy();
            } catch (RuntimeException e) {
                LOG.warn("vnet {}: destroying interface {} failed", name, ifp.name(), e);
            }
        }
        captures.close();
        pipes.close();
        netisr.close();
        callout.close();
        LOG.info("vnet {} destroyed", name);
    }

    @Override
    public String toString() {
        return "vnet " + name;
    }
}
