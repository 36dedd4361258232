package org.protosw.internal.ip;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReferenceArray;
import java.util.function.Consumer;
import java.util.function.IntFunction;
import java.util.function.IntPredicate;

import org.protosw.internal.kern.GlobalLock;
import org.protosw.socket.Errno;
import org.protosw.socket.InAddr;
import org.protosw.socket.InetSockAddr;
import org.protosw.socket.SocketException;
import org.protosw.spi.IfAddr;
import org.protosw.spi.InPcb;
import org.protosw.spi.InPcbTable;
import org.protosw.spi.Route;
import org.protosw.spi.Sysctls;
import org.protosw.spi.Tunable;

/**
 * A pcb table ({@code struct inpcbinfo}) of one protocol in one stack instance.
 *
 * <p>Two hash tables of immutable bucket arrays: one by local port (every bound entry, for
 * bind conflicts and wildcard lookups) and one by four-tuple (connected entries). A change
 * copies the affected bucket under the table's {@link GlobalLock} and publishes it with a
 * volatile write; each entry's addresses are one immutable record behind a volatile
 * reference. A lookup therefore takes no lock, allocates nothing, and sees each entry
 * either before or after a change, never half way.
 *
 * <p>Ephemeral ports follow RFC 6056 (algorithm 2: a random start, then the next free port)
 * in {@code net.inet.ip.portrange.first .. last}. Bind conflicts follow FreeBSD
 * ({@code in_pcbbind_setup}): the same address and port needs SO_REUSEPORT on every
 * holder; a specific address beside the wildcard (or the reverse) needs SO_REUSEADDR on
 * the newcomer (or SO_REUSEPORT on both); with SO_REUSEADDR, connected entries never
 * conflict.
 *
 * @param <T> the protocol's pcb type
 */
public final class InPcbTableImpl<T> implements InPcbTable<T> {
    public static final String PORT_FIRST = "net.inet.ip.portrange.first";
    public static final String PORT_LAST = "net.inet.ip.portrange.last";

    private static final int PORT_BUCKETS = 1024;
    private static final int EXACT_BUCKETS = 4096;

    private final String name;
    private final GlobalLock lock;
    private final Tunable portFirst;
    private final Tunable portLast;
    private final IntPredicate isLocal;
    private final IntFunction<Route> routeLookup;
    private final int secret = ThreadLocalRandom.current().nextInt();
    private final AtomicLong seq = new AtomicLong();
    private final AtomicReferenceArray<Inp<T>[]> byPort = new AtomicReferenceArray<>(PORT_BUCKETS);
    private final AtomicReferenceArray<Inp<T>[]> byTuple = new AtomicReferenceArray<>(EXACT_BUCKETS);
    private final Set<Inp<T>> all = ConcurrentHashMap.newKeySet();

    /**
     * Registers the ephemeral port range tunables of a stack instance (once; the IP layer
     * does it). Every table of the instance reads them.
     */
    public static void registerTunables(Sysctls sysctl) {
        sysctl.register(PORT_FIRST, 10000, 1, 65535, "First port of the ephemeral port range");
        sysctl.register(PORT_LAST, 65535, 1, 65535, "Last port of the ephemeral port range");
    }

    /**
     * @param sysctl holds {@link #PORT_FIRST} and {@link #PORT_LAST} (see {@link #registerTunables})
     * @param isLocal whether an address belongs to this host (bind checks)
     * @param routeLookup the route to an address, or null (source selection on connect)
     */
    public InPcbTableImpl(String name, Sysctls sysctl, IntPredicate isLocal, IntFunction<Route> routeLookup) {
        this.name = Objects.requireNonNull(name);
        this.lock = new GlobalLock("inpcb[" + name + "]");
        this.portFirst = sysctl.find(PORT_FIRST);
        this.portLast = sysctl.find(PORT_LAST);
        if (portFirst == null || portLast == null) {
            throw new IllegalStateException("pcb table " + name + ": the port range tunables are not registered"
                    + " (call InPcbTableImpl.registerTunables first)");
        }
        this.isLocal = Objects.requireNonNull(isLocal);
        this.routeLookup = Objects.requireNonNull(routeLookup);
    }

    /** The lock guarding inserts and removals (tests count its acquisitions). */
    public GlobalLock lock() {
        return lock;
    }

    @Override
    public InPcb<T> alloc(T owner) {
        Inp<T> inp = new Inp<>(this, owner, seq.incrementAndGet());
        all.add(inp);
        return inp;
    }

    @Override
    public void bind(InPcb<T> pcb, InetSockAddr local, boolean reuseAddr, boolean reusePort) throws SocketException {
        Inp<T> inp = own(pcb);
        int laddr = local.addr().bits();
        int port = local.port();
        lock.lock();
        try {
            checkLive(inp, "bind");
            Addrs a = inp.a;
            if (a.lport != 0 || a.laddr != 0) {
                throw new SocketException(Errno.EINVAL, name + ": already bound to " + inp.localString());
            }
            if (laddr != 0 && !isLocal.test(laddr)) {
                throw new SocketException(Errno.EADDRNOTAVAIL, name + ": " + local.addr() + " is not an address of this host");
            }
            if (port == 0) {
                port = ephemeral(laddr, 0, 0);
                if (port == 0) {
                    throw new SocketException(Errno.EADDRNOTAVAIL, name + ": no ephemeral port left in "
                            + portFirst.get() + ".." + portLast.get());
                }
            } else if (conflict(laddr, port, reuseAddr, reusePort)) {
                throw new SocketException(Errno.EADDRINUSE, name + ": bind " + local);
            }
            inp.reuseAddr = reuseAddr;
            inp.reusePort = reusePort;
            inp.a = new Addrs(laddr, port, 0, 0, false);
            insert(byPort, portIndex(port), inp);
        } finally {
            lock.unlock();
        }
    }

    @Override
    public void connect(InPcb<T> pcb, InetSockAddr foreign) throws SocketException {
        Inp<T> inp = own(pcb);
        int faddr = foreign.addr().bits();
        int fport = foreign.port();
        if (faddr == 0 || fport == 0) {
            throw new SocketException(Errno.EADDRNOTAVAIL, name + ": connect to " + foreign);
        }
        lock.lock();
        try {
            checkLive(inp, "connect");
            Addrs a = inp.a;
            if (a.faddr != 0) {
                throw new SocketException(Errno.EISCONN, name + ": already connected to " + inp.foreignString());
            }
            int laddr = a.laddr;
            boolean chose = false;
            if (laddr == 0) {
                laddr = sourceFor(faddr);
                chose = true;
            }
            int lport = a.lport;
            if (lport == 0) {
                lport = ephemeral(laddr, faddr, fport);
                if (lport == 0) {
                    throw new SocketException(Errno.EADDRNOTAVAIL, name + ": no ephemeral port left to reach " + foreign);
                }
            } else if (exact(faddr, fport, laddr, lport) != null) {
                throw new SocketException(Errno.EADDRINUSE, name + ": " + new InAddr(laddr) + ":" + lport + " is already connected to " + foreign);
            }
            inp.a = new Addrs(laddr, lport, faddr, fport, chose);
            if (a.lport == 0) {
                insert(byPort, portIndex(lport), inp);
            }
            insert(byTuple, tupleIndex(faddr, fport, laddr, lport), inp);
        } finally {
            lock.unlock();
        }
    }

    /**
     * Enters an entry with its whole four-tuple at once ({@code in_pcbinshash} after
     * {@code syncache_socket}): a connection accepted on a listening socket shares the
     * listener's local address and port, which {@link #bind} would refuse.
     *
     * @throws SocketException EINVAL when the entry is bound already, EADDRINUSE when the
     *         four-tuple exists
     */
    public void insertConnected(InPcb<T> pcb, int laddr, int lport, int faddr, int fport) throws SocketException {
        Inp<T> inp = own(pcb);
        if (laddr == 0 || lport == 0 || faddr == 0 || fport == 0) {
            throw new SocketException(Errno.EINVAL, name + ": a connected entry needs all four of its tuple");
        }
        lock.lock();
        try {
            checkLive(inp, "insert");
            Addrs a = inp.a;
            if (a.lport != 0 || a.laddr != 0) {
                throw new SocketException(Errno.EINVAL, name + ": already bound to " + inp.localString());
            }
            if (exact(faddr, fport, laddr, lport) != null) {
                throw new SocketException(Errno.EADDRINUSE, name + ": " + new InAddr(laddr) + ":" + lport + " already connected to "
                        + new InAddr(faddr) + ":" + fport);
            }
            inp.a = new Addrs(laddr, lport, faddr, fport, false);
            insert(byPort, portIndex(lport), inp);
            insert(byTuple, tupleIndex(faddr, fport, laddr, lport), inp);
        } finally {
            lock.unlock();
        }
    }

    @Override
    public void disconnect(InPcb<T> pcb) {
        Inp<T> inp = own(pcb);
        lock.lock();
        try {
            Addrs a = inp.a;
            if (a.faddr == 0 || inp.removed) {
                return;
            }
            delete(byTuple, tupleIndex(a.faddr, a.fport, a.laddr, a.lport), inp);
            inp.a = new Addrs(a.laddrChosen ? 0 : a.laddr, a.lport, 0, 0, false);
        } finally {
            lock.unlock();
        }
    }

    @Override
    public void remove(InPcb<T> pcb) {
        Inp<T> inp = own(pcb);
        lock.lock();
        try {
            if (inp.removed) {
                return;
            }
            Addrs a = inp.a;
            if (a.faddr != 0) {
                delete(byTuple, tupleIndex(a.faddr, a.fport, a.laddr, a.lport), inp);
            }
            if (a.lport != 0) {
                delete(byPort, portIndex(a.lport), inp);
            }
            inp.removed = true;
            all.remove(inp);
        } finally {
            lock.unlock();
        }
    }

    @Override
    public InPcb<T> lookup(int faddr, int fport, int laddr, int lport, boolean wildcard) {
        Inp<T> hit = exact(faddr, fport, laddr, lport);
        if (hit != null || !wildcard) {
            return hit;
        }
        Inp<T>[] bucket = byPort.get(portIndex(lport));
        if (bucket == null) {
            return null;
        }
        Inp<T> wild = null;
        for (Inp<T> t : bucket) {
            Addrs a = t.a;
            if (a.lport != lport || a.faddr != 0) {
                continue;
            }
            if (a.laddr == laddr) {
                return t;
            }
            if (a.laddr == 0 && wild == null) {
                wild = t;
            }
        }
        return wild;
    }

    @Override
    public void forEachMatch(int faddr, int fport, int laddr, int lport, Consumer<InPcb<T>> action) {
        Inp<T>[] bucket = byPort.get(portIndex(lport));
        if (bucket == null) {
            return;
        }
        for (Inp<T> t : bucket) {
            Addrs a = t.a;
            if (a.lport != lport) {
                continue;
            }
            if (a.laddr != 0 && a.laddr != laddr) {
                continue;
            }
            if (a.faddr != 0 && (a.faddr != faddr || a.fport != fport)) {
                continue;
            }
            action.accept(t);
        }
    }

    @Override
    public List<InPcb<T>> list() {
        List<Inp<T>> l = new ArrayList<>(all);
        l.sort(Comparator.comparingLong(i -> i.seq));
        return new ArrayList<>(l);
    }

    // ---------------------------------------------------------------- internals (lock held)

    private Inp<T> exact(int faddr, int fport, int laddr, int lport) {
        Inp<T>[] bucket = byTuple.get(tupleIndex(faddr, fport, laddr, lport));
        if (bucket == null) {
            return null;
        }
        for (Inp<T> t : bucket) {
            Addrs a = t.a;
            if (a.faddr == faddr && a.fport == fport && a.laddr == laddr && a.lport == lport) {
                return t;
            }
        }
        return null;
    }

    /** Whether binding (laddr, port) with these options collides with an entry, as FreeBSD decides. */
    private boolean conflict(int laddr, int port, boolean reuseAddr, boolean reusePort) {
        Inp<T>[] bucket = byPort.get(portIndex(port));
        if (bucket == null) {
            return false;
        }
        for (Inp<T> t : bucket) {
            Addrs a = t.a;
            if (a.lport != port) {
                continue;
            }
            if (reuseAddr && a.faddr != 0) {
                continue;
            }
            boolean shareable = reusePort && t.reusePort;
            if (a.laddr == laddr) {
                if (!shareable) {
                    return true;
                }
            } else if (a.laddr == 0 || laddr == 0) {
                if (!reuseAddr && !shareable) {
                    return true;
                }
            }
        }
        return false;
    }

    /**
     * An ephemeral port for {@code laddr}, 0 when none is left. For bind ({@code faddr} 0)
     * the port must be free of conflicts; for connect a port without conflicts is preferred,
     * else any port whose four-tuple is unused (as FreeBSD's {@code in_pcb_lport_dom}).
     */
    private int ephemeral(int laddr, int faddr, int fport) {
        int first = portFirst.getInt();
        int last = portLast.getInt();
        if (first > last) {
            int t = first;
            first = last;
            last = t;
        }
        int count = last - first + 1;
        int start = ThreadLocalRandom.current().nextInt(count);
        for (int i = 0; i < count; i++) {
            int port = first + (start + i) % count;
            if (!conflict(laddr, port, false, false)) {
                return port;
            }
        }
        if (faddr != 0) {
            for (int i = 0; i < count; i++) {
                int port = first + (start + i) % count;
                if (exact(faddr, fport, laddr, port) == null) {
                    return port;
                }
            }
        }
        return 0;
    }

    /** {@code in_pcbladdr}: the source address the route to {@code faddr} gives. */
    private int sourceFor(int faddr) throws SocketException {
        Route r = routeLookup.apply(faddr);
        if (r == null) {
            throw new SocketException(Errno.ENETUNREACH, name + ": no route to " + new InAddr(faddr));
        }
        if (r.ifaddr() != null && r.ifaddr().bits() != 0) {
            return r.ifaddr().bits();
        }
        List<IfAddr> l = r.ifp().addresses();
        if (l.isEmpty()) {
            throw new SocketException(Errno.EADDRNOTAVAIL, name + ": interface " + r.ifp().name() + " has no IPv4 address");
        }
        return l.get(0).addr().bits();
    }

    private static <T> void insert(AtomicReferenceArray<Inp<T>[]> table, int i, Inp<T> inp) {
        Inp<T>[] cur = table.get(i);
        int n = cur == null ? 0 : cur.length;
        @SuppressWarnings("unchecked")
        Inp<T>[] next = (Inp<T>[]) new Inp<?>[n + 1];
        if (cur != null) {
            System.arraycopy(cur, 0, next, 0, n);
        }
        next[n] = inp;
        table.set(i, next);
    }

    private static <T> void delete(AtomicReferenceArray<Inp<T>[]> table, int i, Inp<T> inp) {
        Inp<T>[] cur = table.get(i);
        if (cur == null) {
            return;
        }
        int at = -1;
        for (int k = 0; k < cur.length; k++) {
            if (cur[k] == inp) {
                at = k;
                break;
            }
        }
        if (at < 0) {
            return;
        }
        if (cur.length == 1) {
            table.set(i, null);
            return;
        }
        @SuppressWarnings("unchecked")
        Inp<T>[] next = (Inp<T>[]) new Inp<?>[cur.length - 1];
        System.arraycopy(cur, 0, next, 0, at);
        System.arraycopy(cur, at + 1, next, at, cur.length - at - 1);
        table.set(i, next);
    }

    private static int portIndex(int port) {
        return port & (PORT_BUCKETS - 1);
    }

    private int tupleIndex(int faddr, int fport, int laddr, int lport) {
        int h = (faddr ^ secret) * 0x9e3779b1;
        h ^= laddr * 0x85ebca77;
        h ^= (fport << 16 | lport) * 0xc2b2ae3d;
        h ^= h >>> 15;
        return h & (EXACT_BUCKETS - 1);
    }

    private Inp<T> own(InPcb<T> pcb) {
        if (pcb instanceof Inp<T> inp && inp.table == this) {
            return inp;
        }
        throw new IllegalArgumentException("pcb " + pcb + " does not belong to table " + name);
    }

    private void checkLive(Inp<T> inp, String what) throws SocketException {
        if (inp.removed) {
            throw new SocketException(Errno.EINVAL, name + ": " + what + " on a removed pcb");
        }
    }

    @Override
    public String toString() {
        return "InPcbTable[" + name + ", " + all.size() + " entries]";
    }

    /** The addresses of an entry, replaced whole so lock-free readers see a consistent tuple. */
    private record Addrs(int laddr, int lport, int faddr, int fport, boolean laddrChosen) {
        static final Addrs UNBOUND = new Addrs(0, 0, 0, 0, false);
    }

    private static final class Inp<T> implements InPcb<T> {
        final InPcbTableImpl<T> table;
        final T owner;
        final long seq;
        volatile Addrs a = Addrs.UNBOUND;
        volatile boolean reuseAddr;
        volatile boolean reusePort;
        volatile boolean removed;

        Inp(InPcbTableImpl<T> table, T owner, long seq) {
            this.table = table;
            this.owner = owner;
            this.seq = seq;
        }

        @Override
        public T owner() {
            return owner;
        }

        @Override
        public int laddr() {
            return a.laddr;
        }

        @Override
        public int lport() {
            return a.lport;
        }

        @Override
        public int faddr() {
            return a.faddr;
        }

        @Override
        public int fport() {
            return a.fport;
        }

        @Override
        public boolean isConnected() {
            return a.faddr != 0;
        }

        String localString() {
            Addrs x = a;
            return (x.laddr == 0 ? "*" : new InAddr(x.laddr).toString()) + ":" + (x.lport == 0 ? "*" : Integer.toString(x.lport));
        }

        String foreignString() {
            Addrs x = a;
            return (x.faddr == 0 ? "*" : new InAddr(x.faddr).toString()) + ":" + (x.fport == 0 ? "*" : Integer.toString(x.fport));
        }

        @Override
        public String toString() {
            return "inpcb[" + localString() + " " + foreignString() + "]";
        }
    }
}
