package org.protosw.divert.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;

import org.junit.jupiter.api.Test;
import org.protosw.internal.kern.Vnet;
import org.protosw.socket.InetSockAddr;
import org.protosw.socket.RecvInfo;
import org.protosw.socket.SockOpt;
import org.protosw.socket.Socket;

/** divert(4) without a socket on the port drops and counts; tee copies and lets the packet pass. */
class NoSocketAndTeeTest {
    @Test
    void packetsDivertedToAPortWithoutSocketAreDroppedAndCounted() throws Exception {
        try (DivertLab lab = new DivertLab()) {
            Vnet a = lab.vnet("a");
            Vnet b = lab.vnet("b");
            lab.link(a, "10.0.0.1", b, "10.0.0.2");
            lab.rule(b, 100, "divert 9999 udp from any to any 9000 in");
            Socket rx = DivertLab.udp(b, "10.0.0.2", 9000);
            Socket tx = DivertLab.udp(a, "10.0.0.1", 0);
            for (int i = 0; i < 10; i++) {
                // the sender hears nothing of it
                tx.sendto(ByteBuffer.wrap(Stream.datagram(i)), 0, InetSockAddr.of("10.0.0.2", 9000));
            }
            DivertLab.await("10 no-socket drops", 5000, () -> lab.divertStat(b, "dropped due to no socket") == 10);
            StallTest.assertNothingArrives(rx);
            assertThat(lab.rulePackets(b, 100)).isEqualTo(10);
            assertThat(lab.divertStat(b, "packets diverted inbound")).isZero();
            assertThat(lab.udpStat(b, "datagrams received")).isZero();
        }
    }

    @Test
    void teeGivesTheSocketACopyAndTheReceiverEveryPacket() throws Exception {
        try (DivertLab lab = new DivertLab()) {
            Vnet a = lab.vnet("a");
            Vnet b = lab.vnet("b");
            DivertLab.Link link = lab.link(a, "10.0.0.1", b, "10.0.0.2");
            lab.rule(b, 300, "tee 8668 udp from 10.0.0.1 to 10.0.0.2 9000 in");
            Socket copies = DivertLab.divertSocket(b, 8668);
            copies.setOption(SockOpt.SO_RCVTIMEO, 5000);
            Socket rx = DivertLab.udp(b, "10.0.0.2", 9000);
            Socket tx = DivertLab.udp(a, "10.0.0.1", 0);
            for (int i = 0; i < 10; i++) {
                tx.sendto(ByteBuffer.wrap(Stream.datagram(i)), 0, InetSockAddr.of("10.0.0.2", 9000));
            }
            for (int i = 0; i < 10; i++) {
                assertThat(ByteBuffer.wrap(DivertLab.receive(rx)).getInt(0)).isEqualTo(i);
            }
            ByteBuffer in = ByteBuffer.allocate(65535);
            for (int i = 0; i < 10; i++) {
                in.clear();
                RecvInfo ri = copies.recvfrom(in, 0);
                assertThat(ri.length()).isEqualTo(28 + Stream.DATAGRAM);
                assertThat(in.get(9)).as("IP protocol").isEqualTo((byte) 17);
                assertThat(in.getShort(22) & 0xffff).as("UDP destination port").isEqualTo(9000);
                assertThat(in.getInt(28)).isEqualTo(i);
                assertThat(ri.from()).isEqualTo(InetSockAddr.of("10.0.0.2", 300));
                assertThat(ri.ifname()).isEqualTo(link.pair().b().name());
            }
            assertThat(lab.divertStat(b, "packets tee'd")).isEqualTo(10);
            assertThat(lab.rulePackets(b, 300)).isEqualTo(10);
        }
    }
}
