package org.protosw.internal.ip;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;

import org.protosw.internal.kern.GlobalLock;
import org.protosw.internal.net.IfTable;
import org.protosw.internal.net.NetInterface;
import org.protosw.socket.Errno;
import org.protosw.socket.InAddr;
import org.protosw.socket.SocketException;
import org.protosw.spi.IfAddr;
import org.protosw.spi.Route;

/**
 * The IPv4 routing table of one stack instance, with longest-prefix match.
 *
 * <p>Lookups read an immutable snapshot through one volatile read and allocate nothing: the
 * snapshot keeps, for each prefix length in use (longest first), the sorted destination
 * networks and their routes, so a lookup is at most 33 binary searches. Changes build a new
 * snapshot under the table's {@link GlobalLock}: routes change rarely, packets are many.
 */
public final class RouteTable {
    private static final Comparator<Route> NETSTAT_ORDER = Comparator
            .<Route>comparingLong(r -> r.dst().bits() & 0xffffffffL)
            .thenComparingInt(Route::prefixLength);

    private final GlobalLock lock;
    private final IfTable ifs;
    private volatile Snapshot snap = Snapshot.EMPTY;

    /**
     * @param ifs the instance's interfaces, consulted when a connected route goes away to
     *        hand the prefix to another address in it (as FreeBSD's {@code in_scrubprefix})
     */
    public RouteTable(String vnetName, IfTable ifs) {
        this.lock = new GlobalLock("route[" + vnetName + "]");
        this.ifs = ifs;
    }

    /**
     * Adds a route; the destination is masked to its prefix, and the flags get UP, and
     * GATEWAY or HOST where the route says so.
     *
     * @throws SocketException EEXIST when a route to the same network and prefix exists,
     *         EINVAL for a prefix length outside 0..32 or an interface not of this core
     */
    public void add(Route r) throws SocketException {
        if (r.prefixLength() < 0 || r.prefixLength() > 32) {
            throw new SocketException(Errno.EINVAL, "prefix length " + r.prefixLength() + " (expected 0..32)");
        }
        if (!(r.ifp() instanceof NetInterface)) {
            throw new SocketException(Errno.EINVAL, "route " + r.dst() + "/" + r.prefixLength() + " has no interface of this stack");
        }
        Route norm = normalize(r);
        lock.lock();
        try {
            Snapshot s = snap;
            if (s.find(norm.dst().bits(), norm.prefixLength()) != null) {
                throw new SocketException(Errno.EEXIST, "route " + norm.dst() + "/" + norm.prefixLength() + " already in table");
            }
            List<Route> all = new ArrayList<>(s.all);
            all.add(norm);
            snap = Snapshot.of(all);
        } finally {
            lock.unlock();
        }
    }

    /**
     * Deletes the route to exactly this network and prefix.
     *
     * @return the deleted route
     * @throws SocketException ENOENT when there is none ({@code route delete}'s "not in table")
     */
    public Route delete(InAddr dst, int prefixLength) throws SocketException {
        if (prefixLength < 0 || prefixLength > 32) {
            throw new SocketException(Errno.EINVAL, "prefix length " + prefixLength + " (expected 0..32)");
        }
        int net = dst.bits() & InAddr.netmask(prefixLength);
        lock.lock();
        try {
            Snapshot s = snap;
            Route r = s.find(net, prefixLength);
            if (r == null) {
                throw new SocketException(Errno.ENOENT, "route " + new InAddr(net) + "/" + prefixLength + ": not in table");
            }
            List<Route> all = new ArrayList<>(s.all);
            all.remove(r);
            snap = Snapshot.of(all);
            return r;
        } finally {
            lock.unlock();
        }
    }

    /** The longest-prefix route to {@code dst}, or null. Lock-free, allocation-free. */
    public Route lookup(int dst) {
        return snap.lookup(dst);
    }

    /** The route to exactly this network and prefix, or null. */
    public Route get(InAddr dst, int prefixLength) {
        return snap.find(dst.bits() & InAddr.netmask(prefixLength), prefixLength);
    }

    /** Every route, ordered as {@code netstat -rn} shows them (by destination, then prefix). */
    public List<Route> list() {
        return snap.all;
    }

    public int size() {
        return snap.all.size();
    }

    /**
     * Adds the route to the network of an interface address ({@code in_addprefix}): flags
     * UP|CONNECTED (and HOST for a /32), no gateway, the address as source. Local delivery
     * is decided by the IP layer, so no host route to the address itself is added.
     *
     * @return false when a route to that prefix exists already (another address or
     *         interface serves it); it is left as it is
     */
    public boolean addConnected(NetInterface ifp, IfAddr a) {
        Route r = connectedRoute(ifp, a);
        lock.lock();
        try {
            Snapshot s = snap;
            if (s.find(r.dst().bits(), r.prefixLength()) != null) {
                return false;
            }
            List<Route> all = new ArrayList<>(s.all);
            all.add(r);
            snap = Snapshot.of(all);
            return true;
        } finally {
            lock.unlock();
        }
    }

    /**
     * Removes the connected route an interface address made ({@code in_scrubprefix}). When
     * another address of an up interface (not {@code a} itself) is on the same prefix, the
     * prefix route is handed to it, so the network stays reachable.
     *
     * @return true when the route was this address's and was removed or handed over
     */
    public boolean removeConnected(NetInterface ifp, IfAddr a) {
        int plen = a.prefixLength();
        int net = a.addr().bits() & InAddr.netmask(plen);
        lock.lock();
        try {
            Snapshot s = snap;
            Route r = s.find(net, plen);
            if (r == null || (r.flags() & Route.RTF_CONNECTED) == 0 || r.ifp() != ifp || r.ifaddr() == null
                    || r.ifaddr().bits() != a.addr().bits()) {
                return false;
            }
            List<Route> all = new ArrayList<>(s.all);
            all.remove(r);
            Route heir = heir(ifp, a, net, plen);
            if (heir != null) {
                all.add(heir);
            }
            snap = Snapshot.of(all);
            return true;
        } finally {
            lock.unlock();
        }
    }

    private Route heir(NetInterface gone, IfAddr goneAddr, int net, int plen) {
        if (ifs == null) {
            return null;
        }
        for (NetInterface other : ifs.list()) {
            if (!other.isUp()) {
                continue;
            }
            for (IfAddr o : other.addresses()) {
                if (o.prefixLength() == plen && (o.addr().bits() & InAddr.netmask(plen)) == net
                        && !(other == gone && o.addr().equals(goneAddr.addr()))) {
                    return connectedRoute(other, o);
                }
            }
        }
        return null;
    }

    /** Drops every route through {@code ifp} (the interface went away); returns how many. */
    public int removeInterface(NetInterface ifp) {
        lock.lock();
        try {
            Snapshot s = snap;
            List<Route> all = new ArrayList<>(s.all);
            int before = all.size();
            all.removeIf(r -> r.ifp() == ifp);
            if (all.size() != before) {
                snap = Snapshot.of(all);
            }
            return before - all.size();
        } finally {
            lock.unlock();
        }
    }

    static Route connectedRoute(NetInterface ifp, IfAddr a) {
        int plen = a.prefixLength();
        int flags = Route.RTF_UP | Route.RTF_CONNECTED | (plen == 32 ? Route.RTF_HOST : 0);
        return new Route(new InAddr(a.addr().bits() & InAddr.netmask(plen)), plen, null, ifp, a.addr(), 0, flags);
    }

    private static Route normalize(Route r) {
        int net = r.dst().bits() & InAddr.netmask(r.prefixLength());
        int flags = r.flags() | Route.RTF_UP;
        if (r.prefixLength() == 32) {
            flags |= Route.RTF_HOST;
        }
        if (r.gateway() != null) {
            flags |= Route.RTF_GATEWAY;
        }
        if (net == r.dst().bits() && flags == r.flags()) {
            return r;
        }
        return new Route(new InAddr(net), r.prefixLength(), r.gateway(), r.ifp(), r.ifaddr(), r.mtu(), flags);
    }

    /** An immutable table: per prefix length in use, sorted networks and their routes. */
    private static final class Snapshot {
        static final Snapshot EMPTY = new Snapshot(new int[0], new int[0][], new Route[0][], List.of());

        /** Prefix lengths in use, longest first. */
        final int[] lengths;
        /** Per entry of {@link #lengths}: network bits sorted as unsigned ints. */
        final int[][] nets;
        final Route[][] routes;
        final List<Route> all;

        Snapshot(int[] lengths, int[][] nets, Route[][] routes, List<Route> all) {
            this.lengths = lengths;
            this.nets = nets;
            this.routes = routes;
            this.all = all;
        }

        static Snapshot of(List<Route> routes) {
            List<Route> sorted = new ArrayList<>(routes);
            sorted.sort(NETSTAT_ORDER);
            int[] count = new int[33];
            for (Route r : sorted) {
                count[r.prefixLength()]++;
            }
            int used = 0;
            for (int c : count) {
                if (c > 0) {
                    used++;
                }
            }
            int[] lengths = new int[used];
            int[][] nets = new int[used][];
            Route[][] rts = new Route[used][];
            int k = 0;
            for (int plen = 32; plen >= 0; plen--) {
                if (count[plen] == 0) {
                    continue;
                }
                lengths[k] = plen;
                nets[k] = new int[count[plen]];
                rts[k] = new Route[count[plen]];
                int j = 0;
                // sorted by unsigned destination already, so each length's slice is sorted too
                for (Route r : sorted) {
                    if (r.prefixLength() == plen) {
                        nets[k][j] = r.dst().bits();
                        rts[k][j] = r;
                        j++;
                    }
                }
                k++;
            }
            return new Snapshot(lengths, nets, rts, List.copyOf(sorted));
        }

        Route lookup(int dst) {
            for (int k = 0; k < lengths.length; k++) {
                int i = search(nets[k], dst & InAddr.netmask(lengths[k]));
                if (i >= 0) {
                    return routes[k][i];
                }
            }
            return null;
        }

        Route find(int net, int plen) {
            for (int k = 0; k < lengths.length; k++) {
                if (lengths[k] == plen) {
                    int i = search(nets[k], net);
                    return i >= 0 ? routes[k][i] : null;
                }
            }
            return null;
        }

        private static int search(int[] a, int key) {
            int lo = 0;
            int hi = a.length - 1;
            while (lo <= hi) {
                int mid = (lo + hi) >>> 1;
                int c = Integer.compareUnsigned(a[mid], key);
                if (c < 0) {
                    lo = mid + 1;
                } else if (c > 0) {
                    hi = mid - 1;
                } else {
                    return mid;
                }
            }
            return -1;
        }

        @Override
        public String toString() {
            return "Snapshot" + Arrays.toString(lengths);
        }
    }
}
