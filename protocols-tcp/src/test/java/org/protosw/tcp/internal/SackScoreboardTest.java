package org.protosw.tcp.internal;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/**
 * The sender's scoreboard by itself (issue 10): merging of reported blocks, the cumulative ACK,
 * and RFC 6675's IsLost, SetPipe and NextSeg rules 1, 3 and 4, also across the wrap of the
 * sequence space. MSS 1000 throughout, so DupThresh's (3 - 1) * SMSS is 2000 bytes.
 */
class SackScoreboardTest {
    private static final int MSS = 1000;
    private final SackScoreboard sb = new SackScoreboard();
    private final int[] out = new int[2];

    @Test
    void adjacentAndOverlappingBlocksMergeIntoOneRange() {
        sb.add(3000, 4000);
        sb.add(5000, 6000);
        assertThat(sb.ranges()).isEqualTo(2);
        sb.add(4000, 5000);
        assertThat(sb.ranges()).isEqualTo(1);
        assertThat(sb.skipSacked(3500)).isEqualTo(6000);
        assertThat(sb.skipSacked(2000)).isEqualTo(2000);
        assertThat(sb.nextSackedStart(0, 9000)).isEqualTo(3000);
        assertThat(sb.nextSackedStart(0, 2500)).isEqualTo(2500);
        sb.add(2500, 7000);
        assertThat(sb.ranges()).isEqualTo(1);
        assertThat(sb.skipSacked(2500)).isEqualTo(7000);
    }

    @Test
    void theCumulativeAckForgetsWhatLiesBelowIt() {
        sb.add(3000, 6000);
        sb.add(7000, 8000);
        sb.ackedTo(6500);
        assertThat(sb.ranges()).isEqualTo(1);
        assertThat(sb.skipSacked(7000)).isEqualTo(8000);
        sb.ackedTo(7500);
        assertThat(sb.skipSacked(7400)).isEqualTo(7400);
        assertThat(sb.skipSacked(7500)).isEqualTo(8000);
        sb.ackedTo(8000);
        assertThat(sb.isEmpty()).isTrue();
    }

    @Test
    void aHoleIsLostOnceMoreThanDupThreshMinusOneSegmentsAboveItWereSacked() {
        sb.add(1000, 2000);
        sb.add(2000, 3000);
        assertThat(sb.isLost(0, MSS)).as("2000 bytes above: not more than 2 * SMSS").isFalse();
        sb.add(3000, 4000);
        assertThat(sb.isLost(0, MSS)).isTrue();
        assertThat(sb.isLost(4000, MSS)).as("nothing SACKed above").isFalse();
    }

    @Test
    void pipeCountsHolesNotLostAndWhatWasRetransmitted() {
        sb.add(1000, 4000);
        sb.startRecovery(0);
        // [0,1000) is lost (3000 SACKed above); [4000,10000) is in flight
        assertThat(sb.pipe(0, 10000, MSS)).isEqualTo(6000);
        sb.retransmitted(1000);
        assertThat(sb.highRxt()).isEqualTo(1000);
        assertThat(sb.pipe(0, 10000, MSS)).isEqualTo(7000);
    }

    @Test
    void nextHoleTakesLostHolesFirstAndNeverResendsBelowHighRxt() {
        sb.add(1000, 4000);
        sb.add(5000, 6000);
        sb.startRecovery(0);
        assertThat(sb.nextHole(0, MSS, true, out)).isTrue();
        assertThat(out).containsExactly(0, 1000);
        sb.retransmitted(1000);
        // [4000,5000) has only 1000 bytes SACKed above it: not lost (rule 1), but rule 3 takes it
        assertThat(sb.nextHole(0, MSS, true, out)).isFalse();
        assertThat(sb.nextHole(0, MSS, false, out)).isTrue();
        assertThat(out).containsExactly(4000, 5000);
    }

    @Test
    void theRescueRetransmissionIsTheLastSegmentOnceARecovery() {
        sb.add(1000, 4000);
        sb.startRecovery(0);
        sb.retransmitted(1000);
        assertThat(sb.rescue(0, 10000, 10000, MSS, out)).isTrue();
        assertThat(out).containsExactly(9000, 10000);
        assertThat(sb.rescue(0, 10000, 10000, MSS, out)).as("once per recovery").isFalse();

        SackScoreboard tail = new SackScoreboard();
        tail.add(1000, 4000);
        tail.add(8000, 10000);
        tail.startRecovery(0);
        // the highest unSACKed byte is below the range that ends at max
        assertThat(tail.rescue(0, 10000, 10000, MSS, out)).isTrue();
        assertThat(out).containsExactly(7000, 8000);
    }

    @Test
    void everyRuleHoldsAcrossTheWrapOfTheSequenceSpace() {
        int base = 0xFFFFFC00; // 1024 below the wrap
        sb.add(base + 1000, base + 4000);
        assertThat(sb.ranges()).isEqualTo(1);
        assertThat(sb.skipSacked(base + 2000)).isEqualTo(base + 4000);
        assertThat(sb.isLost(base, MSS)).isTrue();
        sb.startRecovery(base);
        assertThat(sb.pipe(base, base + 10000, MSS)).isEqualTo(6000);
        assertThat(sb.nextHole(base, MSS, true, out)).isTrue();
        assertThat(out).containsExactly(base, base + 1000);
        sb.ackedTo(base + 2000);
        assertThat(sb.skipSacked(base + 2000)).isEqualTo(base + 4000);
        sb.ackedTo(base + 4000);
        assertThat(sb.isEmpty()).isTrue();
    }

    @Test
    void aFullBoardGivesUpItsLowestRangeAndIgnoresABlockBelowEveryRange() {
        for (int k = 0; k < 70; k++) {
            sb.add(k * 2000 + 1000, k * 2000 + 1500);
        }
        assertThat(sb.ranges()).isEqualTo(64);
        assertThat(sb.skipSacked(5 * 2000 + 1000)).as("given up").isEqualTo(5 * 2000 + 1000);
        assertThat(sb.skipSacked(6 * 2000 + 1000)).isEqualTo(6 * 2000 + 1500);
        assertThat(sb.skipSacked(69 * 2000 + 1000)).isEqualTo(69 * 2000 + 1500);
        sb.add(0, 100);
        assertThat(sb.ranges()).isEqualTo(64);
        assertThat(sb.skipSacked(0)).isEqualTo(0);
    }
}
