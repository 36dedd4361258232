package org.protosw.tcp.internal;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class DsackUndoTest {
    @Test
    void undoneOnlyWhenEveryRetransmissionIsReportedDuplicate() {
        DsackUndo u = new DsackUndo();
        int base = -1500; // across the 2^32 wrap
        u.start(10_000, 1 << 30);
        u.retransmitted(base, base + 1000);
        u.retransmitted(base + 1000, base + 2000);
        u.retransmitted(base + 5000, base + 6000);
        // a duplicate of data never resent says nothing
        assertThat(u.duplicate(base + 3000, base + 4000)).isFalse();
        assertThat(u.duplicate(base, base + 1000)).isFalse();
        assertThat(u.duplicate(base + 5000, base + 6000)).isFalse();
        assertThat(u.duplicate(base + 1000, base + 2000)).isTrue();
        assertThat(u.cwndPrev()).isEqualTo(10_000);
        assertThat(u.ssthreshPrev()).isEqualTo(1 << 30);
    }

    @Test
    void aDsackInsideARetransmittedRangeLeavesTheRestOutstanding() {
        DsackUndo u = new DsackUndo();
        u.start(8000, 4000);
        u.retransmitted(0, 3000);
        assertThat(u.duplicate(1000, 2000)).isFalse();
        assertThat(u.duplicate(0, 1000)).isFalse();
        assertThat(u.duplicate(2000, 3000)).isTrue();
    }

    @Test
    void aNewEpisodeOrATimeoutForgetsTheOldOne() {
        DsackUndo u = new DsackUndo();
        u.start(8000, 4000);
        u.retransmitted(0, 1000);
        u.start(6000, 3000);
        assertThat(u.duplicate(0, 1000)).isFalse();
        u.retransmitted(5000, 6000);
        u.forget();
        assertThat(u.duplicate(5000, 6000)).isFalse();
        assertThat(u.valid()).isFalse();
        // nothing resent: nothing to undo
        u.start(6000, 3000);
        assertThat(u.duplicate(9000, 10_000)).isFalse();
    }
}
