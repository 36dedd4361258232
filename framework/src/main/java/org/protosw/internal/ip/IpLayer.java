package org.protosw.internal.ip;

import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReferenceArray;
import java.util.function.Consumer;
import java.util.function.LongSupplier;

import org.protosw.internal.kern.SysctlTree;
import org.protosw.internal.net.DelayedChecksum;
import org.protosw.internal.net.IfTable;
import org.protosw.internal.net.NetInterface;
import org.protosw.socket.Errno;
import org.protosw.socket.InAddr;
import org.protosw.socket.SocketConstants;
import org.protosw.socket.SocketException;
import org.protosw.spi.IcmpError;
import org.protosw.spi.IfAddr;
import org.protosw.spi.IfNet;
import org.protosw.spi.IpInput;
import org.protosw.spi.Packet;
import org.protosw.spi.Pfil;
import org.protosw.spi.PfilHook;
import org.protosw.spi.ProtoContext;
import org.protosw.spi.Registration;
import org.protosw.spi.Route;
import org.protosw.spi.Tunable;
import org.protosw.wire.Checksum;
import org.protosw.wire.IcmpHeader;
import org.protosw.wire.Ipv4Header;
import org.protosw.wire.WireStatus;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The IPv4 layer of one stack instance: {@code ip_input}, {@code ip_forward},
 * {@code ip_output}, the protocol demultiplexing table ({@code ip_protox} /
 * {@code ipproto_register}), and the parts it owns: routing table, reassembly, pfil hooks
 * and ICMP.
 *
 * <p>The per-packet paths take no lock: the demux table is an atomic array, the routing
 * table and the hook lists are immutable snapshots, interface addresses are copy-on-write
 * lists. {@link #input} never throws; a malformed packet is counted and dropped.
 *
 * <p>Tunables registered here: {@code net.inet.ip.forwarding}, {@code net.inet.ip.ttl},
 * the reassembly limits ({@link IpReass}), ICMP's ({@link Icmp}) and the ephemeral port
 * range ({@link InPcbTableImpl#registerTunables}).
 */
public final class IpLayer {
    private static final Logger LOG = LoggerFactory.getLogger(IpLayer.class);
    private static final int LIMITED_BROADCAST = 0xffffffff;

    /** Raw IP input ({@code rip_input}): offered packets no protocol handler took, and ICMP. */
    @FunctionalInterface
    public interface RawInput {
        /**
         * A packet for this host (data start at its IPv4 header of {@code hlen} bytes).
         * Copy what to keep; the packet is not handed over.
         *
         * @return true when at least one raw socket matched it
         */
        boolean input(Packet p, int hlen);
    }

    private record Handler(IpInput input, Consumer<IcmpError> ctlinput) {
    }

    /** Where a datagram goes: interface, next hop, MTU, chosen source, broadcast or not. */
    private record Hop(NetInterface ifp, int nextHop, int mtu, int src, boolean broadcast) {
    }

    private final String vnetName;
    private final IfTable ifs;
    private final SysctlTree sysctl;
    private final RouteTable routes;
    private final IpReass reass;
    private final PfilHead pfil;
    private final Icmp icmp;
    private final Tunable forwarding;
    private final Tunable defaultTtl;
    private final AtomicReferenceArray<Handler> protox = new AtomicReferenceArray<>(256);
    private final AtomicInteger nextId = new AtomicInteger(ThreadLocalRandom.current().nextInt());
    private volatile RawInput raw;
    private volatile NetInterface.InputHandler loopInput = this::input;
    final IpStat stat = new IpStat();

    public IpLayer(String vnetName, IfTable ifs, SysctlTree sysctl) {
        this(vnetName, ifs, sysctl, System::nanoTime);
    }

    /** @param clock monotonic nanoseconds, for reassembly lifetimes and ICMP rate limits */
    public IpLayer(String vnetName, IfTable ifs, SysctlTree sysctl, LongSupplier clock) {
        this.vnetName = Objects.requireNonNull(vnetName);
        this.ifs = Objects.requireNonNull(ifs);
        this.sysctl = Objects.requireNonNull(sysctl);
        this.forwarding = sysctl.register("net.inet.ip.forwarding", 0, 0, 1, "Enable IP forwarding between interfaces");
        this.defaultTtl = sysctl.register("net.inet.ip.ttl", 64, 1, 255, "Maximum TTL on IP packets");
        InPcbTableImpl.registerTunables(sysctl);
        this.routes = new RouteTable(vnetName, ifs);
        this.icmp = new Icmp(this, sysctl, clock);
        this.reass = new IpReass(sysctl, clock,
                first -> icmp.error(first, IcmpHeader.TIMXCEED, IcmpHeader.TIMXCEED_REASS, 0));
        this.pfil = new PfilHead(vnetName, new PfilHead.Continuation() {
            @Override
            public void inbound(Packet p, IfNet ifp) {
                try {
                    ours(p, ifp);
                } catch (RuntimeException e) {
                    internalError(e);
                }
            }

            @Override
            public void outbound(Packet p) {
                outputReinjected(p);
            }

            @Override
            public Packet reassemble(Packet p) {
                int hlen = (p.get8(Ipv4Header.OFF_VHL) & 0xf) << 2;
                return reass.input(p, hlen);
            }
        });
        protox.set(SocketConstants.IPPROTO_ICMP, new Handler(icmp::input, null));
    }

    public String vnet() {
        return vnetName;
    }

    public RouteTable routes() {
        return routes;
    }

    public PfilHead pfil() {
        return pfil;
    }

    /** A new pcb table for a protocol of this instance, using this instance's addresses and routes. */
    public <T> InPcbTableImpl<T> newPcbTable(String protocolName) {
        return new InPcbTableImpl<>(vnetName + "/" + protocolName, sysctl, this::isLocalAddress, routes::lookup);
    }

    /**
     * Where looped-back broadcasts go (a copy of each broadcast this host sends, as
     * {@code if_simloop}). Defaults to {@link #input} on the calling thread; the stack
     * points it at its input workers so a sender never re-enters input processing.
     */
    public void setLoopInput(NetInterface.InputHandler handler) {
        this.loopInput = Objects.requireNonNull(handler);
    }

    // ---------------------------------------------------------------- demultiplexing

    /**
     * {@code ipproto_register}: inbound packets of {@code proto} for this host go to
     * {@code input}, ICMP errors quoting packets of {@code proto} to {@code ctlinput}
     * (which may be null).
     *
     * @throws SocketException EINVAL outside 0..255, EEXIST when the number is taken
     */
    public Registration register(int proto, IpInput input, Consumer<IcmpError> ctlinput) throws SocketException {
        Objects.requireNonNull(input, "input");
        if (proto < 0 || proto > 255) {
            throw new SocketException(Errno.EINVAL, "IP protocol number " + proto + " (expected 0..255)");
        }
        Handler h = new Handler(input, ctlinput);
        if (!protox.compareAndSet(proto, null, h)) {
            throw new SocketException(Errno.EEXIST, "IP protocol " + proto + " already has an input handler");
        }
        return () -> protox.compareAndSet(proto, h, null);
    }

    /** Sets (or with null clears) raw IP input. */
    public void setRawInput(RawInput raw) {
        this.raw = raw;
    }

    public RawInput rawInput() {
        return raw;
    }

    /** Offers a packet to raw input; true when a raw socket took it. */
    boolean rawInput(Packet p, int hlen) {
        RawInput r = raw;
        if (r == null) {
            return false;
        }
        try {
            return r.input(p, hlen);
        } catch (RuntimeException e) {
            internalError(e);
            return true;
        }
    }

    /** {@code pr_ctlinput} dispatch: an ICMP error quoting a packet of {@code proto}. */
    void ctlinput(int proto, IcmpError err) {
        Handler h = protox.get(proto);
        if (h == null || h.ctlinput == null) {
            return;
        }
        try {
            h.ctlinput.accept(err);
        } catch (RuntimeException e) {
            internalError(e);
        }
    }

    // ---------------------------------------------------------------- input

    /**
     * {@code ip_input}: a packet received on {@code ifp}, data starting at the IPv4 header.
     * Validates, runs the IN hooks, then delivers, reassembles or forwards. Never throws.
     */
    public void input(NetInterface ifp, Packet p) {
        try {
            ipInput(ifp, p);
        } catch (RuntimeException e) {
            internalError(e);
        }
    }

    private void ipInput(NetInterface ifp, Packet p) {
        stat.total.increment();
        if (p.rcvif() == null) {
            p.setRcvif(ifp);
        }
        int len = p.length();
        if (len < Ipv4Header.MIN_LENGTH) {
            stat.tooSmall.increment();
            return;
        }
        int vhl = p.get8(Ipv4Header.OFF_VHL);
        if (vhl >>> 4 != 4) {
            stat.badVers.increment();
            return;
        }
        int hlen = (vhl & 0xf) << 2;
        if (hlen < Ipv4Header.MIN_LENGTH || hlen > len) {
            stat.badHlen.increment();
            return;
        }
        int src = p.get32(Ipv4Header.OFF_SRC);
        int dst = p.get32(Ipv4Header.OFF_DST);
        if (!ifp.isLoopback() && (isLoopbackNet(src) || isLoopbackNet(dst))) {
            // 127/8 never comes from a wire (RFC 1122 3.2.1.3)
            stat.badAddr.increment();
            return;
        }
        if ((p.flags() & Packet.M_CSUM_OK) == 0 && !Checksum.verify(p.array(), p.offset(), hlen)) {
            stat.badSum.increment();
            return;
        }
        int total = p.get16(Ipv4Header.OFF_TOTAL_LENGTH);
        if (total < hlen) {
            stat.badLen.increment();
            return;
        }
        if (total > len) {
            stat.tooShort.increment();
            return;
        }
        if (total < len) {
            p.setLength(total);
        }
        if (isMulticast(src) || src == LIMITED_BROADCAST) {
            stat.badAddr.increment();
            return;
        }
        if (hlen > Ipv4Header.MIN_LENGTH) {
            int bad = Ipv4Header.badOptionOffset(p.array(), p.offset(), hlen);
            if (bad >= 0) {
                stat.badOptions.increment();
                icmp.error(p, IcmpHeader.PARAMPROB, IcmpHeader.PARAMPROB_ERRATPTR, bad);
                return;
            }
        }
        if (!pfil.isEmpty(Pfil.IN) && pfil.run(p, Pfil.IN, ifp) != PfilHook.PASS) {
            return;
        }
        ours(p, ifp);
    }

    /**
     * After the IN hooks (also for packets reinjected inbound): local delivery or
     * forwarding. The hooks may have rewritten the packet, so it is checked again.
     */
    private void ours(Packet p, IfNet ifp) {
        WireStatus st = Ipv4Header.check(p.array(), p.offset(), p.length());
        if (st != WireStatus.OK) {
            countBad(st);
            return;
        }
        int total = p.get16(Ipv4Header.OFF_TOTAL_LENGTH);
        if (total < p.length()) {
            p.setLength(total);
        }
        int hlen = (p.get8(Ipv4Header.OFF_VHL) & 0xf) << 2;
        int dst = p.get32(Ipv4Header.OFF_DST);
        boolean bcast = false;
        if (isLocalAddress(dst)) {
            // weak host model: any address of any interface
        } else if (dst == LIMITED_BROADCAST || dst == 0 || isBroadcast(dst)) {
            bcast = true;
        } else if (ifp.isLoopback() && isLoopbackNet(dst)) {
            // all of 127/8 is this host when it arrives on loopback
        } else if (isMulticast(dst)) {
            stat.notMember.increment();
            return;
        } else {
            forward(p);
            return;
        }
        if (bcast) {
            p.addFlags(Packet.M_BCAST);
        }
        if ((p.get16(Ipv4Header.OFF_FRAG) & (Ipv4Header.FLAG_MF | Ipv4Header.OFFMASK)) != 0) {
            Packet whole = reass.input(p, hlen);
            if (whole == null) {
                return;
            }
            p = whole;
            hlen = (p.get8(Ipv4Header.OFF_VHL) & 0xf) << 2;
        }
        deliver(p, hlen, bcast);
    }

    private void deliver(Packet p, int hlen, boolean bcast) {
        int proto = p.get8(Ipv4Header.OFF_PROTOCOL);
        stat.delivered.increment();
        Handler h = protox.get(proto);
        if (h != null) {
            try {
                h.input.input(p, hlen);
            } catch (RuntimeException e) {
                internalError(e);
            }
            return;
        }
        if (rawInput(p, hlen)) {
            return;
        }
        stat.delivered.decrement();
        stat.noProto.increment();
        if (!bcast) {
            icmp.error(p, IcmpHeader.UNREACH, IcmpHeader.UNREACH_PROTOCOL, 0);
        }
    }

    /** {@code ip_forward}. */
    private void forward(Packet p) {
        int dst = p.get32(Ipv4Header.OFF_DST);
        if (forwarding.get() == 0 || (p.flags() & (Packet.M_BCAST | Packet.M_MCAST)) != 0 || !canForward(dst)) {
            stat.cantForward.increment();
            return;
        }
        if (p.get8(Ipv4Header.OFF_TTL) <= 1) {
            icmp.error(p, IcmpHeader.TIMXCEED, IcmpHeader.TIMXCEED_INTRANS, 0);
            return;
        }
        Route r = routes.lookup(dst);
        if (r == null) {
            stat.noRoute.increment();
            icmp.error(p, IcmpHeader.UNREACH, IcmpHeader.UNREACH_NET, 0);
            return;
        }
        if ((r.flags() & Route.RTF_BLACKHOLE) != 0) {
            return;
        }
        if ((r.flags() & Route.RTF_REJECT) != 0 || !(r.ifp() instanceof NetInterface out) || !out.isUp()) {
            stat.cantForward.increment();
            icmp.error(p, IcmpHeader.UNREACH, IcmpHeader.UNREACH_HOST, 0);
            return;
        }
        int mtu = r.effectiveMtu();
        if (p.length() > mtu && (p.get16(Ipv4Header.OFF_FRAG) & Ipv4Header.FLAG_DF) != 0) {
            stat.cantFrag.increment();
            icmp.error(p, IcmpHeader.UNREACH, IcmpHeader.UNREACH_NEEDFRAG, mtu);
            return;
        }
        Ipv4Header.decrementTtl(p.array(), p.offset());
        stat.forwarded.increment();
        int nextHop = r.gateway() != null ? r.gateway().bits() : dst;
        try {
            sendOut(p, new Hop(out, nextHop, mtu, 0, false), dst);
        } catch (SocketException e) {
            LOG.debug("forwarding to {} failed: {}", new InAddr(dst), e.getMessage());
        }
    }

    // ---------------------------------------------------------------- output

    /**
     * {@code ip_output}, as {@link ProtoContext#ipOutput} describes: prepends the header
     * (unless {@link ProtoContext#IP_RAWOUTPUT}), picks route and source, runs the OUT
     * hooks on the whole datagram, fragments to the MTU and hands the result to the
     * interface. A datagram to an address of this host goes through the loopback interface.
     *
     * @throws SocketException ENETUNREACH without any route, EHOSTUNREACH for a reject
     *         route, EACCES for a broadcast without {@link ProtoContext#IP_ALLOWBROADCAST}
     *         or a packet a hook dropped, EMSGSIZE over 65535 bytes or over the MTU with DF,
     *         ENETDOWN when the interface is down, EADDRNOTAVAIL when no source address
     *         exists, EINVAL for a bad header given with IP_RAWOUTPUT
     */
    public void output(Packet p, int src, int dst, int proto, int ttl, int tos, int flags) throws SocketException {
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

    /** Picks interface, next hop, MTU and source; null for a blackhole route (silently dropped). */
    private Hop resolve(int src, int dst, int flags) throws SocketException {
        boolean allowBcast = (flags & ProtoContext.IP_ALLOWBROADCAST) != 0;
        if (dst == LIMITED_BROADCAST) {
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
                    s = r.ifaddr() != null ? r.ifaddr().bits() : primaryAddress(ifp);
                }
            }
            return checked(new Hop(ifp, dst, ifp.mtu(), s, true));
        }
        if (isLocalAddress(dst)) {
            NetInterface lo = ifs.loopback();
            if (lo == null) {
                stat.noRoute.increment();
                throw new SocketException(Errno.ENETUNREACH, "no loopback interface to reach local address " + new InAddr(dst));
            }
            return checked(new Hop(lo, dst, lo.mtu(), src != 0 ? src : dst, false));
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
                s = r.ifaddr() != null ? r.ifaddr().bits() : primaryAddress(ifp);
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
    private void sendOut(Packet p, Hop hop, int dst) throws SocketException {
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
    private void outputReinjected(Packet p) {
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
            internalError(e);
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

    // ---------------------------------------------------------------- ICMP and addresses

    /** {@code icmp_error}, see {@link ProtoContext#icmpError}. */
    public void icmpError(Packet offending, int type, int code, int nextMtu) {
        try {
            icmp.error(offending, type, code, nextMtu);
        } catch (RuntimeException e) {
            internalError(e);
        }
    }

    /** True when {@code addr} is an address of one of this instance's interfaces (weak host model). */
    public boolean isLocalAddress(int addr) {
        return addr != 0 && ifs.byAddress(addr) != null;
    }

    /** True for 255.255.255.255 and the directed broadcast address of any attached subnet. */
    public boolean isBroadcast(int addr) {
        return addr == LIMITED_BROADCAST || broadcastInterface(addr) != null;
    }

    private NetInterface broadcastInterface(int addr) {
        for (NetInterface ifp : ifs.list()) {
            List<IfAddr> l = ifp.addresses();
            for (int i = 0; i < l.size(); i++) {
                InAddr b = l.get(i).broadcast();
                if (b != null && b.bits() == addr) {
                    return ifp;
                }
            }
        }
        return null;
    }

    private static int primaryAddress(IfNet ifp) {
        List<IfAddr> l = ifp.addresses();
        return l.isEmpty() ? 0 : l.get(0).addr().bits();
    }

    static boolean isMulticast(int a) {
        return a >>> 28 == 0xe;
    }

    private static boolean isLoopbackNet(int a) {
        return a >>> 24 == 127;
    }

    /** {@code in_canforward}: not multicast, not class E, not net 0, not loopback. */
    private static boolean canForward(int a) {
        int top = a >>> 24;
        return top != 0 && top != 127 && top < 224;
    }

    private void countBad(WireStatus st) {
        switch (st) {
            case TRUNCATED -> stat.tooShort.increment();
            case BAD_VERSION -> stat.badVers.increment();
            case BAD_HLEN -> stat.badHlen.increment();
            case BAD_TOTAL_LENGTH -> stat.badLen.increment();
            default -> stat.badHlen.increment();
        }
    }

    private void internalError(RuntimeException e) {
        stat.internalErrors.increment();
        LOG.warn("IP layer of {}: packet dropped after an internal error", vnetName, e);
    }

    // ---------------------------------------------------------------- timers and statistics

    /** The 500 ms timer ({@code ip_slowtimo}): expires reassembly queues. */
    public void slowtimo(long nowNanos) {
        try {
            reass.slowtimo(nowNanos);
        } catch (RuntimeException e) {
            internalError(e);
        }
    }

    /** {@code netstat -s -p ip}, in FreeBSD's order and wording. */
    public Map<String, Long> ipStatistics() {
        return stat.toMap(reass);
    }

    /** {@code netstat -s -p icmp}, in FreeBSD's order and wording (histograms show non-zero types). */
    public Map<String, Long> icmpStatistics() {
        return icmp.statistics();
    }

    /** Reassembly queues alive now. */
    public int reassemblyQueues() {
        return reass.queueCount();
    }

    @Override
    public String toString() {
        return "IpLayer[" + vnetName + "]";
    }
}
