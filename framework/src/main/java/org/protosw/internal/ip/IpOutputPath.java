package org.protosw.internal.ip;

import java.util.List;
import java.util.Objects;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicInteger;

import org.protosw.internal.net.DelayedChecksum;
import org.protosw.internal.net.IfTable;
import org.protosw.internal.net.NetInterface;
import org.protosw.socket.Errno;
import org.protosw.socket.InAddr;
import org.protosw.socket.SocketException;
import org.protosw.spi.IfAddr;
import org.protosw.spi.Packet;
import org.protosw.spi.Pfil;
import org.protosw.spi.PfilHook;
import org.protosw.spi.ProtoContext;
import org.protosw.spi.Route;
import org.protosw.spi.Tunable;
import org.protosw.wire.Ipv4Header;
import org.protosw.wire.WireStatus;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code ip_output} of one stack instance, as FreeBSD's {@code netinet/ip_output.c}: header,
 * route and source selection, the OUT hooks, fragmentation ({@code ip_fragment}) and the
 * hand-off to the interface. Forwarding ({@link IpForwardPath}) joins it after its own checks.
 * Takes no lock: routes, hooks and addresses are immutable snapshots.
 */
final class IpOutputPath {
    private static final Logger LOG = LoggerFactory.getLogger(IpOutputPath.class);

    /** Where a datagram goes: interface, next hop, MTU, chosen source, broadcast or not. */
    record Hop(NetInterface ifp, int nextHop, int mtu, int src, boolean broadcast) {
    }

    private final IpLayer ip;
    private final IfTable ifs;
    private final RouteTable routes;
    private final IpStat stat;
    private final Tunable defaultTtl;
    private final AtomicInteger nextId = new AtomicInteger(ThreadLocalRandom.current().nextInt());
    private volatile NetInterface.InputHandler loopInput;

    IpOutputPath(IpLayer ip, IfTable ifs, RouteTable routes, Tunable defaultTtl) {
        this.ip = ip;
        this.ifs = ifs;
        this.routes = routes;
        this.stat = ip.stat;
        this.defaultTtl = defaultTtl;
        this.loopInput = ip::input;
    }

    void setLoopInput(NetInterface.InputHandler handler) {
        this.loopInput = Objects.requireNonNull(handler);
    }

    /** {@code ip_output}, as {@link IpLayer#output} describes. */
    void output(Packet p, int src, int dst, int proto, int ttl, int tos, int flags) throws SocketException {
        boolean rawOut = (flags & ProtoContext.IP_RAWOUTPUT) != 0;
        if (rawOut) {
            checkRawHeader(p);
            src = p.get32(Ipv4Header.OFF_SRC);
            dst = p.get32(Ipv4Header.OFF_DST);
            stat.rawOut.increment();
        } else {
            if (proto < 0 || proto > 255) {
                throw new SocketException(Errno.EINVAL, "IP protocol number " + proto + " (expected 0..255)");
            }
            if (p.length() + Ipv4Header.MIN_LENGTH > Ipv4Header.MAX_PACKET) {
                throw new SocketException(Errno.EMSGSIZE, (p.length() + Ipv4Header.MIN_LENGTH) + " bytes exceed the IPv4 maximum of 65535");
            }
        }
        stat.localOut.increment();
        Hop hop = resolve(src, dst, flags);
        if (hop == null) {
            return;
        }
        if (rawOut) {
            if (p.get16(Ipv4Header.OFF_ID) == 0) {
                p.set16(Ipv4Header.OFF_ID, nextId());
            }
            if (src == 0) {
                p.set32(Ipv4Header.OFF_SRC, hop.src);
            }
            int hlen = (p.get8(Ipv4Header.OFF_VHL) & 0xf) << 2;
            new Ipv4Header(p.array(), p.offset(), hlen).fillChecksum();
        } else {
            int payload = p.length();
            int o = p.prepend(Ipv4Header.MIN_LENGTH);
            int fragWord = (flags & ProtoContext.IP_DF) != 0 ? Ipv4Header.FLAG_DF : 0;
            Ipv4Header.write(p.array(), o, tos, payload + Ipv4Header.MIN_LENGTH, nextId(), fragWord,
                    ttl < 0 ? defaultTtl.getInt() : ttl, proto, hop.src, dst);
        }
        if (hop.broadcast) {
            p.addFlags(Packet.M_BCAST);
        }
        sendOut(p, hop, dst);
    }

    private void checkRawHeader(Packet p) throws SocketException {
        int len = p.length();
        if (len < Ipv4Header.MIN_LENGTH) {
            throw new SocketException(Errno.EINVAL, "raw IP packet of " + len + " bytes is shorter than an IPv4 header");
        }
        int vhl = p.get8(Ipv4Header.OFF_VHL);
        int hlen = (vhl & 0xf) << 2;
        if (vhl >>> 4 != 4 || hlen < Ipv4Header.MIN_LENGTH || hlen > len) {
            throw new SocketException(Errno.EINVAL, "raw IP packet: bad version or header length");
        }
        if (p.get16(Ipv4Header.OFF_TOTAL_LENGTH) != len) {
            throw new SocketException(Errno.EINVAL, "raw IP packet: total length " + p.get16(Ipv4Header.OFF_TOTAL_LENGTH)
                    + " does not match the " + len + " bytes given");
        }
    }

    /**
     * The last hop resolved to a local address: immutable, so every thread may reuse it while
     * its interface, addresses and MTU are still the ones asked for. A flow over lo0 then
     * resolves without allocating a hop per packet.
     */
    private volatile Hop lastLocalHop;

    /** Picks interface, next hop, MTU and source; null for a blackhole route (silently dropped). */
    private Hop resolve(int src, int dst, int flags) throws SocketException {
        boolean allowBcast = (flags & ProtoContext.IP_ALLOWBROADCAST) != 0;
        if (dst == IpLayer.LIMITED_BROADCAST) {
            if (!allowBcast) {
                throw new SocketException(Errno.EACCES, "broadcast to 255.255.255.255 without SO_BROADCAST");
            }
            NetInterface ifp = src != 0 ? ifs.byAddress(src) : null;
            int s = src;
            if (ifp == null) {
                Route r = routes.lookup(dst);
                if (r == null || !(r.ifp() instanceof NetInterface rifp)) {
                    stat.noRoute.increment();
                    throw new SocketException(Errno.ENETUNREACH, "no route for 255.255.255.255");
                }
                ifp = rifp;
                if (s == 0) {
                    s = r.ifaddr() != null ? r.ifaddr().bits() : IpLayer.primaryAddress(ifp);
                }
            }
            return checked(new Hop(ifp, dst, ifp.mtu(), s, true));
        }
        if (ip.isLocalAddress(dst)) {
            NetInterface lo = ifs.loopback();
            if (lo == null) {
                stat.noRoute.increment();
                throw new SocketException(Errno.ENETUNREACH, "no loopback interface to reach local address " + new InAddr(dst));
            }
            int s = src != 0 ? src : dst;
            Hop h = lastLocalHop;
            if (h == null || h.ifp != lo || h.nextHop != dst || h.src != s || h.mtu != lo.mtu()) {
                h = new Hop(lo, dst, lo.mtu(), s, false);
                lastLocalHop = h;
            }
            return checked(h);
        }
        NetInterface ifp;
        int nextHop = dst;
        int mtu;
        int s = src;
        if ((flags & ProtoContext.IP_ROUTETOIF) != 0) {
            ifp = null;
            search:
            for (NetInterface i : ifs.list()) {
                for (IfAddr a : i.addresses()) {
                    int mask = InAddr.netmask(a.prefixLength());
                    if ((a.addr().bits() & mask) == (dst & mask)) {
                        ifp = i;
                        if (s == 0) {
                            s = a.addr().bits();
                        }
                        break search;
                    }
                }
            }
            if (ifp == null) {
                stat.noRoute.increment();
                throw new SocketException(Errno.ENETUNREACH, new InAddr(dst) + " is not on a directly connected network (SO_DONTROUTE)");
            }
            mtu = ifp.mtu();
        } else {
            Route r = routes.lookup(dst);
            if (r == null) {
                stat.noRoute.increment();
                throw new SocketException(Errno.ENETUNREACH, "no route to " + new InAddr(dst));
            }
            if ((r.flags() & Route.RTF_BLACKHOLE) != 0) {
                return null;
            }
            if ((r.flags() & Route.RTF_REJECT) != 0 || !(r.ifp() instanceof NetInterface rifp)) {
                stat.noRoute.increment();
                throw new SocketException(Errno.EHOSTUNREACH, "route to " + new InAddr(dst) + " rejects");
            }
            ifp = rifp;
            if (s == 0) {
                s = r.ifaddr() != null ? r.ifaddr().bits() : IpLayer.primaryAddress(ifp);
            }
            if (r.gateway() != null) {
                nextHop = r.gateway().bits();
            }
            mtu = r.effectiveMtu();
        }
        // a directed broadcast of the outgoing interface's subnet (in_broadcast(dst, ifp))
        List<IfAddr> addrs = ifp.addresses();
        for (int i = 0; i < addrs.size(); i++) {
            IfAddr a = addrs.get(i);
            if (a.broadcast() != null && a.broadcast().bits() == dst) {
                if (!allowBcast) {
                    throw new SocketException(Errno.EACCES, "broadcast to " + new InAddr(dst) + " without SO_BROADCAST");
                }
                return checked(new Hop(ifp, dst, ifp.mtu(), src != 0 ? src : a.addr().bits(), true));
            }
        }
        return checked(new Hop(ifp, nextHop, mtu, s, false));
    }

    private Hop checked(Hop hop) throws SocketException {
        if (!hop.ifp.isUp()) {
            stat.oDropped.increment();
            throw new SocketException(Errno.ENETDOWN, "interface " + hop.ifp.name() + " is down");
        }
        if (hop.src == 0 && !hop.broadcast) {
            throw new SocketException(Errno.EADDRNOTAVAIL, "interface " + hop.ifp.name() + " has no IPv4 address");
        }
        return hop;
    }

    /**
     * OUT hooks, then fragmentation and interface output. {@code dst} is the destination the
     * hop was resolved for: when a hook rewrites it, the route is looked up again.
     */
    void sendOut(Packet p, Hop hop, int dst) throws SocketException {
        PfilHead pfil = ip.pfil();
        if (!pfil.isEmpty(Pfil.OUT)) {
            // filters read, rewrite and divert whole packets: give them a valid checksum
            DelayedChecksum.resolve(p);
            int verdict = pfil.run(p, Pfil.OUT, hop.ifp);
            if (verdict == PfilHook.CONSUMED) {
                return;
            }
            if (verdict != PfilHook.PASS) {
                throw new SocketException(Errno.EACCES, "packet filter dropped the packet");
            }
            if (Ipv4Header.check(p.array(), p.offset(), p.length()) != WireStatus.OK) {
                stat.oDropped.increment();
                throw new SocketException(Errno.EINVAL, "packet filter left a malformed header");
            }
            int newDst = p.get32(Ipv4Header.OFF_DST);
            if (newDst != dst) {
                hop = resolve(p.get32(Ipv4Header.OFF_SRC), newDst, ProtoContext.IP_ALLOWBROADCAST);
                if (hop == null) {
                    return;
                }
            }
        }
        transmit(p, hop);
    }

    /** An outbound packet reinjected after the OUT hooks: route it again and send, errors counted. */
    void outputReinjected(Packet p) {
        try {
            WireStatus st = Ipv4Header.check(p.array(), p.offset(), p.length());
            if (st != WireStatus.OK) {
                stat.oDropped.increment();
                return;
            }
            int total = p.get16(Ipv4Header.OFF_TOTAL_LENGTH);
            if (total < p.length()) {
                p.setLength(total);
            }
            Hop hop = resolve(p.get32(Ipv4Header.OFF_SRC), p.get32(Ipv4Header.OFF_DST), ProtoContext.IP_ALLOWBROADCAST);
            if (hop != null) {
                transmit(p, hop);
            }
        } catch (SocketException e) {
            LOG.debug("reinjected packet dropped: {}", e.getMessage());
        } catch (RuntimeException e) {
            ip.internalError(e);
        }
    }

    private void transmit(Packet p, Hop hop) throws SocketException {
        NetInterface ifp = hop.ifp;
        if (hop.broadcast || p.length() > hop.mtu) {
            // a looped copy is verified by its receiver; fragments cannot be summed one by one
            DelayedChecksum.resolve(p);
        }
        if (hop.broadcast && !ifp.isLoopback()) {
            Packet copy = p.copy();
            copy.setFlags(Packet.M_BCAST | Packet.M_LOOP);
            copy.setRcvif(ifp);
            loopInput.input(ifp, copy);
        }
        if (p.length() <= hop.mtu) {
            ifp.output(p, hop.nextHop);
            return;
        }
        if ((p.get16(Ipv4Header.OFF_FRAG) & Ipv4Header.FLAG_DF) != 0) {
            stat.cantFrag.increment();
            throw new SocketException(Errno.EMSGSIZE, p.length() + " bytes with DF exceed the MTU " + hop.mtu + " of " + ifp.name());
        }
        int hlen = (p.get8(Ipv4Header.OFF_VHL) & 0xf) << 2;
        List<Packet> frags = IpFragment.fragment(p, hlen, hop.mtu);
        if (frags == null) {
            stat.cantFrag.increment();
            throw new SocketException(Errno.EMSGSIZE, "MTU " + hop.mtu + " of " + ifp.name() + " cannot carry a fragment");
        }
        stat.fragmented.increment();
        stat.fragmentsCreated.add(frags.size());
        for (Packet f : frags) {
            ifp.output(f, hop.nextHop);
        }
    }

    private int nextId() {
        return nextId.getAndIncrement() & 0xffff;
    }
}
