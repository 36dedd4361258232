package org.protosw.internal.socket;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.ByteBuffer;

import org.junit.jupiter.api.Test;
import org.protosw.socket.InetSockAddr;
import org.protosw.spi.Packet;

class SockBufImplTest {
    private static Packet packet(byte[] b, int from, int len) {
        Packet p = Packet.allocate(len);
        System.arraycopy(b, from, p.array(), p.offset(), len);
        return p;
    }

    @Test
    void streamBytesSurviveManyChunksPartialDropsAndRingGrowth() {
        SockBufImpl sb = new SockBufImpl(1 << 20, 1);
        byte[] data = Errnos.pattern(5000);
        for (int i = 0; i < 5000; i += 37) {
            sb.appendStream(packet(data, i, Math.min(37, 5000 - i)));
        }
        assertThat(sb.cc()).isEqualTo(5000);
        byte[] mid = new byte[300];
        sb.copyOut(1000, mid, 0, 300);
        assertThat(mid).isEqualTo(java.util.Arrays.copyOfRange(data, 1000, 1300));
        sb.drop(10);
        sb.drop(100);
        assertThat(sb.cc()).isEqualTo(4890);
        byte[] head = new byte[50];
        sb.copyOut(0, head, 0, 50);
        assertThat(head).isEqualTo(java.util.Arrays.copyOfRange(data, 110, 160));
        ByteBuffer out = ByteBuffer.allocate(5000);
        sb.lock.lock();
        try {
            assertThat(sb.readStream(out, 100, true)).isEqualTo(100);
            assertThat(sb.cc()).as("peek keeps").isEqualTo(4890);
            out.clear();
            assertThat(sb.readStream(out, 5000, false)).isEqualTo(4890);
        } finally {
            sb.lock.unlock();
        }
        assertThat(java.util.Arrays.copyOf(out.array(), 4890)).isEqualTo(java.util.Arrays.copyOfRange(data, 110, 5000));
        assertThat(sb.cc()).isZero();
        sb.appendStream(Packet.allocate(0));
        assertThat(sb.cc()).isZero();
    }

    /**
     * A record whose front was dropped (a protocol sent part of it) and is then taken: the
     * buffer counts out what was left of it, once, and the packet starts at the first byte
     * not dropped. Before, the count subtracted the dropped part a second time.
     */
    @Test
    void takingAPartlyDroppedRecordLeavesTheCountRight() {
        SockBufImpl sb = new SockBufImpl(100, 1);
        byte[] data = Errnos.pattern(10);
        sb.appendRecord(packet(data, 0, 10), null, 0);
        sb.appendRecord(packet(data, 0, 4), null, 0);
        sb.drop(3);
        assertThat(sb.cc()).isEqualTo(11);
        Packet p = sb.takeRecord();
        assertThat(java.util.Arrays.copyOfRange(p.array(), p.offset(), p.offset() + p.length()))
                .isEqualTo(java.util.Arrays.copyOfRange(data, 3, 10));
        assertThat(sb.cc()).isEqualTo(4);
        assertThat(sb.takeRecord().length()).isEqualTo(4);
        assertThat(sb.cc()).isZero();
    }

    @Test
    void copyOutAndDropCheckBounds() {
        SockBufImpl sb = new SockBufImpl(100, 1);
        sb.appendStream(Packet.allocate(10));
        assertThatThrownBy(() -> sb.copyOut(5, new byte[10], 0, 6)).isInstanceOf(IndexOutOfBoundsException.class);
        assertThatThrownBy(() -> sb.drop(11)).isInstanceOf(IndexOutOfBoundsException.class);
        assertThatThrownBy(() -> sb.drop(-1)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void appendAddrRespectsTheLimitAndCantRcvMore() {
        SockBufImpl sb = new SockBufImpl(250, 1);
        InetSockAddr from = InetSockAddr.of("127.0.0.1", 7);
        assertThat(sb.appendAddr(Packet.allocate(100), from, "lo0")).isTrue();
        assertThat(sb.appendAddr(Packet.allocate(100), from, null)).isTrue();
        assertThat(sb.space()).isEqualTo(50);
        assertThat(sb.appendAddr(Packet.allocate(51), from, null)).isFalse();
        assertThat(sb.appendAddr(Packet.allocate(50), from, null)).isTrue();
        assertThat(sb.space()).isZero();
        sb.lock.lock();
        try {
            assertThat(sb.entries()).isEqualTo(3);
            assertThat(sb.headFrom()).isEqualTo(from);
            assertThat(sb.headIfname()).isEqualTo("lo0");
            sb.dropRecord();
            assertThat(sb.cc()).isEqualTo(150);
        } finally {
            sb.lock.unlock();
        }
        sb.setCantMore();
        assertThat(sb.appendAddr(Packet.allocate(1), from, null)).isFalse();
        sb.flush();
        assertThat(sb.cc()).isZero();
        assertThat(sb.cantMore()).isTrue();
    }

    @Test
    void lowerHiwatClampsLowat() {
        SockBufImpl sb = new SockBufImpl(4096, 2048);
        sb.setHiwat(1000);
        assertThat(sb.lowat()).isEqualTo(1000);
        assertThat(sb.hiwat()).isEqualTo(1000);
    }
}
