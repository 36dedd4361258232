package org.protosw.internal.net;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;
import org.protosw.spi.IfNet;
import org.protosw.spi.Packet;

class LoopbackTest {

    @Test
    void defaultsAreThoseOfLo0() {
        Loopback lo = new Loopback();
        assertThat(lo.name()).isEqualTo("lo0");
        assertThat(lo.mtu()).isEqualTo(65535);
        assertThat(lo.isLoopback()).isTrue();
        assertThat(lo.isUp()).isTrue();
        assertThat(lo.flags()).isEqualTo(IfNet.IFF_LOOPBACK | IfNet.IFF_UP | IfNet.IFF_RUNNING | IfNet.IFF_MULTICAST);
        assertThat(lo.driverName()).isEqualTo("loopback");
    }

    @Test
    void deliversTheSameObjectMarkedLoopedAndChecksummed() {
        Loopback lo = new Loopback();
        Sink sink = new Sink();
        lo.setInputHandler(sink);
        Packet p = Sink.numbered(7, 100);

        lo.output(p, 0x7f000001);

        assertThat(sink.arrivals()).hasSize(1);
        Sink.Arrival a = sink.arrivals().getFirst();
        assertThat(a.packet()).isSameAs(p);
        assertThat(a.ifp()).isSameAs(lo);
        assertThat(p.rcvif()).isSameAs(lo);
        assertThat(p.flags() & (Packet.M_LOOP | Packet.M_CSUM_OK)).isEqualTo(Packet.M_LOOP | Packet.M_CSUM_OK);
        assertThat(p.get32(0)).isEqualTo(7);
    }

    @Test
    void aPacketThatCrossedAnOutboundPipeIsNotVouchedFor() {
        Loopback lo = new Loopback();
        Sink sink = new Sink();
        lo.setInputHandler(sink);
        // a pipe that passes packets straight on: whether it could damage them is not known
        lo.setPipe(false, (p, next) -> next.accept(p));
        Packet p = Sink.numbered(8, 100);

        lo.output(p, 0x7f000001);

        assertThat(sink.arrivals()).hasSize(1);
        assertThat(p.flags() & (Packet.M_LOOP | Packet.M_CSUM_OK)).isEqualTo(Packet.M_LOOP);
    }

    @Test
    void countsBothDirections() {
        Loopback lo = new Loopback();
        lo.setInputHandler(new Sink());
        for (int i = 0; i < 5; i++) {
            lo.output(Sink.numbered(i, 60), 0x7f000001);
        }
        IfCounters c = lo.counters();
        assertThat(c.opackets.sum()).isEqualTo(5);
        assertThat(c.obytes.sum()).isEqualTo(300);
        assertThat(c.ipackets.sum()).isEqualTo(5);
        assertThat(c.ibytes.sum()).isEqualTo(300);
        assertThat(c.oerrors.sum()).isZero();
    }

    @Test
    void downInterfaceSendsNothing() {
        Loopback lo = new Loopback();
        Sink sink = new Sink();
        lo.setInputHandler(sink);
        lo.setUp(false);
        lo.output(Sink.numbered(1, 40), 0x7f000001);
        assertThat(sink.size()).isZero();
        assertThat(lo.counters().oerrors.sum()).isEqualTo(1);
    }

    @Test
    void packetLargerThanMtuIsCountedNotDelivered() {
        Loopback lo = new Loopback("lo1", 1500);
        Sink sink = new Sink();
        lo.setInputHandler(sink);
        lo.output(Packet.allocate(1501), 0x7f000001);
        assertThat(sink.size()).isZero();
        assertThat(lo.counters().oerrors.sum()).isEqualTo(1);
    }

    @Test
    void mtuBounds() {
        Loopback lo = new Loopback();
        lo.setMtu(68);
        assertThat(lo.mtu()).isEqualTo(68);
        assertThatThrownBy(() -> lo.setMtu(67)).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("68 to 65535");
        assertThatThrownBy(() -> lo.setMtu(65536)).isInstanceOf(IllegalArgumentException.class);
    }
}
