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

    /**
     * What lo0 hands IP input, segment by segment: the TCP flags and checksum field, whether
     * it verifies, and whether the packet still says the checksum is pending. Seen after the
     * loop, where no capture looks.
     */
    private record Arrived(int flags, int checksum, boolean valid, boolean pending) {
        boolean synAck() {
            return flags == (TcpHeader.SYN | TcpHeader.ACK);
        }
    }

    private CopyOnWriteArrayList<Arrived> watchInput(NetInterface lo0) {
        CopyOnWriteArrayList<Arrived> seen = new CopyOnWriteArrayList<>();
        NetInterface.InputHandler ip = lo0.inputHandler();
        assertThat(ip).isNotNull();
        lo0.setInputHandler((ifp, p) -> {
            if (p.get8(Ipv4Header.OFF_PROTOCOL) == TcpHeader.PROTOCOL) {
                Ipv4Header h = new Ipv4Header(p.array(), p.offset(), p.length());
                TcpHeader th = new TcpHeader(p.array(), h.payloadOffset(), h.payloadLength());
                seen.add(new Arrived(th.flags(), th.checksum(), tcpChecksumValid(p), (p.flags() & Packet.M_CSUM_PENDING) != 0));
            }
            ip.input(ifp, p);
        });
        return seen;
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
        CopyOnWriteArrayList<Arrived> arrived = watchInput(lo0);
        transfer(7400);
        lo0.setCaptureTap(null);
        assertThat(segments.get()).isPositive();
        assertThat(bad).isEmpty();
        // the capture made TCP's checksums real for the receiver too: filled in, correct, no longer pending
        assertThat(arrived).hasSizeGreaterThan(SIZE / (64 * 1024));
        assertThat(arrived).allSatisfy(a -> {
            assertThat(a.pending()).as("still marked pending").isFalse();
            assertThat(a.valid()).as("checksum 0x%04x verifies", a.checksum()).isTrue();
        });
    }

    @Test
    void withoutACaptureTheChecksumIsLeftOutAndTheDataIsIntact() throws Exception {
        long badBefore = tb.stat(tb.a, "discarded for bad checksums");
        CopyOnWriteArrayList<Arrived> arrived = watchInput(tb.a.interfaces().loopback());
        transfer(7401);
        assertThat(tb.stat(tb.a, "discarded for bad checksums")).isEqualTo(badBefore);
        // every segment tcp_output sent crossed lo0 with its checksum field empty and still
        // marked pending: nobody computed it. The SYN-ACK comes from the syncache, which
        // always fills its checksum in.
        assertThat(arrived).hasSizeGreaterThan(SIZE / (64 * 1024));
        assertThat(arrived).filteredOn(Arrived::synAck).singleElement()
                .satisfies(a -> assertThat(a.valid()).as("the syncache's SYN-ACK verifies").isTrue());
        assertThat(arrived).filteredOn(a -> !a.synAck()).allSatisfy(a -> {
            assertThat(a.pending()).as("marked pending").isTrue();
            assertThat(a.checksum()).as("checksum field").isZero();
        });
        assertThat(arrived).as("an empty field does not verify (it would only by a 1 in 65536 chance)")
                .anySatisfy(a -> assertThat(a.valid()).isFalse());
    }

    @Test
    void aPipeOnLo0GetsValidChecksumsSoTheReceiverAcceptsThem() throws Exception {
        tb.a.pipes().config(3, PipeConfig.parse("delay 1ms"));
        tb.a.pipes().attach(3, tb.a.interfaces().loopback(), false);
        transfer(7402);
        assertThat(tb.stat(tb.a, "discarded for bad checksums")).isZero();
    }
}
