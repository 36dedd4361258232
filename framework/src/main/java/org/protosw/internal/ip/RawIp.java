package org.protosw.internal.ip;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.atomic.LongAdder;

import org.protosw.socket.Errno;
import org.protosw.socket.InAddr;
import org.protosw.socket.InetSockAddr;
import org.protosw.socket.SockAddr;
import org.protosw.socket.SockOpt;
import org.protosw.socket.SocketConstants;
import org.protosw.socket.SocketException;
import org.protosw.spi.Packet;
import org.protosw.spi.Pcb;
import org.protosw.spi.ProtoContext;
import org.protosw.spi.ProtoSocket;
import org.protosw.spi.Protocol;
import org.protosw.spi.Tunable;
import org.protosw.wire.Ipv4Header;

/**
 * Raw IP sockets ({@code raw_ip.c}) of one stack instance: the {@link Protocol} half of the
 * SOCK_RAW / protocol 0 switch entry of AF_INET. The core wires it: a {@code ProtoSw}
 * cannot reach the IP layer through the SPI, so its {@code init(ctx)} constructs
 * {@code new RawIp(ctx, ipLayer)}, which installs itself as the IP layer's raw input.
 *
 * <p>A socket's protocol number is the one it was created with; 0 receives every protocol
 * that reaches raw input (ICMP, and protocols without a handler), as in FreeBSD. Each
 * matching socket receives a copy of the whole packet, IP header included. Sending builds
 * the IP header unless IP_HDRINCL is on (it is implied for IPPROTO_RAW); then the
 * application supplies it and the IP layer fills in the id when zero, the source when
 * zero, and the checksum.
 *
 * <p>Tunables: {@code net.inet.raw.maxdgram} and {@code net.inet.raw.recvspace} (the send
 * and receive buffer sizes of new sockets).
 */
public final class RawIp implements Protocol {
    private final ProtoContext ctx;
    private final IpLayer ip;
    private final Tunable maxDgram;
    private final Tunable recvSpace;
    private final IpLayer.RawInput rawInput = this::input;
    private final Object listLock = new Object();
    private volatile RawPcb[] pcbs = new RawPcb[0];

    private final LongAdder received = new LongAdder();
    private final LongAdder delivered = new LongAdder();
    private final LongAdder noSocket = new LongAdder();
    private final LongAdder fullSocket = new LongAdder();
    private final LongAdder sent = new LongAdder();
    private final LongAdder sentHdrincl = new LongAdder();

    public RawIp(ProtoContext ctx, IpLayer ip) {
        this.ctx = ctx;
        this.ip = ip;
        this.maxDgram = ctx.sysctl().register("net.inet.raw.maxdgram", 9216, 1, 1 << 20,
                "Maximum outgoing raw IP datagram size");
        this.recvSpace = ctx.sysctl().register("net.inet.raw.recvspace", 9216, 1, 1 << 24,
                "Maximum space for incoming raw IP datagrams");
        ip.setRawInput(rawInput);
    }

    @Override
    public Pcb attach(ProtoSocket so) throws SocketException {
        if (so.type() != SocketConstants.SOCK_RAW) {
            throw new SocketException(Errno.ESOCKTNOSUPPORT, "raw IP serves SOCK_RAW only");
        }
        int proto = so.protocol();
        if (proto < 0 || proto > 255) {
            throw new SocketException(Errno.EPROTONOSUPPORT, "IP protocol number " + proto + " (expected 0..255)");
        }
        so.soreserve(maxDgram.getInt(), recvSpace.getInt());
        RawPcb pcb = new RawPcb(so, proto);
        synchronized (listLock) {
            RawPcb[] cur = pcbs;
            RawPcb[] next = Arrays.copyOf(cur, cur.length + 1);
            next[cur.length] = pcb;
            pcbs = next;
        }
        return pcb;
    }

    private void unlink(RawPcb pcb) {
        synchronized (listLock) {
            RawPcb[] cur = pcbs;
            for (int i = 0; i < cur.length; i++) {
                if (cur[i] == pcb) {
                    RawPcb[] next = new RawPcb[cur.length - 1];
                    System.arraycopy(cur, 0, next, 0, i);
                    System.arraycopy(cur, i + 1, next, i, cur.length - i - 1);
                    pcbs = next;
                    return;
                }
            }
        }
    }

    /** {@code rip_input}: a copy to every matching socket; true when any matched. */
    boolean input(Packet p, int hlen) {
        received.increment();
        int proto = p.get8(Ipv4Header.OFF_PROTOCOL);
        int src = p.get32(Ipv4Header.OFF_SRC);
        int dst = p.get32(Ipv4Header.OFF_DST);
        String ifname = p.rcvif() != null ? p.rcvif().name() : null;
        boolean matched = false;
        InetSockAddr from = null;
        for (RawPcb r : pcbs) {
            if ((r.proto != 0 && r.proto != proto) || (r.laddr != 0 && r.laddr != dst) || (r.faddr != 0 && r.faddr != src)) {
                continue;
            }
            matched = true;
            if (from == null) {
                from = new InetSockAddr(new InAddr(src), 0);
            }
            Packet copy = Packet.wrap(p.toByteArray(), 0, p.length());
            copy.setRcvif(p.rcvif());
            copy.setFlags(p.flags());
            if (r.so.rcv().appendAddr(copy, from, ifname)) {
                delivered.increment();
                r.so.sorwakeup();
            } else {
                fullSocket.increment();
            }
        }
        if (!matched) {
            noSocket.increment();
        }
        return matched;
    }

    @Override
    public Map<String, Long> statistics() {
        Map<String, Long> m = new LinkedHashMap<>();
        m.put("datagrams received", received.sum());
        m.put("datagrams delivered to sockets", delivered.sum());
        m.put("datagrams with no socket", noSocket.sum());
        m.put("datagrams dropped due to full socket buffers", fullSocket.sum());
        m.put("datagrams output", sent.sum());
        m.put("datagrams output with a header from the application", sentHdrincl.sum());
        return m;
    }

    /** Sockets open now. */
    public int socketCount() {
        return pcbs.length;
    }

    @Override
    public void destroy() {
        if (ip.rawInput() == rawInput) {
            ip.setRawInput(null);
        }
        maxDgram.close();
        recvSpace.close();
    }

    /** One raw socket ({@code struct inpcb} of raw IP). */
    private final class RawPcb implements Pcb {
        final ProtoSocket so;
        final int proto;
        volatile int laddr;
        volatile int faddr;
        volatile boolean hdrincl;
        volatile int ttl = -1;
        volatile int tos;
        volatile boolean dontFrag;

        RawPcb(ProtoSocket so, int proto) {
            this.so = so;
            this.proto = proto;
            this.hdrincl = proto == SocketConstants.IPPROTO_RAW;
        }

        @Override
        public void bind(SockAddr addr) throws SocketException {
            int a = inet(addr).addr().bits();
            if (a != 0 && !ip.isLocalAddress(a)) {
                throw new SocketException(Errno.EADDRNOTAVAIL, "bind " + new InAddr(a) + ": not an address of this host");
            }
            laddr = a;
        }

        @Override
        public void connect(SockAddr addr) throws SocketException {
            int a = inet(addr).addr().bits();
            if (a == 0) {
                throw new SocketException(Errno.EADDRNOTAVAIL, "connect to 0.0.0.0");
            }
            faddr = a;
            so.soisconnected();
        }

        @Override
        public void disconnect() throws SocketException {
            if (faddr == 0) {
                throw new SocketException(Errno.ENOTCONN, "raw socket is not connected");
            }
            faddr = 0;
        }

        @Override
        public void shutdown() {
            so.socantsendmore();
        }

        @Override
        public void send(Packet data, SockAddr to, int flags) throws SocketException {
            int dst;
            int connected = faddr;
            if (connected != 0) {
                if (to != null) {
                    throw new SocketException(Errno.EISCONN, "sendto on a connected raw socket");
                }
                dst = connected;
            } else {
                if (to == null) {
                    throw new SocketException(Errno.EDESTADDRREQ, "send: raw socket is not connected and no address was given");
                }
                dst = inet(to).addr().bits();
            }
            int ipflags = 0;
            if (so.option(SockOpt.SO_BROADCAST)) {
                ipflags |= ProtoContext.IP_ALLOWBROADCAST;
            }
            if (so.option(SockOpt.SO_DONTROUTE) || (flags & SocketConstants.MSG_DONTROUTE) != 0) {
                ipflags |= ProtoContext.IP_ROUTETOIF;
            }
            if (dontFrag) {
                ipflags |= ProtoContext.IP_DF;
            }
            if (hdrincl) {
                int len = data.length();
                if (len < Ipv4Header.MIN_LENGTH || len > Ipv4Header.MAX_PACKET) {
                    throw new SocketException(Errno.EINVAL, "IP_HDRINCL packet of " + len + " bytes (expected 20..65535)");
                }
                sentHdrincl.increment();
                ip.output(data, 0, 0, 0, 0, 0, ipflags | ProtoContext.IP_RAWOUTPUT);
            } else {
                ip.output(data, laddr, dst, proto, ttl, tos, ipflags);
            }
            sent.increment();
        }

        @Override
        public SockAddr sockaddr() {
            return new InetSockAddr(new InAddr(laddr), 0);
        }

        @Override
        public SockAddr peeraddr() throws SocketException {
            int f = faddr;
            if (f == 0) {
                throw new SocketException(Errno.ENOTCONN, "raw socket is not connected");
            }
            return new InetSockAddr(new InAddr(f), 0);
        }

        @Override
        public <T> void setOption(SockOpt<T> option, T value) throws SocketException {
            if (option.equals(SockOpt.IP_HDRINCL)) {
                hdrincl = (Boolean) value;
            } else if (option.equals(SockOpt.IP_TTL)) {
                int v = (Integer) value;
                if (v < -1 || v > 255) {
                    throw new SocketException(Errno.EINVAL, "IP_TTL " + v + " (expected 0..255, or -1 for the default)");
                }
                ttl = v;
            } else if (option.equals(SockOpt.IP_TOS)) {
                int v = (Integer) value;
                if (v < 0 || v > 255) {
                    throw new SocketException(Errno.EINVAL, "IP_TOS " + v + " (expected 0..255)");
                }
                tos = v;
            } else if (option.equals(SockOpt.IP_DONTFRAG)) {
                dontFrag = (Boolean) value;
            } else {
                throw new SocketException(Errno.ENOPROTOOPT, option.label());
            }
        }

        @Override
        public <T> T getOption(SockOpt<T> option) throws SocketException {
            Object v;
            if (option.equals(SockOpt.IP_HDRINCL)) {
                v = hdrincl;
            } else if (option.equals(SockOpt.IP_TTL)) {
                int t = ttl;
                if (t < 0) {
                    Tunable def = ctx.sysctl().find("net.inet.ip.ttl");
                    t = def != null ? def.getInt() : 64;
                }
                v = t;
            } else if (option.equals(SockOpt.IP_TOS)) {
                v = tos;
            } else if (option.equals(SockOpt.IP_DONTFRAG)) {
                v = dontFrag;
            } else {
                throw new SocketException(Errno.ENOPROTOOPT, option.label());
            }
            return option.cast(v);
        }

        @Override
        public void close() {
            unlink(this);
        }

        @Override
        public void abort() {
            unlink(this);
        }

        @Override
        public void detach() {
            unlink(this);
        }

        private InetSockAddr inet(SockAddr addr) throws SocketException {
            if (addr instanceof InetSockAddr sin) {
                return sin;
            }
            throw new SocketException(Errno.EAFNOSUPPORT, "raw IP takes AF_INET addresses, not " + addr);
        }

        @Override
        public String toString() {
            return "rawip[proto " + proto + " " + new InAddr(laddr) + " > " + new InAddr(faddr) + "]";
        }
    }
}
