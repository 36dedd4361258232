package org.protosw.internal.ip;

import org.protosw.internal.net.NetInterface;
import org.protosw.socket.InAddr;
import org.protosw.socket.SocketException;
import org.protosw.spi.Packet;
import org.protosw.spi.Route;
import org.protosw.spi.Tunable;
import org.protosw.wire.IcmpHeader;
import org.protosw.wire.Ipv4Header;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code ip_forward} of one stack instance (FreeBSD's {@code ip_forward} in
 * {@code netinet/ip_input.c}, with the checks of {@code ip_tryforward} in
 * {@code ip_fastfwd.c}): a datagram for another host, when {@code net.inet.ip.forwarding}
 * is on, gets its TTL decremented and leaves through {@link IpOutputPath#sendOut}; what it
 * cannot forward is answered with the ICMP error a router sends.
 */
final class IpForwardPath {
    private static final Logger LOG = LoggerFactory.getLogger(IpForwardPath.class);

    private final IpLayer ip;
    private final RouteTable routes;
    private final IpOutputPath output;
    private final Tunable forwarding;
    private final IpStat stat;

    IpForwardPath(IpLayer ip, RouteTable routes, IpOutputPath output, Tunable forwarding) {
        this.ip = ip;
        this.routes = routes;
        this.output = output;
        this.forwarding = forwarding;
        this.stat = ip.stat;
    }

    /** {@code ip_forward}. */
    void forward(Packet p) {
        int dst = p.get32(Ipv4Header.OFF_DST);
        if (forwarding.get() == 0 || (p.flags() & (Packet.M_BCAST | Packet.M_MCAST)) != 0 || !canForward(dst)) {
            stat.cantForward.increment();
            return;
        }
        if (p.get8(Ipv4Header.OFF_TTL) <= 1) {
            ip.icmp().error(p, IcmpHeader.TIMXCEED, IcmpHeader.TIMXCEED_INTRANS, 0);
            return;
        }
        Route r = routes.lookup(dst);
        if (r == null) {
            stat.noRoute.increment();
            ip.icmp().error(p, IcmpHeader.UNREACH, IcmpHeader.UNREACH_NET, 0);
            return;
        }
        if ((r.flags() & Route.RTF_BLACKHOLE) != 0) {
            return;
        }
        if ((r.flags() & Route.RTF_REJECT) != 0 || !(r.ifp() instanceof NetInterface out) || !out.isUp()) {
            stat.cantForward.increment();
            ip.icmp().error(p, IcmpHeader.UNREACH, IcmpHeader.UNREACH_HOST, 0);
            return;
        }
        int mtu = r.effectiveMtu();
        if (p.length() > mtu && (p.get16(Ipv4Header.OFF_FRAG) & Ipv4Header.FLAG_DF) != 0) {
            stat.cantFrag.increment();
            ip.icmp().error(p, IcmpHeader.UNREACH, IcmpHeader.UNREACH_NEEDFRAG, mtu);
            return;
        }
        Ipv4Header.decrementTtl(p.array(), p.offset());
        stat.forwarded.increment();
        int nextHop = r.gateway() != null ? r.gateway().bits() : dst;
        try {
            output.sendOut(p, new IpOutputPath.Hop(out, nextHop, mtu, 0, false), dst);
        } catch (SocketException e) {
            LOG.debug("forwarding to {} failed: {}", new InAddr(dst), e.getMessage());
        }
    }

    /** {@code in_canforward}: not multicast, not class E, not net 0, not loopback. */
    private static boolean canForward(int a) {
        int top = a >>> 24;
        return top != 0 && top != 127 && top < 224;
    }
}
