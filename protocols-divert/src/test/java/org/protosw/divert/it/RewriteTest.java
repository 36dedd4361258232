package org.protosw.divert.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

import org.junit.jupiter.api.Test;
import org.protosw.divert.example.Diverter;
import org.protosw.internal.kern.Vnet;
import org.protosw.socket.InetSockAddr;
import org.protosw.socket.Socket;

/** The example diverter rewrites UDP payload bytes; the checksums it fixes are valid. */
class RewriteTest {
    private static byte[] text(String s) {
        return s.getBytes(StandardCharsets.US_ASCII);
    }

    @Test
    void rewrittenPayloadArrivesWithValidChecksumsBothDirections() throws Exception {
        try (DivertLab lab = new DivertLab()) {
            Vnet a = lab.vnet("a");
            Vnet b = lab.vnet("b");
            lab.link(a, "10.0.0.1", b, "10.0.0.2");
            // outbound at the sender (the diverter writes to the wildcard: IP output) and
            // inbound at the receiver (written to the interface's address: IP input)
            lab.rule(a, 100, "divert 8668 udp from any to any 9000 out");
            lab.rule(b, 100, "divert 8668 udp from any to any 9000 in");
            Diverter da = Diverter.open(a, 8668).rewrite(text("hello"), text("HELLO"));
            Diverter db = Diverter.open(b, 8668).rewrite(text("world"), text("W0RLD"));
            lab.spawn("diverter-a", da);
            lab.spawn("diverter-b", db);
            Socket rx = DivertLab.udp(b, "10.0.0.2", 9000);
            Socket tx = DivertLab.udp(a, "10.0.0.1", 0);

            for (int i = 0; i < 50; i++) {
                tx.sendto(ByteBuffer.wrap(text("hello world " + i + " hello")), 0, InetSockAddr.of("10.0.0.2", 9000));
                assertThat(new String(DivertLab.receive(rx), StandardCharsets.US_ASCII)).isEqualTo("HELLO W0RLD " + i + " HELLO");
            }
            // counters move just after the packet is passed on: the reader may be faster
            DivertLab.await("the diverters' and UDP's counters", 5_000,
                    () -> da.rewritten() == 50 && db.rewritten() == 50 && lab.udpStat(b, "delivered") == 50);
            assertThat(da.rewritten()).isEqualTo(50);
            assertThat(db.rewritten()).isEqualTo(50);
            assertThat(lab.udpStat(b, "with bad checksum")).isZero();
            assertThat(lab.udpStat(b, "delivered")).isEqualTo(50);
            assertThat(lab.divertStat(b, "reinjected with bad header checksum")).isZero();
        }
    }
}
