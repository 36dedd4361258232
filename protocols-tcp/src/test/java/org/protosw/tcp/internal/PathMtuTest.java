package org.protosw.tcp.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.protosw.internal.kern.StandaloneStack;
import org.protosw.internal.kern.Vnet;
import org.protosw.internal.net.Epair;
import org.protosw.internal.net.NetInterface;
import org.protosw.socket.InAddr;
import org.protosw.socket.InetSockAddr;
import org.protosw.socket.Socket;
import org.protosw.spi.IfAddr;
import org.protosw.spi.Route;
import org.protosw.tcp.TcpInfo;
import org.protosw.tcp.TcpSockOpts;

/**
 * Path-MTU discovery end to end: a sender on a 1500-byte link, a forwarding router, and a
 * receiver beyond a hop of 1280 bytes. The router refuses the sender's full-size DF segments
 * with ICMP fragmentation needed; the sender lowers its MSS and the transfer completes.
 */
class PathMtuTest {
    private static final int NARROW_MTU = 1280;

    /** Sender a, router r, receiver c; {@code narrow} is the router's interface towards c. */
    private record Path(StandaloneStack stack, TcpProtoSw sw, Vnet a, Vnet c, NetInterface narrow) implements AutoCloseable {
        static Path build() throws Exception {
            StandaloneStack stack = new StandaloneStack();
            TcpProtoSw sw = new TcpProtoSw();
            stack.register(sw, TcpProtoSw.PROPERTIES, "org.protosw.tcp (test)");
            Vnet a = stack.stack();
            Vnet r = stack.createVnet("r");
            Vnet c = stack.createVnet("c");
            Epair left = link(stack, a, "192.0.2.1", r, "192.0.2.254");
            Epair right = link(stack, r, "198.51.100.254", c, "198.51.100.1");
            // only the router's side is narrow: the receiver offers MSS 1460 and neither end
            // knows of the narrow hop, as when it is in the middle of the path
            right.a().setMtu(NARROW_MTU);
            a.ip().routes().add(new Route(InAddr.parse("198.51.100.0"), 24, InAddr.parse("192.0.2.254"), left.a(), null, 0, 0));
            c.ip().routes().add(new Route(InAddr.parse("192.0.2.0"), 24, InAddr.parse("198.51.100.254"), right.b(), null, 0, 0));
            r.sysctl().find("net.inet.ip.forwarding").set(1);
            // every refused segment must be answered, or recovery waits for the timer
            r.sysctl().find("net.inet.icmp.icmplim").set(0);
            return new Path(stack, sw, a, c, right.a());
        }

        long stat(String name) {
            return sw.instance(a.name()).statistics().get(name);
        }

        @Override
        public void close() {
            stack.close();
        }
    }

    /** The MSS on the wire (TCP_INFO's less the timestamp option). */
    private static int wireMss(Socket s) throws Exception {
        TcpInfo i = s.getOption(TcpSockOpts.TCP_INFO);
        return i.sndMss() + (i.timestamps() ? 12 : 0);
    }

    /** Sends {@code n} random bytes from {@code sender} and checks that {@code receiver} got them intact. */
    private static void transfer(Socket sender, Socket receiver, int n, long seed) throws Exception {
        byte[] data = TcpTestbed.randomBytes(n, seed);
        try (var pool = java.util.concurrent.Executors.newVirtualThreadPerTaskExecutor()) {
            Future<byte[]> got = pool.submit(() -> readExactly(receiver, n));
            TcpTestbed.sendAll(sender, data, 64 * 1024);
            assertThat(TcpTestbed.sha256(got.get(30, TimeUnit.SECONDS))).isEqualTo(TcpTestbed.sha256(data));
        }
    }

    private static byte[] readExactly(Socket s, int n) throws Exception {
        byte[] out = new byte[n];
        int got = 0;
        while (got < n) {
            int r = s.recv(java.nio.ByteBuffer.wrap(out, got, n - got));
            assertThat(r).as("end of stream after %d of %d bytes", got, n).isPositive();
            got += r;
        }
        return out;
    }

    @Test
    void fragmentationNeededLowersTheMssAndTheTransferCompletes() throws Exception {
        try (Path p = Path.build();
                Socket listener = TcpTestbed.listener(p.c(), InAddr.parse("198.51.100.1"), 5001, 4);
                Socket sender = TcpTestbed.tcpSocket(p.a())) {
            sender.connect(new InetSockAddr(InAddr.parse("198.51.100.1"), 5001));
            try (Socket receiver = listener.accept()) {
                assertThat(wireMss(sender)).isEqualTo(1460);
                transfer(sender, receiver, 1 << 20, 42);
                assertThat(wireMss(sender)).isEqualTo(NARROW_MTU - 40);
                assertThat(p.stat("path MTU discovery messages")).isPositive();
            }
        }
    }

    /**
     * The host cache: a second connection to the same host starts at the learned MTU without
     * a fragmentation-needed of its own; once the estimate expires the MSS goes back up
     * (the path has widened meanwhile), and when the path narrows again it is lowered again.
     */
    @Test
    void aLearnedPathMtuServesTheNextConnectionThenExpires() throws Exception {
        try (Path p = Path.build();
                Socket listener = TcpTestbed.listener(p.c(), InAddr.parse("198.51.100.1"), 5002, 4);
                Socket first = TcpTestbed.tcpSocket(p.a());
                Socket second = TcpTestbed.tcpSocket(p.a())) {
            p.a().sysctl().find(TcpProtocol.SYSCTL_HOSTCACHE_EXPIRE).set(1);
            first.connect(new InetSockAddr(InAddr.parse("198.51.100.1"), 5002));
            try (Socket r1 = listener.accept()) {
                transfer(first, r1, 256 << 10, 1);
            }
            long learned = p.stat("path MTU discovery messages");
            assertThat(learned).isPositive();

            second.connect(new InetSockAddr(InAddr.parse("198.51.100.1"), 5002));
            try (Socket r2 = listener.accept()) {
                assertThat(wireMss(second)).as("the cached MTU, before any data").isEqualTo(NARROW_MTU - 40);
                transfer(second, r2, 256 << 10, 2);
                assertThat(p.stat("path MTU discovery messages")).as("no refusal of its own").isEqualTo(learned);

                p.narrow().setMtu(1500);
                Thread.sleep(1200);
                transfer(second, r2, 256 << 10, 3);
                assertThat(wireMss(second)).isEqualTo(1460);
                assertThat(p.stat("path MTU estimates expired (MSS raised again)")).isPositive();
                assertThat(p.stat("path MTU discovery messages")).isEqualTo(learned);

                p.narrow().setMtu(NARROW_MTU);
                transfer(second, r2, 256 << 10, 4);
                assertThat(wireMss(second)).isEqualTo(NARROW_MTU - 40);
                assertThat(p.stat("path MTU discovery messages")).isGreaterThan(learned);
            }
        }
    }

    @Test
    void withoutANextHopMtuTheSenderStepsDownThePlateaus() {
        // RFC 1191 §7: an old router says only "too big"; the refused size picks the guess
        assertThat(PathMtu.plateauBelow(1500)).isEqualTo(1492);
        assertThat(PathMtu.plateauBelow(1492)).isEqualTo(1006);
        assertThat(PathMtu.plateauBelow(9000)).isEqualTo(8166);
        assertThat(PathMtu.plateauBelow(296)).isEqualTo(68);
        assertThat(PathMtu.plateauBelow(40)).isEqualTo(68);
    }

    private static Epair link(StandaloneStack stack, Vnet va, String addrA, Vnet vb, String addrB) throws Exception {
        Epair pair = new Epair(stack.core().nextEpairUnit());
        va.attachInterface(pair.a());
        vb.attachInterface(pair.b());
        InAddr a = InAddr.parse(addrA);
        InAddr b = InAddr.parse(addrB);
        va.addAddress(pair.a(), new IfAddr(a, 24, new InAddr(a.bits() | 0xff)));
        vb.addAddress(pair.b(), new IfAddr(b, 24, new InAddr(b.bits() | 0xff)));
        pair.a().setUp(true);
        pair.b().setUp(true);
        return pair;
    }
}
