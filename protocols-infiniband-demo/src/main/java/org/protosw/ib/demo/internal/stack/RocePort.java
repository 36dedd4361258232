package org.protosw.ib.demo.internal.stack;

import static org.protosw.socket.SocketConstants.AF_INET;
import static org.protosw.socket.SocketConstants.IPPROTO_UDP;
import static org.protosw.socket.SocketConstants.SOCK_DGRAM;

import org.protosw.ib.demo.IbConstants;
import org.protosw.ib.demo.IbGid;
import org.protosw.ib.demo.internal.verbs.Hca;
import org.protosw.ib.demo.internal.verbs.IbStats;
import org.protosw.ib.demo.internal.verbs.RcPort;
import org.protosw.ib.demo.internal.wire.Icrc;
import org.protosw.ib.demo.internal.wire.RocePacket;
import org.protosw.socket.Errno;
import org.protosw.socket.InAddr;
import org.protosw.socket.InetSockAddr;
import org.protosw.socket.SocketException;
import org.protosw.spi.Callout;
import org.protosw.spi.IcmpError;
import org.protosw.spi.IfAddr;
import org.protosw.spi.KernSocket;
import org.protosw.spi.Packet;
import org.protosw.spi.ProtoContext;
import org.protosw.spi.Route;
import org.protosw.spi.SoUpcall;
import org.protosw.spi.TunnelInput;

/**
 * The HCA's port on the vnet: an in-stack UDP socket bound to 4791 (RoCEv2), opened with
 * {@code socreate} when a connection or a listener first needs it and again after UDP left
 * and came back (the SPI has no "lower protocol is back" event). Received datagrams reach
 * {@link #input} through UDP's tunnel hook, on the input path, before any socket buffer:
 * the ICRC is checked over the IP, UDP and IB headers as they arrived, then BTH to ICRC go
 * to {@link Hca#input}. Sent packets leave through UDP; the ICRC and the entropy source port
 * are filled in by {@link RoceOutputHook} once IP has made its header.
 */
final class RocePort implements RcPort, SoUpcall, TunnelInput {
    private static final int IP_LEN = 20;
    private static final int UDP_LEN = 8;

    private final ProtoContext ctx;
    private volatile Hca hca;
    private volatile KernSocket so;
    private volatile boolean closed;

    RocePort(ProtoContext ctx) {
        this.ctx = ctx;
    }

    void bind(Hca h) {
        this.hca = h;
    }

    /**
     * The UDP socket, opened now if there is none or UDP aborted the last one.
     *
     * @throws SocketException ENETDOWN while UDP is not loaded in this vnet, or what bind says
     */
    KernSocket open() throws SocketException {
        KernSocket k = so;
        if (k != null && !k.isAborted()) {
            return k;
        }
        synchronized (this) {
            k = so;
            if (k != null && !k.isAborted()) {
                return k;
            }
            if (closed) {
                throw new SocketException(Errno.ENETDOWN, "the InfiniBand port of vnet " + ctx.vnet() + " is closed");
            }
            KernSocket n;
            try {
                n = ctx.socreate(AF_INET, SOCK_DGRAM, IPPROTO_UDP, this);
            } catch (SocketException e) {
                throw new SocketException(Errno.ENETDOWN, "UDP, which RoCEv2 runs on, is not available in vnet " + ctx.vnet()
                        + " (" + e.getMessage() + ")", e);
            }
            try {
                n.bind(new InetSockAddr(InAddr.ANY, IbConstants.ROCE_V2_PORT));
                n.setTunnel(this);
            } catch (SocketException e) {
                n.close();
                throw new SocketException(e.errno(), "RoCEv2 port 4791 in vnet " + ctx.vnet() + ": " + e.getMessage(), e);
            }
            so = n;
            Hca h = hca;
            if (h != null) {
                h.stats().inc(IbStats.Counter.PORT_OPENS);
            }
            return n;
        }
    }

    /** Whether the UDP socket is open (netstat shows it, owned by the domain). */
    boolean isOpen() {
        KernSocket k = so;
        return k != null && !k.isAborted();
    }

    void close() {
        KernSocket k;
        synchronized (this) {
            closed = true;
            k = so;
            so = null;
        }
        if (k != null) {
            k.close();
        }
    }

    // ---- RcPort ----

    @Override
    public void output(IbGid dst, byte[] buf, int len) {
        KernSocket k = so;
        Hca h = hca;
        if (k == null || !dst.isIpv4Mapped()) {
            if (h != null) {
                h.stats().inc(IbStats.Counter.OUTPUT_DROPS);
            }
            return;
        }
        Packet p = ctx.allocate(len);
        System.arraycopy(buf, 0, p.array(), p.offset(), len);
        try {
            k.send(p, new InetSockAddr(new InAddr(dst.ipv4()), IbConstants.ROCE_V2_PORT), 0);
        } catch (SocketException e) {
            // a full interface queue or a missing route is a lost packet: the QP retransmits
            if (h != null) {
                h.stats().inc(IbStats.Counter.OUTPUT_DROPS);
            }
        }
    }

    @Override
    public IbGid sourceFor(IbGid dst) {
        if (!dst.isIpv4Mapped()) {
            return null;
        }
        int a = dst.ipv4();
        if (ctx.isLocalAddress(a)) {
            return dst;
        }
        Route r = ctx.routeLookup(a);
        if (r == null || (r.flags() & (Route.RTF_REJECT | Route.RTF_BLACKHOLE)) != 0) {
            return null;
        }
        if (r.ifaddr() != null) {
            return IbGid.ofIpv4(r.ifaddr().bits());
        }
        for (IfAddr ia : r.ifp().addresses()) {
            return IbGid.ofIpv4(ia.addr().bits());
        }
        return null;
    }

    @Override
    public Callout newCallout(Runnable task) {
        return ctx.newCallout(task);
    }

    // ---- TunnelInput: one datagram for port 4791, IP header first ----

    @Override
    public void input(Packet p, int hlen) {
        Hca h = hca;
        if (h == null) {
            return;
        }
        if (hlen != IP_LEN) {
            h.stats().inc(IbStats.Counter.BAD_IP);
            return;
        }
        int ibLen = p.length() - IP_LEN - UDP_LEN;
        if (ibLen < RocePacket.MIN_LENGTH) {
            h.stats().inc(IbStats.Counter.BAD_TRUNCATED);
            return;
        }
        byte[] b = p.array();
        int o = p.offset();
        if (!Icrc.verify(b, o, ibLen)) {
            h.stats().inc(IbStats.Counter.BAD_ICRC);
            return;
        }
        h.input(IbGid.ofIpv4(p.get32(12)), b, o + IP_LEN + UDP_LEN, ibLen);
    }

    /**
     * An ICMP error quoting a packet sent from port 4791 (the CM's MADs keep that source port,
     * see {@link RoceOutputHook}). Port unreachable means the peer has no RoCEv2 port: its
     * pending connection attempts are refused at once, as TCP's are by a reset.
     */
    @Override
    public void ctlinput(IcmpError error) {
        Hca h = hca;
        if (h == null) {
            return;
        }
        h.stats().inc(IbStats.Counter.ICMP_ERRORS);
        Packet q = error.inner();
        if (error.type() == IcmpError.UNREACH && (error.code() == IcmpError.UNREACH_PORT || error.code() == IcmpError.UNREACH_PROTOCOL)
                && q != null && q.length() >= IP_LEN) {
            h.cm().portUnreachable(IbGid.ofIpv4(q.get32(16)));
        }
    }

    // ---- SoUpcall ----

    /**
     * UDP left (unloaded or drained) or the vnet goes. The core aborted every AF_IB socket
     * before (they declare that they use UDP), so no QP of a socket should be left; one that
     * is would be counted as a bug of the ordering.
     */
    @Override
    public void aborted(KernSocket k) {
        synchronized (this) {
            if (so == k) {
                so = null;
            }
        }
        Hca h = hca;
        if (h != null) {
            h.stats().inc(IbStats.Counter.PORT_ABORTS);
            if (!h.qps().isEmpty()) {
                h.stats().inc(IbStats.Counter.PORT_ABORTS_UNDER_QPS);
            }
        }
    }

    @Override
    public String toString() {
        return "RoCEv2 port of vnet " + ctx.vnet() + (isOpen() ? " (udp 4791 open)" : " (closed)");
    }
}
