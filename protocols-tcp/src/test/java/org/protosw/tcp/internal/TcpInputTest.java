package org.protosw.tcp.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.protosw.tcp.internal.TcpTestbed.*;

import java.nio.ByteBuffer;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.protosw.socket.InetSockAddr;
import org.protosw.socket.Socket;
import org.protosw.spi.Packet;
import org.protosw.wire.TcpHeader;

/** tcp_input's checks: malformed segments are counted and dropped, RFC 5961 attacks are answered. */
class TcpInputTest {
    private TcpTestbed tb;

    @BeforeEach
    void setUp() throws Exception {
        tb = new TcpTestbed();
    }

    @AfterEach
    void tearDown() {
        tb.close();
    }

    /** An IPv4 packet from A to B carrying {@code tcpLen} bytes, the TCP header filled in. */
    private static Packet segment(int sport, int dport, int seq, int ack, int flags, int hlenField, int tcpLen, boolean checksum) {
        Packet p = Packet.allocate(20 + tcpLen);
        byte[] b = p.array();
        int o = p.offset();
        p.set8(0, 0x45);
        p.set16(2, 20 + tcpLen);
        p.set8(8, 64);
        p.set8(9, 6);
        p.set32(12, A.bits());
        p.set32(16, B.bits());
        if (tcpLen >= 20) {
            TcpHeader th = new TcpHeader(b, o + 20, tcpLen);
            th.setSrcPort(sport).setDstPort(dport).setSeq(seq).setAck(ack).setFlags(flags).setWindow(1000);
            b[o + 20 + 12] = (byte) ((hlenField / 4) << 4);
            if (checksum) {
                th.fillChecksum(A.bits(), B.bits());
            }
        }
        return p;
    }

    @Test
    void malformedSegmentsAreCountedAndDropped() {
        TcpProtocol tcp = tb.tcp(tb.b);
        TcpInput.tcpInput(tcp, segment(1, 2, 0, 0, 0, 20, 12, true), 20);
        assertThat(tb.stat(tb.b, "discarded because packet too short")).isEqualTo(1);
        TcpInput.tcpInput(tcp, segment(1, 2, 0, 0, TcpHeader.SYN, 16, 20, true), 20);
        TcpInput.tcpInput(tcp, segment(1, 2, 0, 0, TcpHeader.SYN, 40, 24, true), 20);
        assertThat(tb.stat(tb.b, "discarded for bad header offset fields")).isEqualTo(2);
        Packet bad = segment(1, 2, 0, 0, TcpHeader.SYN, 20, 20, true);
        bad.set8(20 + 4, bad.get8(20 + 4) ^ 0x55);
        TcpInput.tcpInput(tcp, bad, 20);
        assertThat(tb.stat(tb.b, "discarded for bad checksums")).isEqualTo(1);
        // damage that hit the data offset is damage: the checksum is checked first, as tcp_input does
        Packet offsetHit = segment(1, 2, 0, 0, TcpHeader.SYN, 20, 20, true);
        offsetHit.set8(20 + 12, 0xf0);
        TcpInput.tcpInput(tcp, offsetHit, 20);
        assertThat(tb.stat(tb.b, "discarded for bad checksums")).isEqualTo(2);
        assertThat(tb.stat(tb.b, "discarded for bad header offset fields")).isEqualTo(2);
        assertThat(tb.stat(tb.b, "resets sent")).isZero();
        assertThat(tcp.statistics()).doesNotContainKey("dropped due to internal errors");
    }

    @Test
    void blindSynAndResetGetChallengeAcksAndTheConnectionSurvives() throws Exception {
        try (Socket l = listener(tb.b, B, 9500, 4)) {
            Future<Socket> acc = tb.async(l::accept);
            try (Socket c = tcpSocket(tb.a)) {
                c.connect(new InetSockAddr(B, 9500));
                try (Socket s = acc.get(5, TimeUnit.SECONDS)) {
                    int cport = ((InetSockAddr) c.localAddress()).port();
                    TcpProtocol tcp = tb.tcp(tb.b);
                    // a SYN on an established connection (RFC 5961 §4)
                    TcpInput.tcpInput(tcp, segment(cport, 9500, 12345, 0, TcpHeader.SYN, 20, 20, true), 20);
                    assertThat(tb.stat(tb.b, "bad SYNs in synchronized states")).isEqualTo(1);
                    // a RST far outside the window is ignored (RFC 5961 §3.2)
                    TcpInput.tcpInput(tcp, segment(cport, 9500, 0x40000000, 0, TcpHeader.RST, 20, 20, true), 20);
                    assertThat(tb.stat(tb.b, "bad resets")).isEqualTo(1);
                    assertThat(tb.stat(tb.b, "challenge ACKs sent")).isEqualTo(1);
                    c.send(ByteBuffer.wrap(new byte[] {42}));
                    ByteBuffer one = ByteBuffer.allocate(1);
                    assertThat(s.recv(one)).isEqualTo(1);
                    assertThat(one.get(0)).isEqualTo((byte) 42);
                    assertThat(tb.b.sockets().sockets()).anyMatch(i -> i.state().equals("ESTABLISHED"));
                }
            }
        }
    }
}
