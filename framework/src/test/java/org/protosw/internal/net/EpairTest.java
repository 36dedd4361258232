package org.protosw.internal.net;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.protosw.spi.IfNet;
import org.protosw.spi.Packet;

class EpairTest {

    @Test
    void namesFlagsAndMtuFollowFreeBsd() {
        Epair e = new Epair(3);
        assertThat(e.a().name()).isEqualTo("epair3a");
        assertThat(e.b().name()).isEqualTo("epair3b");
        assertThat(e.a().peer()).isSameAs(e.b());
        assertThat(e.b().peer()).isSameAs(e.a());
        assertThat(e.a().mtu()).isEqualTo(1500);
        assertThat(e.a().flags()).isEqualTo(IfNet.IFF_BROADCAST | IfNet.IFF_MULTICAST | IfNet.IFF_UP | IfNet.IFF_RUNNING);
        assertThat(e.a().isLoopback()).isFalse();
        assertThat(e.a().driverName()).isEqualTo("epair");
    }

    @Test
    void negativeUnitIsRefused() {
        assertThatThrownBy(() -> new Epair(-1)).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("-1");
    }

    @Test
    void packetsCrossInBothDirectionsAsTheSameObject() {
        Epair e = new Epair(0);
        Sink atA = new Sink();
        Sink atB = new Sink();
        e.a().setInputHandler(atA);
        e.b().setInputHandler(atB);
        Packet ab = Sink.numbered(1, 200);
        Packet ba = Sink.numbered(2, 300);
        ab.addFlags(Packet.M_LOOP);
        ab.setTag("rule 5");

        e.a().output(ab, 0x0a000002);
        e.b().output(ba, 0x0a000001);

        assertThat(atB.packets()).containsExactly(ab);
        assertThat(atA.packets()).containsExactly(ba);
        assertThat(ab.rcvif()).isSameAs(e.b());
        assertThat(ba.rcvif()).isSameAs(e.a());
        // the sender's notes stay on its side
        assertThat(ab.flags()).isZero();
        assertThat(ab.tag()).isNull();
        assertThat(e.a().counters().opackets.sum()).isEqualTo(1);
        assertThat(e.a().counters().obytes.sum()).isEqualTo(200);
        assertThat(e.b().counters().ipackets.sum()).isEqualTo(1);
        assertThat(e.b().counters().ibytes.sum()).isEqualTo(200);
        assertThat(e.a().counters().ipackets.sum()).isEqualTo(1);
        assertThat(e.a().counters().ibytes.sum()).isEqualTo(300);
    }

    @Test
    void peerDownDropsAndCountsOutputError() {
        Epair e = new Epair(0);
        Sink atB = new Sink();
        e.b().setInputHandler(atB);
        e.b().setUp(false);

        e.a().output(Sink.numbered(1, 100), 0);

        assertThat(atB.size()).isZero();
        assertThat(e.a().counters().oerrors.sum()).isEqualTo(1);

        e.b().setUp(true);
        e.a().output(Sink.numbered(2, 100), 0);
        assertThat(atB.size()).isEqualTo(1);
    }

    @Test
    void localSideDownSendsNothing() {
        Epair e = new Epair(0);
        Sink atB = new Sink();
        e.b().setInputHandler(atB);
        e.a().setUp(false);
        e.a().output(Sink.numbered(1, 100), 0);
        assertThat(atB.size()).isZero();
        assertThat(e.a().counters().oerrors.sum()).isEqualTo(1);
    }

    @Test
    void destroyingOneSideDestroysThePairOnce() {
        Epair e = new Epair(1);
        List<String> gone = new ArrayList<>();
        e.a().setDestroyListener(x -> gone.add(x.name()));
        e.b().setDestroyListener(x -> gone.add(x.name()));
        Sink atA = new Sink();
        e.a().setInputHandler(atA);

        e.b().destroy();
        e.a().destroy();

        assertThat(gone).containsExactly("epair1a", "epair1b");
        assertThat(e.isDestroyed()).isTrue();
        assertThat(e.a().isDestroyed()).isTrue();
        assertThat(e.a().isUp()).isFalse();
        assertThat(e.b().isUp()).isFalse();

        // bringing a destroyed end up again does not revive the link
        e.b().setUp(true);
        e.a().setUp(true);
        e.b().output(Sink.numbered(1, 100), 0);
        assertThat(atA.size()).isZero();
        assertThat(e.b().counters().oerrors.sum()).isEqualTo(1);
    }

    @Test
    void mtuBoundsAndMismatch() {
        Epair e = new Epair(0);
        e.a().setMtu(9000);
        e.a().setMtu(65535);
        assertThat(e.a().mtu()).isEqualTo(65535);
        assertThatThrownBy(() -> e.a().setMtu(65536)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("epair0a").hasMessageContaining("68 to 65535");
        assertThatThrownBy(() -> e.b().setMtu(67)).isInstanceOf(IllegalArgumentException.class);

        Sink atB = new Sink();
        e.b().setInputHandler(atB);
        // the peer keeps 1500: a bigger packet is a giant there
        e.a().output(Packet.allocate(2000), 0);
        assertThat(atB.size()).isZero();
        assertThat(e.b().counters().ierrors.sum()).isEqualTo(1);

        // bigger than the sender's own MTU: the driver refuses it
        e.a().setMtu(1500);
        e.a().output(Packet.allocate(1501), 0);
        assertThat(e.a().counters().oerrors.sum()).isEqualTo(1);
        e.a().output(Packet.allocate(1500), 0);
        assertThat(atB.size()).isEqualTo(1);
    }

    @Test
    void worksThroughInterfaceTables() throws Exception {
        IfTable left = new IfTable("left");
        IfTable right = new IfTable("right");
        Epair e = new Epair(0);
        left.attach(e.a());
        right.attach(e.b());
        e.a().setDestroyListener(x -> left.detach(x));
        e.b().setDestroyListener(x -> right.detach(x));

        e.a().destroy();

        assertThat(left.list()).isEmpty();
        assertThat(right.list()).isEmpty();
    }
}
