package org.protosw.internal.net;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.protosw.spi.Packet;
import org.protosw.wire.Ipv4Header;
import org.protosw.wire.TcpHeader;
import org.protosw.wire.UdpHeader;

/** A checksum a transport left out for lo0 is filled in wherever valid bytes are needed. */
class DelayedChecksumTest {
    private static final int SRC = 0x7f000001;
    private static final int DST = 0x7f000002;

    /** An IPv4 datagram of {@code proto} with a 20-byte transport header and payload, checksum pending. */
    private static Packet pending(int proto, int payload) {
        int l4 = (proto == TcpHeader.PROTOCOL ? TcpHeader.MIN_LENGTH : UdpHeader.LENGTH) + payload;
        Packet p = Packet.allocate(Ipv4Header.MIN_LENGTH + l4);
        byte[] b = p.array();
        int o = p.offset();
        for (int i = 0; i < payload; i++) {
            b[o + p.length() - payload + i] = (byte) (i * 7 + 3);
        }
        new Ipv4Header(b, o, p.length()).setVersionAndHeaderLength(Ipv4Header.MIN_LENGTH).setTotalLength(p.length())
                .setTtl(64).setProtocol(proto).setSrc(SRC).setDst(DST).fillChecksum();
        int t = o + Ipv4Header.MIN_LENGTH;
        if (proto == TcpHeader.PROTOCOL) {
            new TcpHeader(b, t, l4).setSrcPort(1000).setDstPort(2000).setSeq(1).setHeaderLength(TcpHeader.MIN_LENGTH)
                    .setFlags(TcpHeader.ACK).setWindow(100).setChecksum(0);
        } else {
            new UdpHeader(b, t, l4).setSrcPort(1000).setDstPort(2000).setLength(l4).setChecksum(0);
        }
        p.addFlags(Packet.M_CSUM_PENDING);
        return p;
    }

    private static boolean valid(Packet p) {
        Ipv4Header ip = new Ipv4Header(p.array(), p.offset(), p.length());
        if (ip.protocol() == TcpHeader.PROTOCOL) {
            return new TcpHeader(p.array(), ip.payloadOffset(), ip.payloadLength()).checksumValid(ip.src(), ip.dst());
        }
        UdpHeader uh = new UdpHeader(p.array(), ip.payloadOffset(), ip.payloadLength());
        return uh.checksum() != 0 && uh.checksumValid(ip.src(), ip.dst());
    }

    @Test
    void resolveFillsTcpAndUdpChecksumsOnce() {
        for (int proto : new int[] {TcpHeader.PROTOCOL, UdpHeader.PROTOCOL}) {
            Packet p = pending(proto, 33);
            assertThat(valid(p)).isFalse();
            DelayedChecksum.resolve(p);
            assertThat(valid(p)).as("protocol %d", proto).isTrue();
            assertThat(p.flags() & Packet.M_CSUM_PENDING).isZero();
        }
    }

    @Test
    void lo0WithoutTapOrPipeLeavesItPendingAndVouchesForThePacket() {
        Loopback lo = new Loopback();
        Sink sink = new Sink();
        lo.setInputHandler(sink);
        Packet p = pending(TcpHeader.PROTOCOL, 10);
        lo.output(p, DST);
        assertThat(p.flags() & Packet.M_CSUM_PENDING).isNotZero();
        assertThat(p.flags() & Packet.M_CSUM_OK).isNotZero();
    }

    @Test
    void aCaptureOnLo0SeesValidChecksumsBothWays() {
        Loopback lo = new Loopback();
        lo.setInputHandler(new Sink());
        List<Boolean> seen = new ArrayList<>();
        lo.setCaptureTap((ifp, p, inbound) -> seen.add(valid(p)));
        lo.output(pending(UdpHeader.PROTOCOL, 5), DST);
        lo.output(pending(TcpHeader.PROTOCOL, 0), DST);
        assertThat(seen).containsExactly(true, true, true, true);
    }

    @Test
    void aPipeGetsValidChecksumsAndTheReceiverMustVerify() {
        Loopback lo = new Loopback();
        Sink sink = new Sink();
        lo.setInputHandler(sink);
        lo.setPipe(false, (p, next) -> next.accept(p));
        Packet p = pending(TcpHeader.PROTOCOL, 10);
        lo.output(p, DST);
        assertThat(valid(p)).isTrue();
        assertThat(p.flags() & Packet.M_CSUM_OK).isZero();
    }

    @Test
    void anotherInterfaceAlwaysSendsValidChecksums() {
        Epair pair = new Epair(90);
        List<Packet> got = new ArrayList<>();
        pair.b().setInputHandler((ifp, p) -> got.add(p));
        pair.a().setUp(true);
        pair.b().setUp(true);
        pair.a().output(pending(UdpHeader.PROTOCOL, 9), DST);
        assertThat(got).hasSize(1);
        assertThat(valid(got.getFirst())).isTrue();
    }
}
