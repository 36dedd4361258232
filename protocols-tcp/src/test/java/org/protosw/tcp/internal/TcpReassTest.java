package org.protosw.tcp.internal;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;
import org.protosw.spi.Packet;

class TcpReassTest {
    private static Packet bytes(int from, int n) {
        Packet p = Packet.allocate(n);
        for (int i = 0; i < n; i++) {
            p.set8(i, from + i);
        }
        return p;
    }

    @Test
    void aDuplicateOfQueuedDataPutsItsBlockRightAfterTheDsack() {
        TcpReass q = new TcpReass();
        q.insert(1000, bytes(0, 100), false);
        q.insert(2000, bytes(0, 100), false);
        // a complete duplicate of the first block's data: nothing queued, but it is the latest arrival
        assertThat(q.insert(1020, bytes(20, 50), false)).isZero();
        int[] edges = new int[8];
        edges[0] = 1020;
        edges[1] = 1070;
        int n = q.sackBlocks(edges, 1, 3);
        assertThat(n).isEqualTo(2);
        assertThat(edges).startsWith(1020, 1070, 1000, 1100, 2000, 2100);
        // room for the D-SACK and one block only
        assertThat(q.sackBlocks(edges, 1, 2)).isEqualTo(1);
        assertThat(edges[2]).isEqualTo(1000);
    }

    @Test
    void overlapsAreCutAndDataComesOutInOrder() {
        TcpReass q = new TcpReass();
        int base = -10; // across the 2^32 wrap
        assertThat(q.insert(base + 20, bytes(20, 10), false)).isEqualTo(10);
        assertThat(q.insert(base + 25, bytes(25, 10), true)).isEqualTo(5);
        assertThat(q.insert(base + 22, bytes(22, 3), false)).isZero();
        assertThat(q.insert(base + 5, bytes(5, 5), false)).isEqualTo(5);
        assertThat(q.bytes()).isEqualTo(20);
        int[] edges = new int[8];
        int n = q.sackBlocks(edges, 0, 4);
        assertThat(n).isEqualTo(2);
        // the block with the latest arrival comes first
        assertThat(edges[0]).isEqualTo(base + 5);
        assertThat(edges[2]).isEqualTo(base + 20);
        assertThat(q.pollInOrder(base)).isNull();
        TcpReass.Seg s = q.pollInOrder(base + 7);
        assertThat(s.seq).isEqualTo(base + 7);
        assertThat(s.data.get8(0)).isEqualTo(7);
        assertThat(s.len()).isEqualTo(3);
        assertThat(q.pollInOrder(base + 10)).isNull();
        q.insert(base + 10, bytes(10, 10), false);
        assertThat(q.pollInOrder(base + 10).len()).isEqualTo(10);
        assertThat(q.pollInOrder(base + 20).len()).isEqualTo(10);
        TcpReass.Seg last = q.pollInOrder(base + 30);
        assertThat(last.len()).isEqualTo(5);
        assertThat(last.data.get8(0)).isEqualTo(30);
        assertThat(last.fin).isTrue();
        assertThat(q.isEmpty()).isTrue();
    }

    @Test
    void sequenceArithmeticWraps() {
        assertThat(Seq.lt(0xfffffff0, 0x10)).isTrue();
        assertThat(Seq.gt(0x10, 0xfffffff0)).isTrue();
        assertThat(Seq.inWindow(0x5, 0xfffffff0, 0x20)).isTrue();
        assertThat(Seq.max(0xfffffff0, 0x10)).isEqualTo(0x10);
    }
}
