package org.protosw.tcp.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.protosw.tcp.internal.TcpTestbed.*;

import java.nio.ByteBuffer;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.protosw.internal.sw.ScopedContext;
import org.protosw.socket.InetSockAddr;
import org.protosw.socket.SockOpt;
import org.protosw.socket.Socket;
import org.protosw.socket.SocketConstants;
import org.protosw.spi.Packet;
import org.protosw.spi.Pfil;
import org.protosw.spi.PfilHook;
import org.protosw.tcp.TcpInfo;
import org.protosw.tcp.TcpSockOpts;
import org.protosw.wire.Ipv4Header;
import org.protosw.wire.TcpHeader;
import org.protosw.wire.TcpOptions;

/** What goes on the wire: options, retransmissions, windows, as seen by a pfil hook. */
class TcpWireTest {
    private TcpTestbed tb;
    private ScopedContext hooks;

    @BeforeEach
    void setUp() throws Exception {
        tb = new TcpTestbed();
        hooks = tb.a.newContext("tcp wire test");
    }

    @AfterEach
    void tearDown() throws Exception {
        hooks.close();
        tb.close();
    }

    /** A copy of the TCP header and options of each segment leaving vnet a. */
    private record Seen(int flags, int seq, int len, boolean mss, boolean ws, int wsShift, boolean ts, boolean sackOk) {
    }

    private List<Seen> capture() {
        List<Seen> seen = new CopyOnWriteArrayList<>();
        hooks.pfil().addHook("capture", Pfil.OUT, 10, (p, dir, ifp) -> {
            Seen s = parse(p);
            if (s != null) {
                seen.add(s);
            }
            return PfilHook.PASS;
        });
        return seen;
    }

    private static Seen parse(Packet p) {
        Ipv4Header ip = new Ipv4Header(p.array(), p.offset(), p.length());
        if (!ip.check().ok() || ip.protocol() != TcpHeader.PROTOCOL) {
            return null;
        }
        TcpHeader th = new TcpHeader(p.array(), ip.payloadOffset(), ip.payloadLength());
        if (!th.check().ok()) {
            return null;
        }
        TcpOptions o = th.options(new TcpOptions());
        o.parse();
        return new Seen(th.flags(), th.seq(), th.payloadLength(), o.hasMss(), o.hasWindowScale(),
                o.hasWindowScale() ? o.windowScale() : -1, o.hasTimestamp(), o.sackPermitted());
    }

    private Socket[] connectedPair(int port) throws Exception {
        Socket l = listener(tb.b, B, port, 8);
        Future<Socket> acc = tb.async(l::accept);
        Socket c = tcpSocket(tb.a);
        c.connect(new InetSockAddr(B, port));
        Socket s = acc.get(5, TimeUnit.SECONDS);
        l.close();
        return new Socket[] {c, s};
    }

    @Test
    void synCarriesMssWindowScaleTimestampsAndSackPermitted() throws Exception {
        List<Seen> seen = capture();
        Socket[] p = connectedPair(9000);
        try (Socket c = p[0]; Socket s = p[1]) {
            Seen syn = seen.get(0);
            assertThat(syn.flags() & (TcpHeader.SYN | TcpHeader.ACK)).isEqualTo(TcpHeader.SYN);
            assertThat(syn.mss()).isTrue();
            assertThat(syn.ws()).isTrue();
            // scaled for the 2 MiB receive buffer autotuning may grow to: 65535 << 6 covers it
            assertThat(syn.wsShift()).isEqualTo(6);
            assertThat(syn.ts()).isTrue();
            assertThat(syn.sackOk()).isTrue();
            Seen ack = seen.get(1);
            assertThat(ack.flags() & TcpHeader.SYN).isZero();
            assertThat(ack.ts()).isTrue();
            assertThat(ack.ws()).isFalse();
            TcpInfo info = c.getOption(TcpSockOpts.TCP_INFO);
            assertThat(info.state()).isEqualTo("ESTABLISHED");
            assertThat(info.windowScaling()).isTrue();
            assertThat(info.timestamps()).isTrue();
            // epair MTU 1500: 1460 less 12 bytes of timestamp option
            assertThat(info.sndMss()).isEqualTo(1448);
            assertThat(c.getOption(TcpSockOpts.TCP_MAXSEG)).isEqualTo(1448);
        }
    }

    @Test
    void optionsAreLeftOutWhenThePeerDoesNotOfferThem() throws Exception {
        tb.tcp(tb.b).rfc1323.set(0);
        tb.tcp(tb.b).sack.set(0);
        List<Seen> seen = capture();
        Socket[] p = connectedPair(9001);
        try (Socket c = p[0]; Socket s = p[1]) {
            TcpInfo info = c.getOption(TcpSockOpts.TCP_INFO);
            assertThat(info.windowScaling()).isFalse();
            assertThat(info.timestamps()).isFalse();
            assertThat(info.sackPermitted()).isFalse();
            assertThat(info.sndMss()).isEqualTo(1460);
            c.send(ByteBuffer.wrap(new byte[100]));
            assertThat(readAllExactly(s, 100)).hasSize(100);
            assertThat(seen.subList(1, seen.size())).allSatisfy(x -> assertThat(x.ts()).isFalse());
        }
    }

    @Test
    void aDroppedDataSegmentIsRetransmitted() throws Exception {
        AtomicInteger dropped = new AtomicInteger();
        hooks.pfil().addHook("drop one", Pfil.OUT, 10, (p, dir, ifp) -> {
            Seen s = parse(p);
            if (s != null && s.len() > 0 && dropped.compareAndSet(0, 1)) {
                return PfilHook.DROP;
            }
            return PfilHook.PASS;
        });
        Socket[] p = connectedPair(9002);
        try (Socket c = p[0]; Socket s = p[1]) {
            byte[] data = randomBytes(300_000, 5);
            Future<byte[]> r = tb.async(() -> readAll(s, data.length + 1));
            sendAll(c, data, 16 * 1024);
            c.shutdown(SocketConstants.SHUT_WR);
            assertThat(sha256(r.get(10, TimeUnit.SECONDS))).isEqualTo(sha256(data));
            assertThat(dropped.get()).isEqualTo(1);
            assertThat(tb.stat(tb.a, "data packets retransmitted")).isPositive();
            assertThat(c.getOption(TcpSockOpts.TCP_INFO).totalRetransmits()).isPositive();
        }
    }

    @Test
    void zeroWindowBlocksTheSenderUntilTheReceiverReads() throws Exception {
        Socket l = listener(tb.b, B, 9003, 8);
        l.setOption(SockOpt.SO_RCVBUF, 16 * 1024);
        Future<Socket> acc = tb.async(l::accept);
        try (Socket c = tcpSocket(tb.a)) {
            c.setOption(SockOpt.SO_SNDBUF, 16 * 1024);
            c.connect(new InetSockAddr(B, 9003));
            try (Socket s = acc.get(5, TimeUnit.SECONDS)) {
                byte[] data = randomBytes(200_000, 9);
                Future<Void> w = tb.async(() -> {
                    sendAll(c, data, 8192);
                    c.shutdown(SocketConstants.SHUT_WR);
                    return null;
                });
                // the receiver's buffer and then the sender's fill up; the writer blocks
                assertThat(eventually(3000, () -> {
                    TcpInfo i = info(c);
                    // closed, or as good as closed: less than a segment left (RFC 1122 SWS avoidance)
                    return i != null && i.sndWnd() < i.sndMss();
                })).isTrue();
                Thread.sleep(100);
                assertThat(w.isDone()).isFalse();
                byte[] got = readAll(s, data.length + 1);
                w.get(10, TimeUnit.SECONDS);
                assertThat(sha256(got)).isEqualTo(sha256(data));
            }
        } finally {
            l.close();
        }
    }

    @Test
    void simultaneousOpen() throws Exception {
        tb.pipes("delay 30ms");
        try (Socket x = tcpSocket(tb.a); Socket y = tcpSocket(tb.b)) {
            x.bind(new InetSockAddr(A, 5001));
            y.bind(new InetSockAddr(B, 5002));
            Future<Void> fy = tb.async(() -> {
                y.connect(new InetSockAddr(A, 5001));
                return null;
            });
            x.connect(new InetSockAddr(B, 5002));
            fy.get(5, TimeUnit.SECONDS);
            x.send(ByteBuffer.wrap(new byte[] {1, 2, 3}));
            assertThat(readAllExactly(y, 3)).containsExactly(1, 2, 3);
            assertThat(tb.stat(tb.a, "connection accepts")).isZero();
        }
    }

    @Test
    void corruptedSegmentsAreDroppedByChecksum() throws Exception {
        tb.pipes("corrupt 0.02");
        Socket[] p = connectedPair(9004);
        try (Socket c = p[0]; Socket s = p[1]) {
            byte[] data = randomBytes(1 << 20, 3);
            Future<byte[]> r = tb.async(() -> readAll(s, data.length + 1));
            sendAll(c, data, 64 * 1024);
            c.shutdown(SocketConstants.SHUT_WR);
            assertThat(sha256(r.get(20, TimeUnit.SECONDS))).isEqualTo(sha256(data));
        }
        long dropped = tb.stat(tb.a, "discarded for bad checksums") + tb.stat(tb.b, "discarded for bad checksums");
        assertThat(dropped).isPositive();
    }

    private static TcpInfo info(Socket c) {
        try {
            return c.getOption(TcpSockOpts.TCP_INFO);
        } catch (Exception e) {
            return null;
        }
    }

    private static byte[] readAllExactly(Socket s, int n) throws Exception {
        byte[] out = new byte[n];
        int got = 0;
        while (got < n) {
            int k = s.recv(ByteBuffer.wrap(out, got, n - got));
            if (k <= 0) {
                break;
            }
            got += k;
        }
        return java.util.Arrays.copyOf(out, got);
    }
}
