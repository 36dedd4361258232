package org.protosw.divert.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.ByteBuffer;
import java.util.Arrays;

import org.junit.jupiter.api.Test;
import org.protosw.internal.kern.Vnet;
import org.protosw.socket.Errno;
import org.protosw.socket.InAddr;
import org.protosw.socket.InetSockAddr;
import org.protosw.socket.RecvInfo;
import org.protosw.socket.SockOpt;
import org.protosw.socket.Socket;
import org.protosw.socket.SocketException;
import org.protosw.wire.Ipv4Header;

/**
 * What recvfrom reports and what writing back does: reassembly before diverting, the rule
 * number and interface, re-entry after the diverting rule, checksum handling.
 */
class ReinjectTest {
    private static Socket divert(Vnet v, int port) throws SocketException {
        Socket s = DivertLab.divertSocket(v, port);
        s.setOption(SockOpt.SO_RCVTIMEO, 5000);
        return s;
    }

    @Test
    void inboundFragmentsAreReassembledBeforeTheyAreDiverted() throws Exception {
        try (DivertLab lab = new DivertLab()) {
            Vnet a = lab.vnet("a");
            Vnet b = lab.vnet("b");
            DivertLab.Link link = lab.link(a, "10.0.0.1", b, "10.0.0.2");
            lab.rule(b, 100, "divert 8668 udp from any to any 9000 in");
            Socket ds = divert(b, 8668);
            Socket rx = DivertLab.udp(b, "10.0.0.2", 9000);
            Socket tx = DivertLab.udp(a, "10.0.0.1", 0);
            byte[] big = new byte[4000];
            new java.util.SplittableRandom(4000).nextBytes(big);
            tx.sendto(ByteBuffer.wrap(big), 0, InetSockAddr.of("10.0.0.2", 9000));

            ByteBuffer in = ByteBuffer.allocate(65535);
            RecvInfo ri = ds.recvfrom(in, 0);
            assertThat(ri.length()).as("one whole packet").isEqualTo(20 + 8 + 4000);
            Ipv4Header ip = new Ipv4Header(in.array(), 0, ri.length());
            assertThat(ip.isFragment()).isFalse();
            assertThat(ip.totalLength()).isEqualTo(4028);
            assertThat(Arrays.copyOfRange(in.array(), 28, 4028)).isEqualTo(big);
            assertThat(ri.from()).as("receiving interface's address, rule number").isEqualTo(InetSockAddr.of("10.0.0.2", 100));
            assertThat(ri.ifname()).isEqualTo(link.pair().b().name());
            assertThat(lab.rulePackets(b, 100)).isEqualTo(1);

            in.flip();
            ds.sendto(in, 0, ri.from());
            assertThat(DivertLab.receive(rx)).isEqualTo(big);
        }
    }

    @Test
    void aWrittenBackPacketResumesAfterTheRuleThatDivertedIt() throws Exception {
        try (DivertLab lab = new DivertLab()) {
            Vnet a = lab.vnet("a");
            Vnet b = lab.vnet("b");
            lab.link(a, "10.0.0.1", b, "10.0.0.2");
            lab.rule(b, 100, "divert 8668 udp from any to any in");
            lab.rule(b, 200, "divert 8669 ip from any to 10.0.0.2");
            Socket first = divert(b, 8668);
            Socket second = divert(b, 8669);
            Socket rx = DivertLab.udp(b, "10.0.0.2", 9000);
            Socket tx = DivertLab.udp(a, "10.0.0.1", 0);
            tx.sendto(ByteBuffer.wrap(Stream.datagram(7)), 0, InetSockAddr.of("10.0.0.2", 9000));

            ByteBuffer in = ByteBuffer.allocate(65535);
            RecvInfo ri = first.recvfrom(in, 0);
            assertThat(ri.from()).isEqualTo(InetSockAddr.of("10.0.0.2", 100));
            in.flip();
            first.sendto(in, 0, ri.from());
            in.clear();
            ri = second.recvfrom(in, 0);
            assertThat(ri.from()).as("caught by the next rule, not by 100 again").isEqualTo(InetSockAddr.of("10.0.0.2", 200));
            in.flip();
            second.sendto(in, 0, ri.from());
            assertThat(ByteBuffer.wrap(DivertLab.receive(rx)).getInt(0)).isEqualTo(7);
            assertThat(lab.rulePackets(b, 100)).isEqualTo(1);
            assertThat(lab.rulePackets(b, 200)).isEqualTo(1);
        }
    }

    @Test
    void outboundWritesGetTheirHeaderChecksumFixedInboundOnesWithABadChecksumAreDropped() throws Exception {
        try (DivertLab lab = new DivertLab()) {
            Vnet a = lab.vnet("a");
            Vnet b = lab.vnet("b");
            lab.link(a, "10.0.0.1", b, "10.0.0.2");
            lab.rule(a, 100, "divert 8668 udp from any to any out");
            lab.rule(b, 100, "divert 8668 udp from any to any in");
            Socket da = divert(a, 8668);
            Socket db = divert(b, 8668);
            Socket rx = DivertLab.udp(b, "10.0.0.2", 9000);
            Socket tx = DivertLab.udp(a, "10.0.0.1", 0);
            tx.sendto(ByteBuffer.wrap(Stream.datagram(1)), 0, InetSockAddr.of("10.0.0.2", 9000));

            ByteBuffer in = ByteBuffer.allocate(65535);
            RecvInfo ri = da.recvfrom(in, 0);
            assertThat(ri.from()).as("outbound: the wildcard address").isEqualTo(new InetSockAddr(InAddr.ANY, 100));
            assertThat(ri.ifname()).isNull();
            in.put(8, (byte) 33); // TTL changed, checksum left stale
            in.putShort(10, (short) 0);
            in.flip();
            da.sendto(in, 0, ri.from());

            in.clear();
            ri = db.recvfrom(in, 0);
            assertThat(in.get(8)).as("TTL as written back (no router between)").isEqualTo((byte) 33);
            assertThat(new Ipv4Header(in.array(), 0, ri.length()).checksumValid()).as("fixed on the way out").isTrue();
            byte[] good = Arrays.copyOf(in.array(), ri.length());
            InetSockAddr back = (InetSockAddr) ri.from();

            // a bad header checksum on an inbound write: dropped and counted
            byte[] bad = good.clone();
            bad[8]++;
            db.sendto(ByteBuffer.wrap(bad), 0, back);
            assertThat(lab.divertStat(b, "reinjected with bad header checksum")).isEqualTo(1);
            StallTest.assertNothingArrives(rx);

            db.sendto(ByteBuffer.wrap(good), 0, back);
            assertThat(ByteBuffer.wrap(DivertLab.receive(rx)).getInt(0)).isEqualTo(1);

            // an address no interface has, and data that are no IP packet
            assertThatThrownBy(() -> db.sendto(ByteBuffer.wrap(good), 0, InetSockAddr.of("10.9.9.9", 100)))
                    .isInstanceOfSatisfying(SocketException.class, e -> assertThat(e.errno()).isEqualTo(Errno.EADDRNOTAVAIL));
            assertThatThrownBy(() -> db.sendto(ByteBuffer.wrap(new byte[10]), 0, back))
                    .isInstanceOfSatisfying(SocketException.class, e -> assertThat(e.errno()).isEqualTo(Errno.EINVAL));
        }
    }

    @Test
    void aPlainSendGoesOutboundWithItsHeaderChecksumFixed() throws Exception {
        try (DivertLab lab = new DivertLab()) {
            Vnet a = lab.vnet("a");
            Vnet b = lab.vnet("b");
            lab.link(a, "10.0.0.1", b, "10.0.0.2");
            lab.rule(a, 100, "divert 8668 udp from any to any 9000 out");
            Socket da = divert(a, 8668);
            Socket rx = DivertLab.udp(b, "10.0.0.2", 9000);
            Socket tx = DivertLab.udp(a, "10.0.0.1", 0);
            tx.sendto(ByteBuffer.wrap(Stream.datagram(3)), 0, InetSockAddr.of("10.0.0.2", 9000));
            byte[] pkt = DivertLab.receive(da);
            StallTest.assertNothingArrives(rx);

            // no rule to resume after: the packet meets rule 100 again unless it is gone
            lab.rules().delete("a", 100);
            pkt[8] = 17; // TTL changed, checksum left stale
            assertThat(da.send(ByteBuffer.wrap(pkt), 0)).isEqualTo(pkt.length);
            // b's ip_input drops a bad header checksum: arriving shows it was fixed
            assertThat(ByteBuffer.wrap(DivertLab.receive(rx)).getInt(0)).isEqualTo(3);
            assertThat(lab.divertStat(a, "packets reinjected outbound")).isEqualTo(1);
        }
    }
}
