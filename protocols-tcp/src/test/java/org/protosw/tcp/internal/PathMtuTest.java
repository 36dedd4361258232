package org.protosw.tcp.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.protosw.internal.kern.StandaloneStack;
import org.protosw.internal.kern.Vnet;
import org.protosw.internal.net.Epair;
import org.protosw.socket.InAddr;
import org.protosw.socket.InetSockAddr;
import org.protosw.socket.Socket;
import org.protosw.socket.SocketConstants;
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

    @Test
    void fragmentationNeededLowersTheMssAndTheTransferCompletes() throws Exception {
        try (StandaloneStack stack = new StandaloneStack()) {
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

            Socket listener = TcpTestbed.listener(c, InAddr.parse("198.51.100.1"), 5001, 4);
            byte[] data = TcpTestbed.randomBytes(1 << 20, 42);
            Socket sender = TcpTestbed.tcpSocket(a);
            try (var pool = java.util.concurrent.Executors.newVirtualThreadPerTaskExecutor()) {
                Future<byte[]> got = pool.submit(() -> {
                    try (Socket s = listener.accept()) {
                        return TcpTestbed.readAll(s, data.length + 1);
                    }
                });
                sender.connect(new InetSockAddr(InAddr.parse("198.51.100.1"), 5001));
                TcpInfo before = sender.getOption(TcpSockOpts.TCP_INFO);
                TcpTestbed.sendAll(sender, data, 64 * 1024);
                TcpInfo after = sender.getOption(TcpSockOpts.TCP_INFO);
                sender.shutdown(SocketConstants.SHUT_WR);
                byte[] received = got.get(30, TimeUnit.SECONDS);
                assertThat(TcpTestbed.sha256(received)).isEqualTo(TcpTestbed.sha256(data));
                int ts = after.timestamps() ? 12 : 0;
                assertThat(before.sndMss() + (before.timestamps() ? 12 : 0)).isEqualTo(1460);
                assertThat(after.sndMss() + ts).isEqualTo(NARROW_MTU - 40);
                assertThat(sw.instance(a.name()).statistics().get("path MTU discovery messages")).isPositive();
            } finally {
                sender.close();
                listener.close();
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
