package org.protosw.udp.internal;

import static org.protosw.socket.SocketConstants.IPPROTO_UDP;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

import org.protosw.socket.Errno;
import org.protosw.socket.InAddr;
import org.protosw.socket.SocketException;
import org.protosw.spi.IcmpError;
import org.protosw.spi.IfAddr;
import org.protosw.spi.IfNet;
import org.protosw.spi.InPcb;
import org.protosw.spi.InPcbTable;
import org.protosw.spi.Packet;
import org.protosw.wire.UdpHeader;
import org.protosw.wire.WireStatus;
import org.protosw.spi.Pcb;
import org.protosw.spi.PpsRateCheck;
import org.protosw.spi.ProtoContext;
import org.protosw.spi.ProtoSocket;
import org.protosw.spi.Protocol;
import org.protosw.spi.Registration;
import org.protosw.spi.Route;
import org.protosw.spi.Tunable;
import org.protosw.spi.TunnelInput;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * UDP in one stack instance ({@code udp_usrreq.c} with its VNET state): the pcb table,
 * {@code udp_input}, {@code udp_ctlinput}, the statistics and the tunables.
 */
final class UdpProtocol implements Protocol {
    private static final Logger LOG = LoggerFactory.getLogger(UdpProtocol.class);

    static final String SYSCTL_CHECKSUM = "net.inet.udp.checksum";
    static final String SYSCTL_MAXDGRAM = "net.inet.udp.maxdgram";
    static final String SYSCTL_RECVSPACE = "net.inet.udp.recvspace";
    static final String SYSCTL_BLACKHOLE = "net.inet.udp.blackhole";
    static final String SYSCTL_LOG_IN_VAIN = "net.inet.udp.log_in_vain";

    /** FreeBSD's udp_sendspace: the largest datagram a socket sends by default. */
    static final int DEFAULT_MAXDGRAM = 9216;
    /** FreeBSD's udp_recvspace: 40 datagrams of 1 KiB, each with room for a sockaddr_in6 (28 bytes). */
    static final int DEFAULT_RECVSPACE = 40 * (1024 + 28);

    /** At most this many "log_in_vain" lines a second. */
    private static final int LOG_IN_VAIN_PPS = 10;

    private final ProtoContext ctx;
    private final UdpStats stats = new UdpStats();
    private final PpsRateCheck logInVainLimit = new PpsRateCheck(LOG_IN_VAIN_PPS);
    /** A bug hit by every packet must not drown the log either. */
    private final PpsRateCheck errorLogLimit = new PpsRateCheck(1);
    private final List<Tunable> tunables = new ArrayList<>();
    private InPcbTable<UdpPcb> table;
    private Tunable checksum;
    private Tunable maxdgram;
    private Tunable recvspace;
    private Tunable blackhole;
    private Tunable logInVain;
    private Registration input;

    private UdpProtocol(ProtoContext ctx) {
        this.ctx = ctx;
    }

    /** {@code udp_init} for one stack instance: tunables, the pcb table, the input hook. */
    static UdpProtocol init(ProtoContext ctx) throws SocketException {
        UdpProtocol udp = new UdpProtocol(ctx);
        try {
            udp.checksum = udp.tunable(SYSCTL_CHECKSUM, 1, 0, 1, "compute UDP checksums on output");
            udp.maxdgram = udp.tunable(SYSCTL_MAXDGRAM, DEFAULT_MAXDGRAM, 1, 65535, "maximum outgoing UDP datagram size (send buffer of new sockets)");
            udp.recvspace = udp.tunable(SYSCTL_RECVSPACE, DEFAULT_RECVSPACE, 1, 16 * 1024 * 1024, "receive buffer of new UDP sockets");
            udp.blackhole = udp.tunable(SYSCTL_BLACKHOLE, 0, 0, 2, "do not send port unreachables for datagrams to closed ports");
            udp.logInVain = udp.tunable(SYSCTL_LOG_IN_VAIN, 0, 0, 1, "log datagrams to closed ports");
            udp.table = ctx.newPcbTable("udp");
            udp.input = ctx.ipprotoRegister(IPPROTO_UDP, udp::udpInput);
        } catch (IllegalArgumentException e) {
            udp.destroy();
            throw new SocketException(Errno.EEXIST, "udp init in " + ctx.vnet() + ": " + e.getMessage(), e);
        } catch (SocketException | RuntimeException e) {
            udp.destroy();
            throw e;
        }
        return udp;
    }

    private Tunable tunable(String name, long def, long min, long max, String description) {
        Tunable t = ctx.sysctl().register(name, def, min, max, description);
        tunables.add(t);
        return t;
    }

    ProtoContext context() {
        return ctx;
    }

    InPcbTable<UdpPcb> table() {
        return table;
    }

    UdpStats stats() {
        return stats;
    }

    boolean checksumEnabled() {
        return checksum.get() != 0;
    }

    @Override
    public Pcb attach(ProtoSocket so) throws SocketException {
        so.soreserve(maxdgram.getInt(), recvspace.getInt());
        return new UdpPcb(this, so);
    }

    /**
     * {@code udp_input}: the IP layer hands a datagram whose data start at its IPv4 header.
     * Every way out of here either queues the payload to sockets or counts why not.
     */
    void udpInput(Packet p, int hlen) {
        stats.ipackets.increment();
        try {
            input(p, hlen);
        } catch (RuntimeException e) {
            stats.inerrors.increment();
            if (errorLogLimit.check()) {
                LOG.warn("udp input in {} dropped a datagram after an internal error", ctx.vnet(), e);
            }
        }
    }

    private void input(Packet p, int hlen) {
        int plen = p.length();
        if (hlen < 20 || plen < hlen + UdpHeader.LENGTH) {
            stats.hdrops.increment();
            return;
        }
        int ipPayload = plen - hlen;
        UdpHeader uh = new UdpHeader(p.array(), p.offset() + hlen, ipPayload);
        int ulen = uh.length();
        if (ulen != ipPayload) {
            if (uh.check() != WireStatus.OK) {
                stats.badlen.increment();
                return;
            }
            // Bytes after the UDP length belong to no one (link padding, a sloppy sender).
            p.setLength(hlen + ulen);
        }
        int src = p.get32(12);
        int dst = p.get32(16);
        if (uh.checksum() == 0) {
            // RFC 768: an all-zero field means the sender computed no checksum.
            stats.nosum.increment();
        } else if ((p.flags() & Packet.M_CSUM_OK) == 0 && !uh.checksumValid(src, dst)) {
            stats.badsum.increment();
            return;
        }
        int sport = uh.srcPort();
        int dport = uh.dstPort();

        if (isMulticast(dst) || ctx.isBroadcast(dst)) {
            multiInput(p, hlen, src, sport, dst, dport);
            return;
        }
        InPcb<UdpPcb> inp = table.lookup(src, sport, dst, dport, true);
        UdpPcb pcb = inp == null ? null : inp.owner();
        if (pcb == null || !pcb.accepts(src, sport)) {
            noSocket(p, src, sport, dst, dport);
            return;
        }
        if (append(pcb, p, hlen, src, sport)) {
            stats.delivered.increment();
        }
    }

    /**
     * {@code udp_append}: the datagram (from its IP header on) to one pcb. A tunnel
     * ({@code udp_set_kernel_tunneling}) takes it as it is, headers and all, before any
     * socket buffer; otherwise the payload is queued with its sender. False when it was dropped.
     */
    private boolean append(UdpPcb pcb, Packet p, int hlen, int src, int sport) {
        TunnelInput tun = pcb.tunnel();
        if (tun != null) {
            stats.tunneled.increment();
            tun.input(p, hlen);
            return true;
        }
        p.adj(hlen + UdpHeader.LENGTH);
        return pcb.deliver(p, src, sport);
    }

    /**
     * {@code udp_multi_input}: a broadcast or multicast datagram goes to every socket bound
     * to its port (and to the wildcard or that address) that is not connected elsewhere.
     * The last one gets the packet itself, the others a copy.
     */
    private void multiInput(Packet p, int hlen, int src, int sport, int dst, int dport) {
        Fanout fanout = new Fanout(p, hlen, src, sport);
        table.forEachMatch(src, sport, dst, dport, fanout);
        if (fanout.finish()) {
            stats.delivered.increment();
        } else if (fanout.last == null) {
            // No need for a port unreachable: nobody answers broadcasts with ICMP errors.
            stats.noport.increment();
            stats.noportbcast.increment();
        }
    }

    /** The datagram (from its IP header on) to each matching pcb: copies, the last the packet itself. */
    private final class Fanout implements Consumer<InPcb<UdpPcb>> {
        final Packet datagram;
        final int hlen;
        final int src;
        final int sport;
        UdpPcb last;
        boolean any;

        Fanout(Packet datagram, int hlen, int src, int sport) {
            this.datagram = datagram;
            this.hlen = hlen;
            this.src = src;
            this.sport = sport;
        }

        @Override
        public void accept(InPcb<UdpPcb> inp) {
            UdpPcb pcb = inp.owner();
            if (pcb == null || !pcb.accepts(src, sport)) {
                return;
            }
            if (last != null) {
                any |= append(last, datagram.copy(), hlen, src, sport);
            }
            last = pcb;
        }

        boolean finish() {
            if (last != null) {
                any |= append(last, datagram, hlen, src, sport);
            }
            return any;
        }
    }

    /** No socket for a unicast datagram: log, count, and answer with a port unreachable. */
    private void noSocket(Packet p, int src, int sport, int dst, int dport) {
        if (logInVain.get() != 0 && logInVainLimit.check()) {
            LOG.info("Connection attempt to UDP {}:{} from {}:{}", new InAddr(dst), dport, new InAddr(src), sport);
        }
        stats.noport.increment();
        if ((p.flags() & (Packet.M_BCAST | Packet.M_MCAST)) != 0) {
            stats.noportbcast.increment();
            return;
        }
        if (blackhole.get() != 0) {
            return;
        }
        ctx.icmpError(p, IcmpError.UNREACH, IcmpError.UNREACH_PORT, 0);
    }

    private static boolean isMulticast(int addr) {
        return (addr >>> 28) == 0xe;
    }

    /**
     * {@code udp_ctlinput}: an ICMP error quoting a datagram we sent. Only a connected
     * socket whose four-tuple matches the quote hears of it (BSD: an unconnected socket
     * could not tell which of its destinations failed).
     */
    @Override
    public void ctlinput(IcmpError error) {
        try {
            Errno errno = ctlErrno(error.type(), error.code());
            Packet q = error.inner();
            if (q == null || q.length() < 20) {
                return;
            }
            int vhl = q.get8(0);
            int ihl = (vhl & 0xf) << 2;
            if ((vhl >>> 4) != 4 || ihl < 20 || q.length() < ihl + 4 || q.get8(9) != IPPROTO_UDP) {
                return;
            }
            int src = q.get32(12);
            int dst = q.get32(16);
            int sport = q.get16(ihl);
            int dport = q.get16(ihl + 2);
            // a tunnel hears of every error for its port: it knows its peers, the socket does not
            InPcb<UdpPcb> bound = table.lookup(dst, dport, src, sport, true);
            UdpPcb tp = bound == null ? null : bound.owner();
            TunnelInput tun = tp == null ? null : tp.tunnel();
            if (tun != null) {
                tun.ctlinput(error);
                return;
            }
            if (errno == null) {
                return;
            }
            InPcb<UdpPcb> inp = table.lookup(dst, dport, src, sport, false);
            UdpPcb pcb = inp == null ? null : inp.owner();
            if (pcb != null && pcb.isConnectedTo(src, sport, dst, dport)) {
                pcb.notify(errno);
            }
        } catch (RuntimeException e) {
            stats.inerrors.increment();
            if (errorLogLimit.check()) {
                LOG.warn("udp ctlinput in {} failed on {}", ctx.vnet(), error, e);
            }
        }
    }

    /** The errno an ICMP error becomes on a connected socket (BSD's inetctlerrmap), or null to ignore it. */
    static Errno ctlErrno(int type, int code) {
        return switch (type) {
            case IcmpError.UNREACH -> switch (code) {
                case IcmpError.UNREACH_NET, 6 /* net unknown */, 9 /* net prohibited */, 11 /* net for TOS */ -> Errno.ENETUNREACH;
                case IcmpError.UNREACH_PROTOCOL, IcmpError.UNREACH_PORT -> Errno.ECONNREFUSED;
                // Path MTU news: UDP has no segment size to adjust, BSD ignores it.
                case IcmpError.UNREACH_NEEDFRAG -> null;
                default -> Errno.EHOSTUNREACH;
            };
            case IcmpError.TIMXCEED -> code == 0 ? Errno.EHOSTUNREACH : null;
            default -> null;
        };
    }

    /**
     * The source address for a datagram from a socket bound to the wildcard (the pseudo
     * header needs it before IP sees the packet): the route's interface address as
     * {@code in_pcbladdr} picks it, or the directly attached network's with SO_DONTROUTE.
     */
    int selectSource(int dst, boolean dontRoute) throws SocketException {
        if (dontRoute) {
            for (IfNet ifp : ctx.interfaces()) {
                if (!ifp.isUp()) {
                    continue;
                }
                for (IfAddr a : ifp.addresses()) {
                    int mask = InAddr.netmask(a.prefixLength());
                    if ((a.addr().bits() & mask) == (dst & mask)
                            || (a.broadcast() != null && a.broadcast().bits() == dst)) {
                        return a.addr().bits();
                    }
                }
            }
            throw new SocketException(Errno.ENETUNREACH, "no directly attached network for " + new InAddr(dst));
        }
        Route rt = ctx.routeLookup(dst);
        if (rt != null) {
            if (rt.ifaddr() != null) {
                return rt.ifaddr().bits();
            }
            int primary = primaryAddress(rt.ifp());
            if (primary != 0) {
                return primary;
            }
            throw new SocketException(Errno.EADDRNOTAVAIL, "no address on " + rt.ifp().name() + " to send to " + new InAddr(dst));
        }
        if (dst == InAddr.BROADCAST.bits()) {
            for (IfNet ifp : ctx.interfaces()) {
                if (ifp.isUp() && (ifp.flags() & IfNet.IFF_BROADCAST) != 0) {
                    int primary = primaryAddress(ifp);
                    if (primary != 0) {
                        return primary;
                    }
                }
            }
        }
        throw new SocketException(Errno.ENETUNREACH, "no route to " + new InAddr(dst));
    }

    private static int primaryAddress(IfNet ifp) {
        if (ifp == null) {
            return 0;
        }
        List<IfAddr> addrs = ifp.addresses();
        return addrs.isEmpty() ? 0 : addrs.get(0).addr().bits();
    }

    /** The counters, carried over a live upgrade so netstat -s goes on counting. */
    Map<String, Object> exportState() {
        return stats.export();
    }

    void importState(Map<String, Object> state) {
        stats.restore(state);
    }

    @Override
    public Map<String, Long> statistics() {
        return stats.snapshot();
    }

    @Override
    public void destroy() {
        if (input != null) {
            input.close();
        }
        for (Tunable t : tunables) {
            t.close();
        }
        tunables.clear();
    }
}
