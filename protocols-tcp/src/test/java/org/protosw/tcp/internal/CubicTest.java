package org.protosw.tcp.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.protosw.tcp.cc.AckType;
import org.protosw.tcp.cc.CcVars;
import org.protosw.tcp.cc.CongestionSignal;

/**
 * CUBIC's window against RFC 9438's formulas, driven by a simulated ACK clock: every RTT
 * the whole window is acknowledged, one segment per ACK, spread evenly over the RTT.
 */
class CubicTest {
    private static final int MSS = 1000;
    private static final double C = 0.4;
    private static final double BETA = 0.7;

    private final Cubic cubic = new Cubic();
    private Vars v;

    /** The connection side of the hooks, with a clock the test moves. */
    static final class Vars implements CcVars {
        long cwnd;
        long ssthresh = Long.MAX_VALUE / 4;
        long bytesThisAck;
        long flight;
        long srtt;
        long now = 1_000_000;
        boolean recovery;
        Object data;
        long rttSample = -1;
        long rounds;
        boolean hystart;

        @Override
        public long cwnd() {
            return cwnd;
        }

        @Override
        public void setCwnd(long cwnd) {
            this.cwnd = cwnd;
        }

        @Override
        public long ssthresh() {
            return ssthresh;
        }

        @Override
        public void setSsthresh(long ssthresh) {
            this.ssthresh = ssthresh;
        }

        @Override
        public int maxseg() {
            return MSS;
        }

        @Override
        public long bytesThisAck() {
            return bytesThisAck;
        }

        @Override
        public long flightSize() {
            return flight;
        }

        @Override
        public long sndWnd() {
            return 1L << 30;
        }

        @Override
        public long maxWindow() {
            return 1L << 30;
        }

        @Override
        public long srttMicros() {
            return srtt;
        }

        @Override
        public long rttSampleMicros() {
            return rttSample;
        }

        @Override
        public long rounds() {
            return rounds;
        }

        @Override
        public boolean hystartAllowed() {
            return hystart;
        }

        @Override
        public int rxtShift() {
            return 0;
        }

        @Override
        public boolean inRecovery() {
            return recovery;
        }

        @Override
        public long nowMicros() {
            return now;
        }

        @Override
        public Object data() {
            return data;
        }

        @Override
        public void setData(Object data) {
            this.data = data;
        }
    }

    @BeforeEach
    void setUp() {
        v = new Vars();
        cubic.init(v);
        cubic.connInit(v);
    }

    private double segs() {
        return (double) v.cwnd / MSS;
    }

    /** One RTT of ACKs: the window's worth of segments, each ACK one MSS, evenly spaced. */
    private void oneRtt(long rttMicros) {
        v.srtt = rttMicros;
        long n = Math.max(1, v.cwnd / MSS);
        long step = rttMicros / n;
        long end = v.now + rttMicros;
        for (long i = 0; i < n; i++) {
            v.now += step;
            v.bytesThisAck = MSS;
            v.flight = v.cwnd;
            cubic.ackReceived(v, AckType.ACK);
        }
        v.now = end;
    }

    /** Loss at a window of {@code w} segments, then recovery ends; returns the time the epoch starts. */
    private void lossAt(double w) {
        v.cwnd = (long) (w * MSS);
        v.flight = v.cwnd;
        cubic.congSignal(v, CongestionSignal.NDUPACK);
        v.recovery = false;
        v.flight = v.ssthresh;
        cubic.postRecovery(v);
    }

    private static double wCubic(double t, double wMax, double cwndEpoch) {
        double k = Math.cbrt((wMax - cwndEpoch) / C);
        return C * Math.pow(t - k, 3) + wMax;
    }

    @Test
    void multiplicativeDecreaseIsBetaOfTheWindow() {
        lossAt(100);
        assertThat(v.ssthresh).isEqualTo(70 * MSS);
        assertThat(v.cwnd).isEqualTo(70 * MSS);
        assertThat(((Cubic.Data) v.data).wMax).isEqualTo(100.0);
    }

    @Test
    void timeoutCutsSsthreshByBetaAndTheWindowToOneSegment() {
        v.cwnd = 50 * MSS;
        v.flight = v.cwnd;
        cubic.congSignal(v, CongestionSignal.RTO);
        assertThat(v.cwnd).isEqualTo(MSS);
        assertThat(v.ssthresh).isEqualTo(35 * MSS);
        // a spurious timeout gives the curve back its old top
        cubic.congSignal(v, CongestionSignal.RTO_ERR);
        assertThat(((Cubic.Data) v.data).wMax).isZero();
    }

    @Test
    void fastConvergenceLowersWmaxWhenLossComesEarlier() {
        lossAt(100);
        lossAt(90);
        // 90 < W_max 100: W_max = 90 * (1 + 0.7) / 2
        assertThat(((Cubic.Data) v.data).wMax).isCloseTo(76.5, within(1e-9));
        assertThat(v.ssthresh).isEqualTo(63 * MSS);
        lossAt(120);
        // a loss above the last W_max: the flow grew, W_max is where it lost
        assertThat(((Cubic.Data) v.data).wMax).isCloseTo(120.0, within(1e-9));
    }

    @Test
    void windowFollowsTheCubicFunctionConcaveThenConvex() {
        // 200 ms: long enough that Reno's W_est stays below the curve (see the Reno-friendly test)
        long rtt = 200_000;
        lossAt(100);
        double cwndEpoch = segs();
        double k = Math.cbrt((100 - cwndEpoch) / C);
        assertThat(k).isCloseTo(Math.cbrt(75), within(1e-9));
        // the first ACK of congestion avoidance starts the epoch
        long epoch = v.now;
        double[] samples = new double[8];
        int s = 0;
        double[] at = {1, 2, 3, k, 5, 6, 7, 8};
        for (int r = 1; r <= 45; r++) {
            oneRtt(rtt);
            double t = (v.now - epoch) / 1e6;
            for (int i = 0; i < at.length; i++) {
                if (Math.abs(t - at[i]) < rtt / 2e6) {
                    double expected = wCubic(t, 100, cwndEpoch);
                    // the window aims one RTT ahead, so it sits within one RTT's growth of W_cubic(t)
                    double slack = Math.max(1.0, Math.abs(wCubic(t + rtt / 1e6, 100, cwndEpoch) - expected)) + 0.5;
                    assertThat(segs()).as("cwnd at t=%.2fs", t).isCloseTo(expected, within(slack));
                    samples[s++] = segs();
                }
            }
        }
        assertThat(s).isEqualTo(at.length);
        // concave: growth per second shrinks on the way to W_max ...
        assertThat(samples[1] - samples[0]).isGreaterThan(samples[2] - samples[1]);
        assertThat(samples[3]).isCloseTo(100.0, within(1.5));
        // ... convex: and grows again beyond it
        assertThat(samples[6] - samples[5]).isGreaterThan(samples[5] - samples[4]);
        assertThat(samples[7] - samples[6]).isGreaterThan(samples[6] - samples[5]);
        assertThat(samples[7]).isGreaterThan(115);
    }

    @Test
    void targetIsClampedToOneAndAHalfWindowsPerRtt() {
        lossAt(100);
        // a long pause since the epoch started: W_cubic is far above, growth is still bounded
        oneRtt(100_000);
        v.now += 20_000_000;
        double before = segs();
        oneRtt(100_000);
        assertThat(segs()).isLessThanOrEqualTo(before * 1.5 + 1);
        assertThat(segs()).isGreaterThan(before * 1.4);
    }

    @Test
    void renoFriendlyRegionOnShortRtts() {
        // a small window over a 1 ms path: Reno's +alpha per RTT beats the cubic curve
        long rtt = 1_000;
        lossAt(20);
        double cwndEpoch = segs();
        long epoch = v.now;
        double alpha = 3 * (1 - BETA) / (1 + BETA);
        double wEst = cwndEpoch;
        for (int r = 0; r < 200; r++) {
            double start = segs();
            oneRtt(rtt);
            // what the RFC's W_est does over the same ACKs
            long n = Math.max(1, (long) (start * MSS) / MSS);
            for (long i = 0; i < n; i++) {
                double a = wEst >= 20 ? 1.0 : alpha;
                wEst += a / start;
            }
        }
        double t = (v.now - epoch) / 1e6;
        assertThat(wCubic(t, 20, cwndEpoch)).isLessThan(wEst);
        assertThat(segs()).isCloseTo(wEst, within(3.0));
        // far more than the cubic curve alone gives after 0.2 s
        assertThat(segs()).isGreaterThan(wCubic(t, 20, cwndEpoch) + 50);
    }

    @Test
    void slowStartBelowSsthreshAndNothingInRecovery() {
        long iw = v.cwnd;
        v.bytesThisAck = MSS;
        cubic.ackReceived(v, AckType.ACK);
        assertThat(v.cwnd).isEqualTo(iw + MSS);
        v.recovery = true;
        cubic.ackReceived(v, AckType.ACK);
        cubic.ackReceived(v, AckType.DUPACK);
        assertThat(v.cwnd).isEqualTo(iw + MSS);
    }
}
