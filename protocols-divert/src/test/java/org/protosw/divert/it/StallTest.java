package org.protosw.divert.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.ByteBuffer;

import org.junit.jupiter.api.Test;
import org.protosw.internal.kern.Vnet;
import org.protosw.socket.Errno;
import org.protosw.socket.InetSockAddr;
import org.protosw.socket.SockOpt;
import org.protosw.socket.Socket;
import org.protosw.socket.SocketException;

/** A divert socket that never writes back swallows the flow; deleting the rule lets it flow again. */
class StallTest {
    static void assertNothingArrives(Socket s) throws SocketException {
        s.setOption(SockOpt.SO_RCVTIMEO, 200);
        assertThatThrownBy(() -> s.recv(ByteBuffer.allocate(65535)))
                .isInstanceOfSatisfying(SocketException.class, e -> assertThat(e.errno()).isEqualTo(Errno.EAGAIN));
        s.setOption(SockOpt.SO_RCVTIMEO, 5000);
    }

    @Test
    void aDiverterThatDropsEverythingStallsTheFlowUntilTheRuleIsDeleted() throws Exception {
        try (DivertLab lab = new DivertLab()) {
            Vnet a = lab.vnet("a");
            Vnet b = lab.vnet("b");
            lab.link(a, "10.0.0.1", b, "10.0.0.2");
            lab.rule(b, 100, "divert 8668 udp from any to any 9000 in");
            Socket sink = DivertLab.divertSocket(b, 8668);
            sink.setOption(SockOpt.SO_RCVTIMEO, 5000);
            Socket rx = DivertLab.udp(b, "10.0.0.2", 9000);
            Socket tx = DivertLab.udp(a, "10.0.0.1", 0);
            InetSockAddr dest = InetSockAddr.of("10.0.0.2", 9000);

            for (int i = 0; i < 20; i++) {
                tx.sendto(ByteBuffer.wrap(Stream.datagram(i)), 0, dest);
            }
            for (int i = 0; i < 20; i++) {
                byte[] pkt = DivertLab.receive(sink);
                assertThat(pkt).hasSize(20 + 8 + Stream.DATAGRAM);
                assertThat(ByteBuffer.wrap(pkt).getInt(28)).isEqualTo(i);
            }
            assertNothingArrives(rx);
            assertThat(lab.rulePackets(b, 100)).isEqualTo(20);

            lab.rules().delete("b", 100);
            for (int i = 20; i < 40; i++) {
                tx.sendto(ByteBuffer.wrap(Stream.datagram(i)), 0, dest);
            }
            for (int i = 20; i < 40; i++) {
                assertThat(ByteBuffer.wrap(DivertLab.receive(rx)).getInt(0)).isEqualTo(i);
            }
            sink.setNonBlocking(true);
            assertThatThrownBy(() -> sink.recv(ByteBuffer.allocate(65535)))
                    .isInstanceOfSatisfying(SocketException.class, e -> assertThat(e.errno()).isEqualTo(Errno.EAGAIN));
            assertThat(lab.divertStat(b, "packets diverted inbound")).isEqualTo(20);
            assertThat(lab.divertStat(b, "packets reinjected inbound")).isZero();
        }
    }
}
