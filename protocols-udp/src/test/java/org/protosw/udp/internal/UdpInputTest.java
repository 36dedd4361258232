package org.protosw.udp.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.protosw.udp.internal.Datagrams.datagram;
import static org.protosw.udp.internal.FakeContext.EM0_ADDR;
import static org.protosw.udp.internal.FakeContext.EM0_BCAST;
import static org.protosw.udp.internal.FakeContext.FAR;
import static org.protosw.udp.internal.FakeContext.PEER;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Random;

import org.junit.jupiter.api.Test;
import org.protosw.socket.InAddr;
import org.protosw.socket.SockOpt;
import org.protosw.spi.Packet;

class UdpInputTest extends UdpTestbed {
    private static final byte[] HELLO = "hello".getBytes(StandardCharsets.US_ASCII);

    @Test
    void deliversPayloadWithTheSendersAddress() throws Exception {
        Sock s = bound(0, 53);
        ctx.inject(datagram(PEER, 1234, EM0_ADDR, 53, HELLO));

        assertThat(s.so().rcv.queue).hasSize(1);
        FakeSockBuf.Datagram d = s.so().rcv.queue.get(0);
        assertThat(d.data()).isEqualTo(HELLO);
        assertThat(d.from()).isEqualTo(addr(PEER, 1234));
        assertThat(s.so().rwakeups).isEqualTo(1);
        assertThat(stat("datagrams received")).isEqualTo(1);
        assertThat(stat("delivered")).isEqualTo(1);
        assertThat(stat("with no checksum")).isZero();
        assertThat(ctx.icmpErrors).isEmpty();
    }

    @Test
    void zeroChecksumMeansNoneAndIsAccepted() throws Exception {
        Sock s = bound(0, 53);
        Packet p = datagram(PEER, 1234, EM0_ADDR, 53, HELLO);
        p.set16(20 + 6, 0);
        ctx.inject(p);
        assertThat(s.so().rcv.queue).extracting(FakeSockBuf.Datagram::data).containsExactly(HELLO);
        assertThat(stat("with no checksum")).isEqualTo(1);
        assertThat(stat("delivered")).isEqualTo(1);
    }

    @Test
    void badChecksumIsCountedAndDropped() throws Exception {
        Sock s = bound(0, 53);
        Packet p = datagram(PEER, 1234, EM0_ADDR, 53, HELLO);
        p.set8(20 + 8, 'j');
        ctx.inject(p);
        assertThat(s.so().rcv.queue).isEmpty();
        assertThat(stat("with bad checksum")).isEqualTo(1);
        assertThat(stat("delivered")).isZero();
        assertThat(ctx.icmpErrors).isEmpty();
    }

    @Test
    void checksumIsNotVerifiedWhenTheLinkVouchedForIt() throws Exception {
        Sock s = bound(0, 53);
        Packet p = datagram(PEER, 1234, EM0_ADDR, 53, HELLO);
        p.set16(20 + 6, 0x1234);
        p.addFlags(Packet.M_CSUM_OK);
        ctx.inject(p);
        assertThat(s.so().rcv.queue).hasSize(1);
        assertThat(stat("with bad checksum")).isZero();
    }

    @Test
    void lengthFieldOutsideTheIpPayloadIsDropped() throws Exception {
        Sock s = bound(0, 53);
        Packet tooLong = datagram(PEER, 1234, EM0_ADDR, 53, HELLO);
        tooLong.set16(20 + 4, 8 + HELLO.length + 1);
        Packet tooShort = datagram(PEER, 1234, EM0_ADDR, 53, HELLO);
        tooShort.set16(20 + 4, 7);
        ctx.inject(tooLong);
        ctx.inject(tooShort);
        assertThat(s.so().rcv.queue).isEmpty();
        assertThat(stat("with bad data length field")).isEqualTo(2);
        assertThat(stat("datagrams received")).isEqualTo(2);
    }

    @Test
    void bytesAfterTheUdpLengthAreTrimmedBeforeTheChecksumAndDelivery() throws Exception {
        Sock s = bound(0, 53);
        byte[] u = Datagrams.udp(PEER, 1234, EM0_ADDR, 53, HELLO);
        ctx.inject(Datagrams.ip(PEER, EM0_ADDR, u, 6));
        assertThat(s.so().rcv.queue).extracting(FakeSockBuf.Datagram::data).containsExactly(HELLO);
        assertThat(stat("with bad checksum")).isZero();
    }

    @Test
    void truncatedHeaderIsCounted() throws Exception {
        bound(0, 53);
        Packet p = datagram(PEER, 1234, EM0_ADDR, 53, new byte[0]);
        p.setLength(20 + 7);
        ctx.inject(p);
        udp.udpInput(Datagrams.payload(new byte[30]), 12);
        assertThat(stat("with incomplete header")).isEqualTo(2);
    }

    @Test
    void closedPortAnswersPortUnreachableQuotingTheDatagram() throws Exception {
        Packet p = datagram(PEER, 1234, EM0_ADDR, 9, HELLO);
        byte[] sent = p.toByteArray();
        ctx.inject(p);
        assertThat(stat("dropped due to no socket")).isEqualTo(1);
        assertThat(stat("broadcast/multicast datagrams undelivered")).isZero();
        assertThat(ctx.icmpErrors).hasSize(1);
        FakeContext.IcmpSent icmp = ctx.icmpErrors.get(0);
        assertThat(icmp.type()).isEqualTo(3);
        assertThat(icmp.code()).isEqualTo(3);
        assertThat(icmp.quoted()).as("starts at the IP header, whole").isEqualTo(sent);
    }

    @Test
    void blackholeSuppressesPortUnreachable() throws Exception {
        for (int mode : new int[] {1, 2}) {
            tunable("net.inet.udp.blackhole", mode);
            ctx.inject(datagram(PEER, 1234, EM0_ADDR, 9, HELLO));
        }
        assertThat(ctx.icmpErrors).isEmpty();
        assertThat(stat("dropped due to no socket")).isEqualTo(2);
        tunable("net.inet.udp.blackhole", 0);
        ctx.inject(datagram(PEER, 1234, EM0_ADDR, 9, HELLO));
        assertThat(ctx.icmpErrors).hasSize(1);
    }

    @Test
    void linkBroadcastToAClosedPortGetsNoIcmp() throws Exception {
        Packet p = datagram(PEER, 1234, EM0_ADDR, 9, HELLO);
        p.addFlags(Packet.M_BCAST);
        ctx.inject(p);
        assertThat(ctx.icmpErrors).isEmpty();
        assertThat(stat("dropped due to no socket")).isEqualTo(1);
        assertThat(stat("broadcast/multicast datagrams undelivered")).isEqualTo(1);
    }

    @Test
    void broadcastFansOutToEveryMatchingSocketWithItsOwnCopy() throws Exception {
        Sock a = shared(0, 67);
        Sock b = shared(0, 67);
        Sock specific = open();
        specific.so().set(SockOpt.SO_REUSEADDR, true);
        specific.pcb().bind(addr(EM0_ADDR, 67));
        Sock otherPort = bound(0, 68);
        Sock connectedElsewhere = shared(0, 67);
        connectedElsewhere.pcb().connect(addr(FAR, 67));

        ctx.inject(datagram(PEER, 68, EM0_BCAST, 67, HELLO));

        assertThat(a.so().rcv.queue).extracting(FakeSockBuf.Datagram::data).containsExactly(HELLO);
        assertThat(b.so().rcv.queue).extracting(FakeSockBuf.Datagram::data).containsExactly(HELLO);
        assertThat(specific.so().rcv.queue).as("bound to a unicast address").isEmpty();
        assertThat(otherPort.so().rcv.queue).isEmpty();
        assertThat(connectedElsewhere.so().rcv.queue).isEmpty();
        Packet pa = a.so().rcv.queue.get(0).packet();
        Packet pb = b.so().rcv.queue.get(0).packet();
        assertThat(pa).isNotSameAs(pb);
        assertThat(pa.array()).isNotSameAs(pb.array());
        assertThat(a.so().rwakeups).isEqualTo(1);
        assertThat(b.so().rwakeups).isEqualTo(1);
        assertThat(stat("delivered")).isEqualTo(1);
        assertThat(ctx.icmpErrors).isEmpty();
    }

    @Test
    void limitedBroadcastAndMulticastFanOutToo() throws Exception {
        Sock s = bound(0, 5353);
        ctx.inject(datagram(PEER, 5353, 0xffffffff, 5353, HELLO));
        ctx.inject(datagram(PEER, 5353, InAddr.parse("224.0.0.251").bits(), 5353, HELLO));
        assertThat(s.so().rcv.queue).hasSize(2);
        assertThat(stat("delivered")).isEqualTo(2);
    }

    @Test
    void broadcastToAPortNobodyHoldsIsCountedWithoutIcmp() throws Exception {
        bound(0, 67);
        ctx.inject(datagram(PEER, 68, EM0_BCAST, 999, HELLO));
        ctx.inject(datagram(PEER, 68, InAddr.parse("239.1.2.3").bits(), 999, HELLO));
        assertThat(stat("dropped due to no socket")).isEqualTo(2);
        assertThat(stat("broadcast/multicast datagrams undelivered")).isEqualTo(2);
        assertThat(ctx.icmpErrors).isEmpty();
    }

    @Test
    void aConnectedSocketHearsOnlyItsPeer() throws Exception {
        Sock s = bound(0, 4000);
        s.pcb().connect(addr(PEER, 53));
        ctx.inject(datagram(PEER, 53, EM0_ADDR, 4000, HELLO));
        ctx.inject(datagram(PEER, 54, EM0_ADDR, 4000, HELLO));
        ctx.inject(datagram(FAR, 53, EM0_ADDR, 4000, HELLO));
        assertThat(s.so().rcv.queue).hasSize(1);
        assertThat(s.so().rcv.queue.get(0).from()).isEqualTo(addr(PEER, 53));
        assertThat(stat("dropped due to no socket")).isEqualTo(2);
        assertThat(ctx.icmpErrors).hasSize(2);

        // After disconnect it hears everyone again.
        s.pcb().disconnect();
        ctx.inject(datagram(FAR, 53, EM0_ADDR, 4000, HELLO));
        assertThat(s.so().rcv.queue).hasSize(2);
    }

    @Test
    void datagramsNotFromThePeerGoToAnUnconnectedSocketOnThePort() throws Exception {
        Sock connected = shared(0, 4000);
        connected.pcb().connect(addr(PEER, 53));
        Sock open = shared(0, 4000);

        ctx.inject(datagram(PEER, 53, EM0_ADDR, 4000, "peer".getBytes(StandardCharsets.US_ASCII)));
        ctx.inject(datagram(FAR, 53, EM0_ADDR, 4000, "other".getBytes(StandardCharsets.US_ASCII)));

        assertThat(connected.so().rcv.queue).extracting(d -> new String(d.data(), StandardCharsets.US_ASCII)).containsExactly("peer");
        assertThat(open.so().rcv.queue).extracting(d -> new String(d.data(), StandardCharsets.US_ASCII)).containsExactly("other");
    }

    @Test
    void fullReceiveBufferDropsAndCounts() throws Exception {
        Sock s = bound(0, 53);
        s.so().rcv.hiwat = 2 * HELLO.length;
        for (int i = 0; i < 3; i++) {
            ctx.inject(datagram(PEER, 1234, EM0_ADDR, 53, HELLO));
        }
        assertThat(s.so().rcv.queue).hasSize(2);
        assertThat(s.so().rwakeups).isEqualTo(2);
        assertThat(stat("dropped due to full socket buffers")).isEqualTo(1);
        assertThat(stat("delivered")).isEqualTo(2);
    }

    @Test
    void aClosedSocketReceivesNothingAndThePortIsUnreachable() throws Exception {
        Sock s = bound(0, 53);
        s.pcb().close();
        s.pcb().detach();
        ctx.inject(datagram(PEER, 1234, EM0_ADDR, 53, HELLO));
        assertThat(s.so().rcv.queue).isEmpty();
        assertThat(ctx.icmpErrors).hasSize(1);
    }

    @Test
    void malformedInputNeverThrows() throws Exception {
        bound(0, 53);
        Random rnd = new Random(768);
        int n = 2000;
        for (int i = 0; i < n; i++) {
            int len = rnd.nextInt(64);
            byte[] b = new byte[len];
            rnd.nextBytes(b);
            if (len > 20 && rnd.nextBoolean()) {
                // Mostly-sane IP header with random UDP bytes, aimed at the bound port half the time.
                b[0] = 0x45;
                Datagrams.put32(b, 16, EM0_ADDR);
                if (len > 24 && rnd.nextBoolean()) {
                    Datagrams.put16(b, 22, 53);
                }
            }
            Packet p = Datagrams.payload(b);
            int hlen = rnd.nextInt(4) == 0 ? rnd.nextInt(70) - 5 : 20;
            assertThatCode(() -> udp.udpInput(p, hlen)).doesNotThrowAnyException();
        }
        assertThat(stat("datagrams received")).isEqualTo(n);
        assertThat(stat("with incomplete header") + stat("with bad data length field") + stat("with bad checksum")
                + stat("dropped due to no socket") + stat("delivered") + stat("dropped due to full socket buffers"))
                .as("every datagram is accounted for").isEqualTo(n);
    }

    @Test
    void aFailingSocketBufferIsCountedNotThrown() throws Exception {
        Sock s = bound(0, 53);
        s.so().rcv.failure = new IllegalStateException("broken buffer");
        assertThatCode(() -> ctx.inject(datagram(PEER, 1234, EM0_ADDR, 53, HELLO))).doesNotThrowAnyException();
        assertThat(stat("dropped due to internal errors")).isEqualTo(1);
    }

    @Test
    void ipOptionsInTheHeaderAreSkipped() throws Exception {
        Sock s = bound(0, 53);
        byte[] u = Datagrams.udp(PEER, 1234, EM0_ADDR, 53, HELLO);
        byte[] b = new byte[24 + u.length];
        b[0] = 0x46;
        Datagrams.put16(b, 2, b.length);
        b[9] = 17;
        Datagrams.put32(b, 12, PEER);
        Datagrams.put32(b, 16, EM0_ADDR);
        b[20] = 1; // NOP options
        b[21] = 1;
        b[22] = 1;
        b[23] = 0;
        System.arraycopy(u, 0, b, 24, u.length);
        ctx.inject(Datagrams.payload(b));
        assertThat(s.so().rcv.queue).extracting(FakeSockBuf.Datagram::data).containsExactly(HELLO);
        assertThat(Arrays.equals(s.so().rcv.queue.get(0).data(), HELLO)).isTrue();
    }

    /** A socket bound with SO_REUSEPORT, as BSD needs for several sockets on one address and port. */
    private Sock shared(int addr, int port) throws Exception {
        Sock s = open();
        s.so().set(SockOpt.SO_REUSEPORT, true);
        s.pcb().bind(addr(addr, port));
        return s;
    }
}
