package org.protosw.udp.internal;

import static org.protosw.socket.SocketConstants.IPPROTO_UDP;
import static org.protosw.socket.SocketConstants.MSG_DONTROUTE;

import java.util.concurrent.locks.ReentrantLock;

import org.protosw.socket.Errno;
import org.protosw.socket.InAddr;
import org.protosw.socket.InetSockAddr;
import org.protosw.socket.SockAddr;
import org.protosw.socket.SockOpt;
import org.protosw.socket.SocketException;
import org.protosw.spi.InPcb;
import org.protosw.spi.InPcbTable;
import org.protosw.spi.Packet;
import org.protosw.wire.UdpHeader;
import org.protosw.spi.Pcb;
import org.protosw.spi.ProtoContext;
import org.protosw.spi.ProtoSocket;
import org.protosw.spi.Route;
import org.protosw.spi.Tunable;
import org.protosw.spi.TunnelInput;
import org.protosw.spi.TunnelPcb;

/**
 * The pcb of one UDP socket: its user requests ({@code udp_usrreqs}) and
 * {@code udp_output}.
 *
 * <p>bind, connect and disconnect run under the pcb's own lock and then publish the
 * resulting addresses as one immutable {@link Endpoints}; send and input read that single
 * volatile reference, so the data path takes no lock and never sees a half-changed peer.
 */
final class UdpPcb implements Pcb, TunnelPcb {
    /** Largest payload: 65535 minus a minimal IPv4 header and the UDP header. */
    static final int MAX_PAYLOAD = 65535 - 20 - UdpHeader.LENGTH;

    /** Default TTL when the stack has no {@code net.inet.ip.ttl} (RFC 1700's 64). */
    private static final int IPDEFTTL = 64;

    private boolean loopbackRoute(int dst) {
        if (csumDst != dst || dst == 0) {
            Route r = udp.context().routeLookup(dst);
            csumLoop = r != null && r.ifp() != null && r.ifp().isLoopback();
            csumDst = dst;
        }
        return csumLoop;
    }

    /** The socket's addresses as of its last bind/connect/disconnect. */
    private record Endpoints(int laddr, int lport, int faddr, int fport) {
        static final Endpoints UNBOUND = new Endpoints(0, 0, 0, 0);

        boolean connected() {
            return faddr != 0;
        }
    }

    private final UdpProtocol udp;
    private final ProtoSocket so;
    private final InPcbTable<UdpPcb> table;
    private final InPcb<UdpPcb> inp;
    private final ReentrantLock lock = new ReentrantLock();
    private volatile Endpoints ends = Endpoints.UNBOUND;
    private volatile boolean removed;
    /** Removed by the core's abort (unload, vnet removal), not by the application's close. */
    private volatile boolean aborted;
    /** IP_TTL; negative until set: the stack's default. */
    private volatile int ttl = -1;
    private volatile int tos;
    private volatile boolean dontFrag;
    /**
     * The last destination looked up for checksum offload and whether it routes to the
     * loopback. Racing senders may pair them wrongly; that is harmless: a pending checksum
     * that reaches another interface is filled in there, and a computed one is never wrong.
     */
    private volatile int csumDst;
    private volatile boolean csumLoop;
    /**
     * The in-stack owner's receiver ({@code udp_set_kernel_tunneling}): set, it takes every
     * datagram for this pcb before the socket buffer would, and the ICMP errors for its port.
     */
    private volatile TunnelInput tunnel;

    UdpPcb(UdpProtocol udp, ProtoSocket so) {
        this.udp = udp;
        this.so = so;
        this.table = udp.table();
        this.inp = table.alloc(this);
    }

    // ---- user requests -------------------------------------------------------------

    @Override
    public void bind(SockAddr addr) throws SocketException {
        InetSockAddr sin = inet(addr, "bind");
        lock.lock();
        try {
            checkOpen("bind");
            table.bind(inp, sin, so.option(SockOpt.SO_REUSEADDR), so.option(SockOpt.SO_REUSEPORT));
            publish();
        } finally {
            lock.unlock();
        }
    }

    /**
     * Sets the default destination and limits input to that peer. A connected socket is
     * disconnected first, as BSD's soconnect does for datagram sockets, so a failed
     * reconnect leaves it unconnected.
     */
    @Override
    public void connect(SockAddr addr) throws SocketException {
        InetSockAddr sin = inet(addr, "connect");
        lock.lock();
        try {
            checkOpen("connect");
            boolean wasConnected = ends.connected();
            if (wasConnected) {
                table.disconnect(inp);
                publish();
            }
            try {
                bindEphemeralIfNeeded();
                table.connect(inp, sin);
            } catch (SocketException e) {
                publish();
                if (wasConnected) {
                    so.soisdisconnected();
                }
                throw e;
            }
            publish();
        } finally {
            lock.unlock();
        }
        so.soisconnected();
    }

    @Override
    public void disconnect() throws SocketException {
        lock.lock();
        try {
            checkOpen("disconnect");
            if (!ends.connected()) {
                throw new SocketException(Errno.ENOTCONN, "disconnect");
            }
            table.disconnect(inp);
            publish();
        } finally {
            lock.unlock();
        }
        so.soisdisconnected();
    }

    /** {@code udp_output}. */
    @Override
    public void send(Packet data, SockAddr to, int flags) throws SocketException {
        int len = data.length();
        if (len > MAX_PAYLOAD) {
            throw new SocketException(Errno.EMSGSIZE, "send of " + len + " bytes (UDP carries at most " + MAX_PAYLOAD + ")");
        }
        Endpoints e = ends;
        int dst;
        int dport;
        if (to != null) {
            if (!(to instanceof InetSockAddr sin)) {
                throw new SocketException(Errno.EAFNOSUPPORT, "sendto a non-IPv4 address " + to);
            }
            if (e.connected()) {
                throw new SocketException(Errno.EISCONN, "sendto " + sin + " on a socket connected to " + peer(e));
            }
            dst = sin.addr().bits();
            dport = sin.port();
            if (dst == 0 || dport == 0) {
                throw new SocketException(Errno.EADDRNOTAVAIL, "sendto " + sin);
            }
        } else {
            if (!e.connected()) {
                throw new SocketException(Errno.EDESTADDRREQ, "send on an unconnected socket");
            }
            dst = e.faddr();
            dport = e.fport();
        }
        if (e.lport() == 0) {
            e = implicitBind();
        }
        boolean dontRoute = (flags & MSG_DONTROUTE) != 0 || so.option(SockOpt.SO_DONTROUTE);
        int src = e.laddr() != 0 ? e.laddr() : udp.selectSource(dst, dontRoute);

        int ulen = len + UdpHeader.LENGTH;
        data.prepend(UdpHeader.LENGTH);
        UdpHeader uh = new UdpHeader(data.array(), data.offset(), ulen)
                .setSrcPort(e.lport()).setDstPort(dport).setLength(ulen).setChecksum(0);
        if (udp.checksumEnabled()) {
            if (loopbackRoute(dst)) {
                // lo0 offloads the checksum: the core fills it in if a capture or pipe needs it
                data.addFlags(Packet.M_CSUM_PENDING);
            } else {
                // a computed 0 goes out as all ones: 0 on the wire means "no checksum" (RFC 768)
                uh.fillChecksum(src, dst);
            }
        }
        int ipflags = 0;
        if (dontFrag) {
            ipflags |= ProtoContext.IP_DF;
        }
        if (so.option(SockOpt.SO_BROADCAST)) {
            ipflags |= ProtoContext.IP_ALLOWBROADCAST;
        }
        if (dontRoute) {
            ipflags |= ProtoContext.IP_ROUTETOIF;
        }
        udp.stats().opackets.increment();
        udp.context().ipOutput(data, src, dst, IPPROTO_UDP, ttl, tos, ipflags);
    }

    @Override
    public SockAddr sockaddr() {
        Endpoints e = ends;
        return new InetSockAddr(new InAddr(e.laddr()), e.lport());
    }

    @Override
    public SockAddr peeraddr() throws SocketException {
        Endpoints e = ends;
        if (!e.connected()) {
            throw new SocketException(Errno.ENOTCONN, "getpeername");
        }
        return peer(e);
    }

    @Override
    public <T> void setOption(SockOpt<T> option, T value) throws SocketException {
        if (option.equals(SockOpt.IP_TTL)) {
            ttl = byteValue(option, value);
        } else if (option.equals(SockOpt.IP_TOS)) {
            tos = byteValue(option, value);
        } else if (option.equals(SockOpt.IP_DONTFRAG)) {
            if (!(value instanceof Boolean b)) {
                throw new SocketException(Errno.EINVAL, option.label() + " needs true or false, got " + value);
            }
            dontFrag = b;
        } else {
            throw new SocketException(Errno.ENOPROTOOPT, option.label() + " on a UDP socket");
        }
    }

    @Override
    public <T> T getOption(SockOpt<T> option) throws SocketException {
        Object v;
        if (option.equals(SockOpt.IP_TTL)) {
            int t = ttl;
            v = t >= 0 ? t : defaultTtl();
        } else if (option.equals(SockOpt.IP_TOS)) {
            v = tos;
        } else if (option.equals(SockOpt.IP_DONTFRAG)) {
            v = dontFrag;
        } else {
            throw new SocketException(Errno.ENOPROTOOPT, option.label() + " on a UDP socket");
        }
        return option.cast(v);
    }

    @Override
    public void close() {
        release();
    }

    @Override
    public void abort() {
        aborted = true;
        release();
    }

    @Override
    public void detach() {
        release();
    }

    // ---- live upgrade (UdpTransfer) ---------------------------------------------------

    /** What the next revision needs to continue this pcb: its addresses and IP options. */
    java.util.Map<String, Object> exportState() {
        Endpoints e = ends;
        java.util.Map<String, Object> m = new java.util.LinkedHashMap<>();
        m.put("laddr", e.laddr());
        m.put("lport", e.lport());
        m.put("faddr", e.faddr());
        m.put("fport", e.fport());
        m.put("ttl", ttl);
        m.put("tos", tos);
        m.put("dontfrag", dontFrag);
        return m;
    }

    /**
     * A pcb continuing an exported one on {@code so}: bound and connected again in this
     * revision's table. A connected socket binds its port on the wildcard and connects, so
     * its local address is again chosen by the connect (and forgotten by a disconnect).
     */
    static UdpPcb restore(UdpProtocol udp, ProtoSocket so, java.util.Map<String, Object> m) throws SocketException {
        UdpPcb pcb = new UdpPcb(udp, so);
        int laddr = UdpTransfer.integer(m, "laddr");
        int lport = UdpTransfer.integer(m, "lport");
        int faddr = UdpTransfer.integer(m, "faddr");
        int fport = UdpTransfer.integer(m, "fport");
        pcb.ttl = UdpTransfer.integer(m, "ttl");
        pcb.tos = UdpTransfer.integer(m, "tos");
        pcb.dontFrag = Boolean.TRUE.equals(m.get("dontfrag"));
        pcb.lock.lock();
        try {
            if (lport != 0) {
                // SO_REUSEPORT/REUSEADDR are socket options the core kept: several sockets may share the port again
                pcb.table.bind(pcb.inp, new InetSockAddr(new InAddr(faddr != 0 ? 0 : laddr), lport), true,
                        so.option(SockOpt.SO_REUSEPORT));
            }
            if (faddr != 0) {
                pcb.table.connect(pcb.inp, new InetSockAddr(new InAddr(faddr), fport));
            }
            pcb.publish();
        } catch (SocketException e) {
            pcb.table.remove(pcb.inp);
            throw e;
        } finally {
            pcb.lock.unlock();
        }
        return pcb;
    }

    // ---- input side, called by UdpProtocol without locks ---------------------------

    /** Whether a datagram from (src, sport) may reach this socket: a connected one hears only its peer. */
    boolean accepts(int src, int sport) {
        if (removed) {
            return false;
        }
        Endpoints e = ends;
        return !e.connected() || (e.faddr() == src && e.fport() == sport);
    }

    boolean isConnectedTo(int laddr, int lport, int faddr, int fport) {
        Endpoints e = ends;
        return !removed && e.connected() && e.faddr() == faddr && e.fport() == fport
                && e.lport() == lport && (e.laddr() == 0 || e.laddr() == laddr);
    }

    @Override
    public void setTunnel(TunnelInput t) throws SocketException {
        checkOpen("setTunnel");
        tunnel = t;
    }

    TunnelInput tunnel() {
        return tunnel;
    }

    /** {@code udp_append}: queues a payload (headers already stripped) with its sender. */
    boolean deliver(Packet payload, int src, int sport) {
        if (!so.rcv().appendAddr(payload, new InetSockAddr(new InAddr(src), sport), null)) {
            udp.stats().fullsock.increment();
            return false;
        }
        so.sorwakeup();
        return true;
    }

    /** {@code udp_notify}: an ICMP error for the connected peer becomes the socket's error. */
    void notify(Errno errno) {
        so.setError(errno);
    }

    // ---- helpers --------------------------------------------------------------------

    private Endpoints implicitBind() throws SocketException {
        lock.lock();
        try {
            checkOpen("send");
            bindEphemeralIfNeeded();
            return ends;
        } finally {
            lock.unlock();
        }
    }

    /** Binds to the wildcard and an ephemeral port unless bound already; caller holds the lock. */
    private void bindEphemeralIfNeeded() throws SocketException {
        if (inp.lport() == 0) {
            table.bind(inp, InetSockAddr.ANY, so.option(SockOpt.SO_REUSEADDR), so.option(SockOpt.SO_REUSEPORT));
            publish();
        }
    }

    /**
     * A request racing with close or abort must not put the entry back into the table. The
     * application sees EBADF for calls after its close and ECONNABORTED after the core
     * aborted the socket, so the pcb answers the same.
     */
    private void checkOpen(String request) throws SocketException {
        if (removed) {
            if (aborted) {
                throw new SocketException(Errno.ECONNABORTED, request + " on a socket the stack aborted");
            }
            throw new SocketException(Errno.EBADF, request + " on a closed socket");
        }
    }

    private void publish() {
        ends = new Endpoints(inp.laddr(), inp.lport(), inp.faddr(), inp.fport());
    }

    private void release() {
        lock.lock();
        try {
            if (!removed) {
                removed = true;
                table.remove(inp);
            }
        } finally {
            lock.unlock();
        }
    }

    private int defaultTtl() {
        Tunable t = udp.context().sysctl().find("net.inet.ip.ttl");
        return t != null ? t.getInt() : IPDEFTTL;
    }

    private static InetSockAddr peer(Endpoints e) {
        return new InetSockAddr(new InAddr(e.faddr()), e.fport());
    }

    private static InetSockAddr inet(SockAddr addr, String request) throws SocketException {
        if (addr == null) {
            throw new SocketException(Errno.EINVAL, request + " without an address");
        }
        if (!(addr instanceof InetSockAddr sin)) {
            throw new SocketException(Errno.EAFNOSUPPORT, request + " to a non-IPv4 address " + addr);
        }
        return sin;
    }

    private static int byteValue(SockOpt<?> option, Object value) throws SocketException {
        if (!(value instanceof Integer i) || i < 0 || i > 255) {
            throw new SocketException(Errno.EINVAL, option.label() + " must be 0..255, got " + value);
        }
        return i;
    }

    @Override
    public String toString() {
        Endpoints e = ends;
        return "udp " + sockaddr() + (e.connected() ? " -> " + peer(e) : "");
    }
}
