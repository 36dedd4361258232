package org.protosw.internal.ip;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.LongSupplier;

import org.protosw.socket.Errno;
import org.protosw.socket.InAddr;
import org.protosw.socket.SocketConstants;
import org.protosw.socket.SocketException;
import org.protosw.spi.IcmpError;
import org.protosw.spi.IfAddr;
import org.protosw.spi.IfNet;
import org.protosw.spi.Packet;
import org.protosw.spi.PpsRateCheck;
import org.protosw.spi.Sysctls;
import org.protosw.spi.Tunable;
import org.protosw.wire.Checksum;
import org.protosw.wire.IcmpHeader;
import org.protosw.wire.Ipv4Header;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * ICMP (RFC 792) of one stack instance: {@code icmp_input} answers echo requests and hands
 * errors to the protocol of the packet they quote; {@code icmp_error} answers offending
 * packets, rate limited by {@code net.inet.icmp.icmplim} per second. Statistics follow
 * FreeBSD's {@code netstat -s -p icmp}.
 */
public final class Icmp {
    private static final Logger LOG = LoggerFactory.getLogger(Icmp.class);

    private final IpLayer ip;
    private final Tunable bmcastEcho;
    private final PpsRateCheck errorLimit;
    private final PpsRateCheck echoLimit;

    private final LongAdder error = new LongAdder();
    private final LongAdder oldIcmp = new LongAdder();
    private final LongAdder[] outHist = adders();
    private final LongAdder badCode = new LongAdder();
    private final LongAdder tooShort = new LongAdder();
    private final LongAdder checksum = new LongAdder();
    private final LongAdder badLen = new LongAdder();
    private final LongAdder bmcastEchoIgnored = new LongAdder();
    private final LongAdder[] inHist = adders();
    private final LongAdder reflect = new LongAdder();
    private final LongAdder badAddr = new LongAdder();
    private final LongAdder noRoute = new LongAdder();
    private final LongAdder rateLimited = new LongAdder();

    /** Registers {@code net.inet.icmp.icmplim} and {@code net.inet.icmp.bmcastecho}. */
    Icmp(IpLayer ip, Sysctls sysctl, LongSupplier clock) {
        this.ip = ip;
        Tunable icmplim = sysctl.register("net.inet.icmp.icmplim", 200, 0, 100000,
                "Maximum number of ICMP responses per second (0 = no limit)");
        this.bmcastEcho = sysctl.register("net.inet.icmp.bmcastecho", 0, 0, 1,
                "Reply to ICMP echo requests sent to broadcast or multicast addresses");
        this.errorLimit = new PpsRateCheck(icmplim::get, clock);
        this.echoLimit = new PpsRateCheck(icmplim::get, clock);
    }

    private static LongAdder[] adders() {
        LongAdder[] a = new LongAdder[IcmpHeader.MAXTYPE + 1];
        for (int i = 0; i < a.length; i++) {
            a[i] = new LongAdder();
        }
        return a;
    }

    /**
     * {@code icmp_input}: a message for this host (data start at the IPv4 header of
     * {@code hlen} bytes; the packet is trimmed to the total length). Echo requests are
     * answered and go no further; everything else is also offered to raw sockets.
     */
    void input(Packet p, int hlen) {
        int icmplen = p.length() - hlen;
        if (icmplen < IcmpHeader.MIN_LENGTH) {
            tooShort.increment();
            return;
        }
        byte[] b = p.array();
        int io = p.offset() + hlen;
        if ((p.flags() & Packet.M_CSUM_OK) == 0 && !Checksum.verify(b, io, icmplen)) {
            checksum.increment();
            return;
        }
        int type = b[io] & 0xff;
        int code = b[io + 1] & 0xff;
        if (type <= IcmpHeader.MAXTYPE) {
            inHist[type].increment();
        }
        switch (type) {
            case IcmpHeader.UNREACH, IcmpHeader.TIMXCEED, IcmpHeader.PARAMPROB, IcmpHeader.SOURCEQUENCH -> {
                if (code > IcmpHeader.maxCode(type)) {
                    badCode.increment();
                    break;
                }
                if (!quotesHeader(b, io, icmplen)) {
                    badLen.increment();
                    return;
                }
                if (type != IcmpHeader.SOURCEQUENCH) {
                    // RFC 6633: source quench is ignored; raw sockets still see it
                    notify(b, io, icmplen, type, code);
                }
            }
            case IcmpHeader.ECHO -> {
                int dst = p.get32(Ipv4Header.OFF_DST);
                boolean bmcast = (p.flags() & (Packet.M_BCAST | Packet.M_MCAST)) != 0 || ip.isBroadcast(dst)
                        || IpLayer.isMulticast(dst);
                if (bmcast && bmcastEcho.get() == 0) {
                    bmcastEchoIgnored.increment();
                    break;
                }
                reflectEcho(p, hlen, bmcast);
                return;
            }
            default -> {
                // replies, redirects (this host is no router that learns from them) and the rest:
                // nothing to do here but to let raw sockets see them
            }
        }
        ip.rawInput(p, hlen);
    }

    private static boolean quotesHeader(byte[] b, int io, int icmplen) {
        if (icmplen < IcmpHeader.MIN_ERROR_LENGTH) {
            return false;
        }
        int vhl = b[io + IcmpHeader.MIN_LENGTH] & 0xff;
        int ihl = (vhl & 0xf) << 2;
        return vhl >>> 4 == 4 && ihl >= Ipv4Header.MIN_LENGTH && icmplen >= IcmpHeader.MIN_LENGTH + ihl + 8;
    }

    private void notify(byte[] b, int io, int icmplen, int type, int code) {
        int innerOff = io + IcmpHeader.MIN_LENGTH;
        int innerLen = icmplen - IcmpHeader.MIN_LENGTH;
        int proto = b[innerOff + Ipv4Header.OFF_PROTOCOL] & 0xff;
        int nextMtu = type == IcmpHeader.UNREACH && code == IcmpHeader.UNREACH_NEEDFRAG
                ? (b[io + IcmpHeader.OFF_NEXTMTU] & 0xff) << 8 | (b[io + IcmpHeader.OFF_NEXTMTU + 1] & 0xff)
                : 0;
        // the protocol may keep the quoted packet: give it its own copy
        Packet inner = Packet.wrap(Arrays.copyOfRange(b, innerOff, innerOff + innerLen), 0, innerLen);
        ip.ctlinput(proto, new IcmpError(type, code, nextMtu, inner));
    }

    /** {@code icmp_reflect} of an echo request: the reply reuses the request's bytes. */
    private void reflectEcho(Packet p, int hlen, boolean toBroadcast) {
        int reqSrc = p.get32(Ipv4Header.OFF_SRC);
        int reqDst = p.get32(Ipv4Header.OFF_DST);
        int tos = p.get8(Ipv4Header.OFF_TOS);
        if (!validReturnAddress(reqSrc)) {
            badAddr.increment();
            return;
        }
        int src = toBroadcast || !ip.isLocalAddress(reqDst) ? primaryAddress(p.rcvif()) : reqDst;
        if (!echoLimit.check()) {
            rateLimited.increment();
            return;
        }
        p.adj(hlen);
        p.set8(IcmpHeader.OFF_TYPE, IcmpHeader.ECHOREPLY);
        p.set16(IcmpHeader.OFF_CHECKSUM, 0);
        p.set16(IcmpHeader.OFF_CHECKSUM, Checksum.compute(p.array(), p.offset(), p.length()));
        p.setFlags(0);
        p.setRcvif(null);
        p.setTag(null);
        if (send(p, src, reqSrc, tos)) {
            outHist[IcmpHeader.ECHOREPLY].increment();
            reflect.increment();
        }
    }

    /**
     * {@code icmp_error}: answers {@code offending} (data at its IPv4 header; not changed or
     * kept) with an error quoting its header and 8 bytes. For a parameter problem,
     * {@code nextMtu} is the pointer to the bad byte.
     */
    void error(Packet offending, int type, int code, int nextMtu) {
        error.increment();
        int len = offending.length();
        if (len < Ipv4Header.MIN_LENGTH) {
            return;
        }
        int vhl = offending.get8(Ipv4Header.OFF_VHL);
        int hlen = (vhl & 0xf) << 2;
        if (vhl >>> 4 != 4 || hlen < Ipv4Header.MIN_LENGTH || hlen > len) {
            return;
        }
        if ((offending.get16(Ipv4Header.OFF_FRAG) & Ipv4Header.OFFMASK) != 0) {
            return;
        }
        if (offending.get8(Ipv4Header.OFF_PROTOCOL) == SocketConstants.IPPROTO_ICMP && type != IcmpHeader.REDIRECT
                && len >= hlen + IcmpHeader.MIN_LENGTH && !IcmpHeader.isInfo(offending.get8(hlen))) {
            oldIcmp.increment();
            return;
        }
        int odst = offending.get32(Ipv4Header.OFF_DST);
        if ((offending.flags() & (Packet.M_BCAST | Packet.M_MCAST)) != 0 || ip.isBroadcast(odst)
                || IpLayer.isMulticast(odst)) {
            return;
        }
        int osrc = offending.get32(Ipv4Header.OFF_SRC);
        if (!validReturnAddress(osrc) || ip.isBroadcast(osrc)) {
            badAddr.increment();
            return;
        }
        if (!errorLimit.check()) {
            rateLimited.increment();
            return;
        }
        int quote = Math.min(len, hlen + 8);
        Packet n = Packet.allocate(IcmpHeader.MIN_LENGTH + quote);
        byte[] nb = n.array();
        int no = n.offset();
        IcmpHeader h = new IcmpHeader(nb, no, IcmpHeader.MIN_LENGTH + quote);
        h.setType(type).setCode(code);
        if (type == IcmpHeader.UNREACH && code == IcmpHeader.UNREACH_NEEDFRAG) {
            h.setNextHopMtu(nextMtu);
        } else if (type == IcmpHeader.PARAMPROB) {
            h.setPointer(nextMtu);
        }
        System.arraycopy(offending.array(), offending.offset(), nb, no + IcmpHeader.MIN_LENGTH, quote);
        h.fillChecksum();
        int src = ip.isLocalAddress(odst) ? odst : primaryAddress(offending.rcvif());
        if (send(n, src, osrc, 0)) {
            if (type <= IcmpHeader.MAXTYPE) {
                outHist[type].increment();
            }
        }
    }

    private boolean send(Packet p, int src, int dst, int tos) {
        try {
            ip.output(p, src, dst, SocketConstants.IPPROTO_ICMP, -1, tos, 0);
            return true;
        } catch (SocketException e) {
            if (e.errno() == Errno.ENETUNREACH || e.errno() == Errno.EHOSTUNREACH) {
                noRoute.increment();
            }
            LOG.debug("icmp output to {} failed: {}", new InAddr(dst), e.getMessage());
            return false;
        }
    }

    /** Not zero net, not multicast or class E, not the limited broadcast. */
    private static boolean validReturnAddress(int a) {
        int top = a >>> 24;
        return top != 0 && top < 224;
    }

    private static int primaryAddress(IfNet ifp) {
        if (ifp == null) {
            return 0;
        }
        List<IfAddr> l = ifp.addresses();
        return l.isEmpty() ? 0 : l.get(0).addr().bits();
    }

    /** {@code netstat -s -p icmp}, in its order and wording. */
    Map<String, Long> statistics() {
        Map<String, Long> m = new LinkedHashMap<>();
        m.put("calls to icmp_error", error.sum());
        m.put("errors not generated in response to an icmp message", oldIcmp.sum());
        histogram(m, "Output histogram: ", outHist);
        m.put("messages with bad code fields", badCode.sum());
        m.put("messages less than the minimum length", tooShort.sum());
        m.put("messages with bad checksum", checksum.sum());
        m.put("messages with bad length", badLen.sum());
        m.put("multicast echo requests ignored", bmcastEchoIgnored.sum());
        histogram(m, "Input histogram: ", inHist);
        m.put("message responses generated", reflect.sum());
        m.put("invalid return addresses", badAddr.sum());
        m.put("no return routes", noRoute.sum());
        m.put("responses suppressed by rate limit", rateLimited.sum());
        return m;
    }

    private static void histogram(Map<String, Long> m, String prefix, LongAdder[] hist) {
        for (int t = 0; t < hist.length; t++) {
            long v = hist[t].sum();
            if (v != 0) {
                m.put(prefix + IcmpHeader.typeName(t), v);
            }
        }
    }
}
