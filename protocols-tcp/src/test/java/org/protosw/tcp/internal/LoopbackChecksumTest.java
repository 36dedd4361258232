package org.protosw.tcp.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.protosw.tcp.internal.TcpTestbed.*;

import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.protosw.internal.net.NetInterface;
import org.protosw.internal.net.PipeConfig;
import org.protosw.socket.InAddr;
import org.protosw.socket.InetSockAddr;
import org.protosw.socket.Socket;
import org.protosw.socket.SocketConstants;
import org.protosw.spi.Packet;
import org.protosw.wire.Ipv4Header;
import org.protosw.wire.TcpHeader;

/**
 * TCP leaves the checksum out of segments routed to lo0 (checksum offload, as FreeBSD's lo0):
 * a capture on lo0 must still see valid checksums, and so must the receiver behind a pipe.
 */
class LoopbackChecksumTest {
    private static final int SIZE = 256 * 1024;
    private final TcpTestbed tb;

    LoopbackChecksumTest() throws Exception {
        tb = new TcpTestbed();
    }

    @AfterEach
    void tearDown() {
        tb.close();
    }

    private void transfer(int port) throws Exception {
        byte[] data = randomBytes(SIZE, port);
        try (Socket l = listener(tb.a, InAddr.LOOPBACK, port, 4)) {
            Future<byte[]> server = tb.async(() -> {
                try (Socket c = l.accept()) {
                    return readAll(c, SIZE + 1);
                }
            });
            try (Socket c = tcpSocket(tb.a)) {
                c.connect(new InetSockAddr(InAddr.LOOPBACK, port));
                sendAll(c, data, 16 * 1024);
                c.shutdown(SocketConstants.SHUT_WR);
                byte[] got = server.get(20, TimeUnit.SECONDS);
                assertThat(sha256(got)).isEqualTo(sha256(data));
            }
        }
    }

    private static boolean tcpChecksumValid(Packet p) {
        Ipv4Header ip = new Ipv4Header(p.array(), p.offset(), p.length());
        TcpHeader th = new TcpHeader(p.array(), ip.payloadOffset(), ip.payloadLength());
        return th.checksumValid(ip.src(), ip.dst());
    }

    @Test
    void aCaptureOnLo0SeesValidChecksums() throws Exception {
        NetInterface lo0 = tb.a.interfaces().loopback();
        AtomicInteger segments = new AtomicInteger();
        CopyOnWriteArrayList<String> bad = new CopyOnWriteArrayList<>();
        lo0.setCaptureTap((ifp, p, inbound) -> {
            if (p.get8(Ipv4Header.OFF_PROTOCOL) == TcpHeader.PROTOCOL) {
                segments.incrementAndGet();
                if (!tcpChecksumValid(p)) {
                    bad.add((inbound ? "in " : "out ") + p.length() + " bytes");
                }
            }
        });
        transfer(7400);
        lo0.setCaptureTap(null);
        assertThat(segments.get()).isPositive();
        assertThat(bad).isEmpty();
    }

    @Test
    void withoutACaptureTheChecksumIsLeftOutAndTheDataIsIntact() throws Exception {
        long badBefore = tb.stat(tb.a, "discarded for bad checksums");
        transfer(7401);
        assertThat(tb.stat(tb.a, "discarded for bad checksums")).isEqualTo(badBefore);
    }

    @Test
    void aPipeOnLo0GetsValidChecksumsSoTheReceiverAcceptsThem() throws Exception {
        tb.a.pipes().config(3, PipeConfig.parse("delay 1ms"));
        tb.a.pipes().attach(3, tb.a.interfaces().loopback(), false);
        transfer(7402);
        assertThat(tb.stat(tb.a, "discarded for bad checksums")).isZero();
    }
}
