package org.protosw.tcp.internal;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.protosw.tcp.cc.AckType;
import org.protosw.tcp.cc.CongestionSignal;

/**
 * HyStart++ (RFC 9406) fed round by round: each round is a number of ACKs of one segment,
 * each carrying an RTT sample, the last one ending the round as TCP counts it.
 */
class HyStartTest {
    private static final int MSS = 1000;
    private static final long BASE_RTT = 50_000;

    private CubicTest.Vars v;
    private HyStart hs;

    @BeforeEach
    void setUp() {
        v = new CubicTest.Vars();
        v.hystart = true;
        v.cwnd = 10 * MSS;
        hs = HyStart.forConnection(v);
        assertThat(hs).isNotNull();
    }

    /** One round of {@code acks} ACKs, all measuring {@code rtt} microseconds. */
    private void round(int acks, long rtt) {
        for (int i = 0; i < acks; i++) {
            ack(rtt, i == acks - 1);
        }
    }

    /** One ACK of one segment; {@code endsRound}: it covers all that was sent when the round began. */
    private void ack(long rtt, boolean endsRound) {
        v.bytesThisAck = MSS;
        v.rttSample = rtt;
        if (endsRound) {
            v.rounds++;
        }
        hs.slowStartAck(v, MSS);
    }

    /** Rounds at the base RTT, then one round whose RTT is {@code rise} higher: ends in CSS when the rise is enough. */
    private void riseAfterSteadyRounds(long rise) {
        round(10, BASE_RTT);
        round(10, BASE_RTT);
        round(10, BASE_RTT + rise);
    }

    @Test
    void constantRttStaysInSlowStartAndGrowsAtFullRate() {
        for (int r = 0; r < 12; r++) {
            round(10, BASE_RTT);
        }
        assertThat(hs.phase()).isEqualTo(HyStart.Phase.SLOW_START);
        assertThat(v.cwnd).isEqualTo(10 * MSS + 120L * MSS);
        assertThat(v.ssthresh).isEqualTo(Long.MAX_VALUE / 4);
    }

    @Test
    void rttRiseAboveTheThresholdEntersCssAndQuartersTheGrowth() {
        // 50 ms / 8 = 6.25 ms: a rise of 6 ms is jitter, 6.25 ms is a queue
        riseAfterSteadyRounds(6_000);
        assertThat(hs.phase()).isEqualTo(HyStart.Phase.SLOW_START);

        setUp();
        round(10, BASE_RTT);
        round(10, BASE_RTT);
        long before = v.cwnd;
        for (int i = 0; i < 8; i++) {
            ack(BASE_RTT + 6_250, false);
        }
        // the eighth sample decided: its ACK still grew the window by a whole segment
        assertThat(hs.phase()).isEqualTo(HyStart.Phase.CSS);
        assertThat(v.cwnd).isEqualTo(before + 8L * MSS);
        ack(BASE_RTT + 6_250, false);
        assertThat(v.cwnd).isEqualTo(before + 8L * MSS + MSS / HyStart.CSS_GROWTH_DIVISOR);
        assertThat(v.ssthresh).isEqualTo(Long.MAX_VALUE / 4);
    }

    @Test
    void thresholdIsAnEighthOfTheMinimumClampedToFourAndSixteenMs() {
        assertThat(HyStart.rttThresh(10_000)).isEqualTo(4_000);
        assertThat(HyStart.rttThresh(80_000)).isEqualTo(10_000);
        assertThat(HyStart.rttThresh(400_000)).isEqualTo(16_000);
        // on a 200 ms path an eighth would be 25 ms: 16 ms of queue is enough
        round(10, 200_000);
        round(10, 200_000);
        round(10, 216_000);
        assertThat(hs.phase()).isEqualTo(HyStart.Phase.CSS);
    }

    @Test
    void cssWithTheRttBackBelowTheBaselineResumesSlowStart() {
        riseAfterSteadyRounds(10_000);
        assertThat(hs.phase()).isEqualTo(HyStart.Phase.CSS);
        long before = v.cwnd;
        // the next round's first samples sit above the baseline: still CSS
        for (int i = 0; i < 8; i++) {
            ack(BASE_RTT + 12_000, false);
        }
        assertThat(hs.phase()).isEqualTo(HyStart.Phase.CSS);
        assertThat(v.cwnd).isEqualTo(before + 8L * MSS / 4);
        // then one falls below it: the rise was jitter
        ack(BASE_RTT, false);
        assertThat(hs.phase()).isEqualTo(HyStart.Phase.SLOW_START);
        long resumed = v.cwnd;
        ack(BASE_RTT, true);
        assertThat(v.cwnd).isEqualTo(resumed + MSS);
    }

    @Test
    void cssRoundsOfCssEndSlowStartWithSsthreshAtCwnd() {
        riseAfterSteadyRounds(10_000);
        assertThat(hs.phase()).isEqualTo(HyStart.Phase.CSS);
        // the round CSS began in was the first; four more complete the five
        for (int r = 1; r < HyStart.CSS_ROUNDS - 1; r++) {
            round(10, BASE_RTT + 10_000 + r * 1_000);
            assertThat(hs.phase()).isEqualTo(HyStart.Phase.CSS);
        }
        round(10, BASE_RTT + 15_000);
        assertThat(hs.phase()).isEqualTo(HyStart.Phase.DONE);
        assertThat(v.ssthresh).isEqualTo(v.cwnd);
        // over: the window no longer moves here
        long done = v.cwnd;
        ack(BASE_RTT + 20_000, true);
        assertThat(v.cwnd).isEqualTo(done);
    }

    @Test
    void fewerThanNSamplesARoundNeverLeaveSlowStart() {
        long rtt = BASE_RTT;
        for (int r = 0; r < 10; r++) {
            // RTT doubling each round, but only seven samples in each
            for (int i = 0; i < HyStart.N_RTT_SAMPLE - 1; i++) {
                ack(rtt, false);
            }
            // ACKs without a sample (Karn, no timestamps) count for nothing
            ack(-1, false);
            ack(-1, true);
            rtt *= 2;
        }
        assertThat(hs.phase()).isEqualTo(HyStart.Phase.SLOW_START);
        assertThat(v.cwnd).isEqualTo(10 * MSS + 90L * MSS);
    }

    @Test
    void onlyWhenTcpAllowsItAndOnlyTheFirstSlowStart() {
        v.hystart = false;
        assertThat(HyStart.forConnection(v)).isNull();
        v.hystart = true;
        v.ssthresh = 64 * MSS;
        assertThat(HyStart.forConnection(v)).isNull();
    }

    @Test
    void cubicLeavesSlowStartThroughCssIntoCongestionAvoidance() {
        Cubic cubic = new Cubic();
        cubic.init(v);
        cubic.connInit(v);
        Cubic.Data d = Cubic.data(v);
        assertThat(d.hystart).isNotNull();
        int r = 0;
        // the delay climbs 10 ms a round from the third on: the queue is filling
        while (d.hystart != null && r < 20) {
            long rtt = BASE_RTT + Math.max(0, r - 1) * 10_000L;
            for (int i = 0; i < 10; i++) {
                v.bytesThisAck = MSS;
                v.rttSample = rtt;
                v.now += 1_000;
                if (i == 9) {
                    v.rounds++;
                }
                cubic.ackReceived(v, AckType.ACK);
            }
            r++;
        }
        // steady rounds 0 and 1, CSS from round 2 for CSS_ROUNDS rounds
        assertThat(r).isEqualTo(2 + HyStart.CSS_ROUNDS);
        assertThat(v.ssthresh).isEqualTo(v.cwnd);
        // 20 segments of slow start, then 50 ACKs of CSS: 8 at full rate before the decision, 42 at a quarter
        assertThat(v.cwnd).isEqualTo(10 * MSS + 28L * MSS + 42L * MSS / 4);
        // RFC 9438 §4.10: cwnd_prior is the window; congestion avoidance starts from it
        assertThat(d.cwndPrior).isEqualTo((double) v.cwnd / MSS);
        long exit = v.cwnd;
        v.bytesThisAck = MSS;
        v.srtt = BASE_RTT;
        cubic.ackReceived(v, AckType.ACK);
        assertThat(d.epochValid).isTrue();
        assertThat(d.wMax).isEqualTo((double) exit / MSS);
        assertThat(v.cwnd).isLessThan(exit + MSS / 4);
    }

    @Test
    void aLossInCssIsHandledAsAlwaysAndEndsHyStart() {
        NewReno reno = new NewReno();
        reno.init(v);
        reno.connInit(v);
        for (int r = 0; r < 2; r++) {
            renoRound(reno, BASE_RTT);
        }
        renoRound(reno, BASE_RTT + 10_000);
        // in CSS now: a round grows the window by a quarter of slow start's
        long before = v.cwnd;
        renoRound(reno, BASE_RTT + 10_000);
        assertThat(v.cwnd).isEqualTo(before + 10L * MSS / 4);
        v.flight = v.cwnd;
        reno.congSignal(v, CongestionSignal.NDUPACK);
        assertThat(v.ssthresh).isEqualTo(v.flight / 2 / MSS * MSS);
        // the slow start after a timeout is the standard one: a segment per ACK, not a quarter
        reno.congSignal(v, CongestionSignal.RTO);
        long rtoWindow = v.cwnd;
        renoRound(reno, BASE_RTT + 50_000);
        assertThat(v.cwnd).isEqualTo(rtoWindow + 10L * MSS);
    }

    private void renoRound(NewReno reno, long rtt) {
        for (int i = 0; i < 10; i++) {
            v.bytesThisAck = MSS;
            v.rttSample = rtt;
            if (i == 9) {
                v.rounds++;
            }
            reno.ackReceived(v, AckType.ACK);
        }
    }
}
