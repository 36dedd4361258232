package org.protosw.internal.socket;

import org.protosw.internal.priv.Cred;
import org.protosw.internal.priv.Priv;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

import org.protosw.internal.kern.GlobalLock;
import org.protosw.internal.sw.ProtoEntry;
import org.protosw.internal.sw.ProtoInstance;
import org.protosw.internal.sw.ProtoSwRegistry;
import org.protosw.socket.Errno;
import org.protosw.socket.NetStack;
import org.protosw.socket.Poller;
import org.protosw.socket.SockAddr;
import org.protosw.socket.Socket;
import org.protosw.socket.SocketException;
import org.protosw.spi.KernSocket;
import org.protosw.spi.Pcb;
import org.protosw.spi.ProtoContext;
import org.protosw.spi.SoUpcall;
import org.protosw.spi.Sysctls;
import org.protosw.spi.Tunable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The socket layer of one stack instance ({@code uipc_socket.c}): creates sockets through
 * the protocol switch, hands out pollers, and keeps the instance's socket table for
 * {@code netstat}. The table changes only when a socket is created or detached, under a
 * {@link GlobalLock}; the data path never touches it.
 *
 * <p>Tunables registered here (when the instance's sysctl tree lacks them):
 * {@code kern.ipc.maxsockbuf} (largest SO_SNDBUF/SO_RCVBUF, default 2 MiB),
 * {@code kern.ipc.somaxconn} (largest listen backlog, default 128) and
 * {@code kern.ipc.maxsockets} (sockets of the instance at once, default 65536: past it
 * socket(2) fails with ENFILE, as Linux's {@code sock_alloc} when the system is out of
 * sockets (FreeBSD's {@code socreate} says ENOBUFS), and a listener refuses new connections
 * as {@code sonewconn} does when {@code soalloc} fails; a runaway application or protocol
 * then cannot take the JVM's memory).
 */
public final class SocketLayer {
    private static final Logger LOG = LoggerFactory.getLogger(SocketLayer.class);

    public static final String MAXSOCKBUF = "kern.ipc.maxsockbuf";
    public static final String SOMAXCONN = "kern.ipc.somaxconn";
    public static final String MAXSOCKETS = "kern.ipc.maxsockets";
    public static final String BUSY_READ = "net.core.busy_read";
    public static final int DEFAULT_MAXSOCKETS = 65536;
    public static final int DEFAULT_MAXSOCKBUF = 2 * 1024 * 1024;
    public static final int DEFAULT_SOMAXCONN = 128;
    public static final int DEFAULT_BUSY_READ_US = 50;

    private final String vnet;
    private final NetStack stack;
    private final ProtoSwRegistry registry;
    private final Tunable maxSockBuf;
    private final Tunable somaxconn;
    private final Tunable maxSockets;
    private final Tunable busyRead;
    /** Sockets made and not yet detached, counted before the protocol attaches: the limit is exact. */
    private final java.util.concurrent.atomic.AtomicInteger allocated = new java.util.concurrent.atomic.AtomicInteger();
    private final java.util.concurrent.atomic.LongAdder refused = new java.util.concurrent.atomic.LongAdder();
    private volatile long lastRefusalLog;
    private final GlobalLock tableLock;
    private final Set<SocketImpl> sockets = ConcurrentHashMap.newKeySet();
    private final AtomicLong ids = new AtomicLong();
    /** Set when the stack instance is being destroyed: it makes no more sockets. */
    private volatile boolean shut;

    /**
     * @param vnet the stack instance's name (as given to {@link ProtoSwRegistry#addVnet})
     * @param stack the instance's {@link NetStack}, returned by {@link Socket#stack()}
     * @param registry the protocol switch
     * @param sysctl the instance's tunables
     */
    public SocketLayer(String vnet, NetStack stack, ProtoSwRegistry registry, Sysctls sysctl) {
        this.vnet = Objects.requireNonNull(vnet, "vnet");
        this.stack = stack;
        this.registry = Objects.requireNonNull(registry, "registry");
        this.maxSockBuf = tunable(sysctl, MAXSOCKBUF, DEFAULT_MAXSOCKBUF, 512, Integer.MAX_VALUE,
                "largest socket buffer (SO_SNDBUF/SO_RCVBUF) in bytes");
        this.somaxconn = tunable(sysctl, SOMAXCONN, DEFAULT_SOMAXCONN, 1, 65535,
                "largest listen queue (backlog) a listening socket may ask for");
        this.maxSockets = tunable(sysctl, MAXSOCKETS, DEFAULT_MAXSOCKETS, 1, Integer.MAX_VALUE,
                "most sockets this stack instance holds at once (socket(2) then fails with ENFILE)");
        this.busyRead = tunable(sysctl, BUSY_READ, defaultBusyRead(), 0, 1_000_000,
                "microseconds a blocking receive polls for data before it sleeps (0: it sleeps at once)");
        this.tableLock = new GlobalLock("socket table of vnet " + vnet);
    }

    /**
     * Polling pays only where the peer can run meanwhile: with one CPU the poller would hold
     * the core the reply has to be made on.
     */
    static long defaultBusyRead() {
        return Runtime.getRuntime().availableProcessors() > 1 ? DEFAULT_BUSY_READ_US : 0;
    }

    private static Tunable tunable(Sysctls sysctl, String name, long def, long min, long max, String descr) {
        Tunable t = sysctl.find(name);
        if (t != null) {
            return t;
        }
        try {
            return sysctl.register(name, def, min, max, descr);
        } catch (IllegalArgumentException e) {
            // registered meanwhile by another instance of the layer
            Tunable again = sysctl.find(name);
            if (again == null) {
                throw e;
            }
            return again;
        }
    }

    public String vnet() {
        return vnet;
    }

    public NetStack stack() {
        return stack;
    }

    int maxSockBuf() {
        return (int) Math.min(Integer.MAX_VALUE, maxSockBuf.get());
    }

    int somaxconn() {
        return (int) Math.min(Integer.MAX_VALUE, somaxconn.get());
    }

    /** {@code net.core.busy_read} in nanoseconds. */
    long busyReadNs() {
        return busyRead.get() * 1000;
    }

    long nextSocketId() {
        return ids.incrementAndGet();
    }

    /**
     * socket(2): finds the protocol, lets it attach a pcb, and returns the socket.
     *
     * @throws SocketException EAFNOSUPPORT, ESOCKTNOSUPPORT, EPROTONOSUPPORT as
     *         {@link ProtoSwRegistry#find} says (EPROTONOSUPPORT also when the protocol did
     *         not start in this instance or is going away), EPROTO when the protocol's
     *         attach returned no pcb, EIO when it threw an unchecked exception, or the
     *         SocketException its attach threw
     */
    public Socket socket(int domain, int type, int protocol) throws SocketException {
        return create(domain, type, protocol, null, null);
    }

    /**
     * {@code priv_check} before socreate, as FreeBSD's rip_attach and div_attach do: a raw
     * socket needs {@link Priv#NETINET_RAW}, a divert socket {@link Priv#NETINET_DIVERT}.
     *
     * @throws SocketException EPERM when {@code cred} lacks the right (logged, naming the bundle)
     */
    public void privCheck(int domain, int type, Cred cred) throws SocketException {
        if (type != org.protosw.socket.SocketConstants.SOCK_RAW) {
            return;
        }
        Priv p = domain == org.protosw.socket.SocketConstants.AF_DIVERT ? Priv.NETINET_DIVERT : Priv.NETINET_RAW;
        registry.privs().check(cred, p, "socket(" + org.protosw.internal.sw.DomainNames.of(domain) + ", SOCK_RAW)");
    }

    /**
     * In-stack {@code socreate}: a non-blocking socket owned by another protocol (or module)
     * of this instance, whose wake-ups are the owner's upcalls.
     *
     * @param owner the owning protocol's name, shown by netstat
     * @throws SocketException as {@link #socket}, EINVAL when the owner asks for itself
     */
    public KernSocket kernSocket(int domain, int type, int protocol, String owner, SoUpcall upcall) throws SocketException {
        return kernSocket(domain, type, protocol, owner, upcall, null);
    }

    /**
     * As {@link #kernSocket(int, int, int, String, SoUpcall)}; {@code whenDetached} hears when
     * the socket is detached (closed or aborted, no call in flight), so whoever keeps track of
     * it for its owner can let it go: it references the lower protocol's pcb.
     */
    public KernSocket kernSocket(int domain, int type, int protocol, String owner, SoUpcall upcall,
            java.util.function.Consumer<KernSocket> whenDetached) throws SocketException {
        SocketImpl s = create(domain, type, protocol, Objects.requireNonNull(owner, "owner"), upcall, whenDetached);
        return s.so.kern;
    }

    private SocketImpl create(int domain, int type, int protocol, String owner, SoUpcall upcall) throws SocketException {
        return create(domain, type, protocol, owner, upcall, null);
    }

    private SocketImpl create(int domain, int type, int protocol, String owner, SoUpcall upcall,
            java.util.function.Consumer<KernSocket> whenDetached) throws SocketException {
        checkNotShut();
        if (!soalloc()) {
            throw new SocketException(Errno.ENFILE, "socket: kern.ipc.maxsockets (" + maxSockets.get() + ") reached in vnet " + vnet);
        }
        boolean made = false;
        try {
            SocketImpl s = create0(domain, type, protocol, owner, upcall, whenDetached);
            made = true;
            return s;
        } finally {
            if (!made) {
                sofree();
            }
        }
    }

    /**
     * Counts a new socket in, unless the instance holds kern.ipc.maxsockets already (then it
     * counts and logs the refusal, at most once a second). Every true is matched by one
     * {@link #sofree}: when the socket detaches, or when making it failed.
     */
    boolean soalloc() {
        int max = maxSockets.getInt();
        if (allocated.incrementAndGet() <= max) {
            return true;
        }
        allocated.decrementAndGet();
        refused.increment();
        long now = System.nanoTime();
        long last = lastRefusalLog;
        if (now - last >= 1_000_000_000L) {
            lastRefusalLog = now;
            LOG.warn("vnet {}: kern.ipc.maxsockets ({}) reached; new sockets and connections are refused ({} so far)", vnet, max, refused.sum());
        }
        return false;
    }

    void sofree() {
        allocated.decrementAndGet();
    }

    /** Sockets refused because the instance held kern.ipc.maxsockets. */
    public long maxSocketsRefused() {
        return refused.sum();
    }

    private SocketImpl create0(int domain, int type, int protocol, String owner, SoUpcall upcall,
            java.util.function.Consumer<KernSocket> whenDetached) throws SocketException {
        ProtoEntry entry = registry.find(domain, type, protocol);
        ProtoInstance pi = entry.instance(vnet);
        if (pi == null) {
            throw new SocketException(Errno.EPROTONOSUPPORT, "socket: " + entry.name() + " does not run in vnet " + vnet
                    + " (its init failed there, see the log)");
        }
        pi.beginCreate(false);
        try {
            ProtoContext ctx = pi.context();
            if (ctx == null) {
                throw new SocketException(Errno.EPROTONOSUPPORT, "socket: " + entry.name() + " is unloading");
            }
            int number = protocol != 0 ? protocol : entry.descriptor().protocol();
            if (owner != null && owner.equals(entry.name())) {
                throw new SocketException(Errno.EINVAL, "socreate: protocol " + owner + " cannot open a socket of itself");
            }
            ProtoSocketImpl so = new ProtoSocketImpl(this, pi, ctx, type, number);
            if (owner != null) {
                so.nbio = true;
                so.owner = owner;
            }
            Pcb pcb;
            try {
                pcb = pi.protocol().attach(so);
            } catch (RuntimeException | LinkageError e) {
                // a bug of the protocol, as any request's: EIO, counted and logged with its
                // bundle; the half-made socket was never in the table and has no pcb to detach
                entry.faults().report(org.protosw.internal.sw.ProtoFaults.Where.ATTACH, "attach", "socket(2) in vnet " + vnet, e);
                throw new SocketException(Errno.EIO, "socket: " + entry.name() + " failed in attach: " + e, e);
            }
            if (pcb == null) {
                throw new SocketException(Errno.EPROTO, "socket: " + entry.name() + " attached no protocol control block");
            }
            SocketImpl s = new SocketImpl(so, pcb);
            if (owner != null) {
                so.kern = new KernSocketImpl(s, owner, upcall, whenDetached);
                registry.noteUses(owner, entry.name());
            }
            if (!pi.insert(s)) {
                s.abortByCore();
                throw new SocketException(Errno.EPROTONOSUPPORT, "socket: " + entry.name() + " is unloading");
            }
            // The protocol instance was found by the vnet's name. Not shut yet means the
            // instance is still this vnet's: a new vnet of the same name can only join the
            // protocol switch after this one has left it, which happens after shutdown().
            if (shut) {
                s.abortByCore();
                checkNotShut();
            }
            insert(s);
            return s;
        } finally {
            pi.endCreate();
        }
    }

    /**
     * The stack instance is going away: from now on socket(2) fails with EPROTONOSUPPORT,
     * also for an application that still holds this instance after a new one took its name.
     */
    public void shutdown() {
        shut = true;
    }

    private void checkNotShut() throws SocketException {
        if (shut) {
            throw new SocketException(Errno.EPROTONOSUPPORT, "socket: vnet " + vnet + " was destroyed");
        }
    }

    /** {@code NetStack.parseAddress}: the address family's domain parses the text. */
    public SockAddr parseAddress(int family, String text) throws SocketException {
        return registry.parseAddress(family, text);
    }

    /** kqueue(2): a poller for sockets of this instance. */
    public Poller newPoller() {
        return new PollerImpl(this);
    }

    /** Adds a socket to the table, unless it was detached already. */
    void insert(SocketImpl s) {
        tableLock.lock();
        try {
            if (!s.isDetached()) {
                sockets.add(s);
            }
        } finally {
            tableLock.unlock();
        }
    }

    /** The socket detached (once per socket, by the lifecycle promise): it leaves the table and the count. */
    void remove(SocketImpl s) {
        tableLock.lock();
        try {
            sockets.remove(s);
        } finally {
            tableLock.unlock();
        }
        sofree();
    }

    /** Sockets not yet detached (open, or closed with calls still leaving). */
    public int socketCount() {
        return sockets.size();
    }

    /** Bytes sent and received by the application so far, {in, out}, per socket number (net:systat). */
    public Map<Long, long[]> byteCounts() {
        Map<Long, long[]> m = new java.util.HashMap<>();
        for (SocketImpl s : sockets) {
            m.put(s.id, new long[] {s.rcvBytes.sum(), s.sndBytes.sum()});
        }
        return m;
    }

    /** A snapshot for netstat, ordered by socket number. */
    public List<SocketInfo> sockets() {
        return sockets(false);
    }

    /** As {@link #sockets()}; with {@code details}, each protocol's {@link org.protosw.spi.Pcb#details()} too (netstat -T). */
    public List<SocketInfo> sockets(boolean details) {
        List<SocketImpl> all = new ArrayList<>(sockets);
        all.sort(Comparator.comparingLong(s -> s.id));
        List<SocketInfo> out = new ArrayList<>(all.size());
        for (SocketImpl s : all) {
            ProtoSocketImpl so = s.so;
            SockAddr local = null;
            SockAddr foreign = null;
            String state = "";
            Map<String, String> more = Map.of();
            boolean closed = true;
            int slot = s.tryEnter();
            if (slot != -2) {
                closed = false;
                org.protosw.spi.Pcb pcb = s.pcbTryEnter();
                try {
                    if (pcb == null) {
                        // frozen for a live upgrade: netstat does not wait
                        state = "(upgrading)";
                    } else {
                    local = quietly(() -> pcb.sockaddr());
                    foreign = quietly(() -> pcb.peeraddr());
                    try {
                        String st = pcb.state();
                        state = st == null ? "" : st;
                    } catch (RuntimeException | LinkageError e) {
                        state = "?";
                    }
                    if (details) {
                        try {
                            Map<String, String> d = pcb.details();
                            more = d == null ? Map.of() : d;
                        } catch (RuntimeException | LinkageError e) {
                            more = Map.of("details", "? (" + e + ")");
                        }
                    }
                    }
                } finally {
                    if (pcb != null) {
                        s.pcbExit();
                    }
                    s.exit(slot);
                }
            }
            out.add(new SocketInfo(s.id, so.protoName, so.domain, so.type, so.protocol, so.rcv.cc(), so.snd.cc(),
                    local, foreign, state, so.isListening(), closed, more, so.owner));
        }
        return out;
    }

    private interface AddrCall {
        SockAddr get() throws SocketException;
    }

    private static SockAddr quietly(AddrCall call) {
        try {
            return call.get();
        } catch (SocketException | RuntimeException | LinkageError e) {
            return null;
        }
    }
}
