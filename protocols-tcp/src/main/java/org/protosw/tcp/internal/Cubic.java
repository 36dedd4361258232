package org.protosw.tcp.internal;

import org.osgi.service.component.annotations.Component;
import org.protosw.tcp.cc.AckType;
import org.protosw.tcp.cc.CcVars;
import org.protosw.tcp.cc.CongestionControl;
import org.protosw.tcp.cc.CongestionSignal;

/**
 * CUBIC (RFC 9438): after a congestion event the window follows
 * {@code W_cubic(t) = C (t - K)^3 + W_max}, concave up to the window where the loss happened
 * and convex beyond it, so it returns quickly to the last known capacity, lingers there,
 * then probes for more. Windows are in segments and times in seconds inside the formulas,
 * as in the RFC; the connection's window stays in bytes.
 *
 * <p>Implemented: the cubic function with C = 0.4 and beta_cubic = 0.7 (§4.2, §4.6), the
 * target clamp to [cwnd, 1.5 cwnd] one RTT ahead (§4.4), the Reno-friendly region with
 * W_est and alpha_cubic = 3 (1 - beta) / (1 + beta), raised to 1 once W_est reaches
 * cwnd_prior (§4.3), fast convergence (§4.7), timeouts (§4.8) and undoing a spurious one
 * (§4.9). Slow start is RFC 5681's with RFC 3465 byte counting (L = 2), as NewReno's, and
 * the first one uses HyStart++ (RFC 9406, {@link HyStart}) when TCP allows it, as §4.10
 * recommends: it may end slow start before any loss, in which case cwnd_prior is that
 * window and the first epoch starts there with K = 0, W_max being the window too.
 */
@Component(service = CongestionControl.class, property = CongestionControl.NAME_PROPERTY + "=" + Cubic.NAME)
public final class Cubic implements CongestionControl {
    static final String NAME = "cubic";
    static final double C = 0.4;
    static final double BETA = 0.7;
    /** §4.3: the additive increase that makes CUBIC's average window equal Reno's. */
    static final double ALPHA = 3 * (1 - BETA) / (1 + BETA);
    private static final int ABC_L = 2;

    /** Per-connection state ({@code cc_data}); windows in segments, times in microseconds. */
    static final class Data {
        /** The window CUBIC aims back at: where the last congestion event happened (fast convergence may lower it). */
        double wMax;
        /** The window just before the last reduction (cwnd_prior). */
        double cwndPrior;
        /** Seconds the cubic function takes to climb from cwnd_epoch back to W_max. */
        double k;
        boolean epochValid;
        long epochStart;
        double cwndEpoch;
        /** The window Reno would have now (W_est). */
        double wEst;
        /** Fractions of a byte of window growth, carried to the next ACK. */
        double pendingBytes;
        /** What the last timeout overwrote, for §4.9. */
        double savedWMax;
        double savedCwndPrior;
        /** HyStart++ while the first slow start lasts, else null. */
        HyStart hystart;
    }

    @Override
    public void init(CcVars ccv) {
        ccv.setData(new Data());
    }

    @Override
    public void destroy(CcVars ccv) {
        ccv.setData(null);
    }

    @Override
    public void connInit(CcVars ccv) {
        Data d = new Data();
        ccv.setData(d);
        ccv.setCwnd(NewReno.initialWindow(ccv.maxseg()));
        d.hystart = HyStart.forConnection(ccv);
    }

    /** The cubic function (RFC 9438 equation 1), in segments, {@code t} in seconds. */
    static double wCubic(double t, double k, double wMax) {
        double d = t - k;
        return C * d * d * d + wMax;
    }

    /** K (RFC 9438 equation 2): seconds from cwnd_epoch to W_max, 0 when already there. */
    static double k(double wMax, double cwndEpoch) {
        return wMax > cwndEpoch ? Math.cbrt((wMax - cwndEpoch) / C) : 0;
    }

    @Override
    public void ackReceived(CcVars ccv, AckType type) {
        if (type != AckType.ACK || ccv.inRecovery()) {
            return;
        }
        long cwnd = ccv.cwnd();
        int mss = ccv.maxseg();
        long acked = ccv.bytesThisAck();
        if (acked <= 0) {
            return;
        }
        Data d = data(ccv);
        if (cwnd < ccv.ssthresh()) {
            long incr = Math.min(acked, (long) ABC_L * mss);
            if (d.hystart == null) {
                ccv.setCwnd(Math.min(cwnd + incr, ccv.maxWindow()));
            } else if (d.hystart.slowStartAck(ccv, incr)) {
                // §4.10: slow start ended without a loss; W_max is set when the epoch starts
                d.hystart = null;
                d.cwndPrior = (double) ccv.cwnd() / mss;
            }
            return;
        }
        long now = ccv.nowMicros();
        double cwndSeg = (double) cwnd / mss;
        if (!d.epochValid) {
            // §4.2: the epoch starts with congestion avoidance; reaching it without a
            // congestion event (slow start ended at ssthresh) means W_max is this window
            d.epochValid = true;
            d.epochStart = now;
            d.cwndEpoch = cwndSeg;
            if (d.wMax < cwndSeg) {
                d.wMax = cwndSeg;
            }
            d.k = k(d.wMax, d.cwndEpoch);
            d.wEst = cwndSeg;
            d.pendingBytes = 0;
        }
        double t = (now - d.epochStart) / 1e6;
        double segsAcked = (double) acked / mss;
        double alpha = d.wEst >= d.cwndPrior ? 1.0 : ALPHA;
        d.wEst += alpha * segsAcked / cwndSeg;

        double next;
        if (wCubic(t, d.k, d.wMax) < d.wEst) {
            // §4.3: Reno-friendly region, where standard TCP would do better
            next = Math.max(cwndSeg, d.wEst) * mss;
        } else {
            // §4.4, §4.5: concave or convex region; aim at the window one RTT from now
            double rtt = ccv.srttMicros() / 1e6;
            double target = wCubic(t + rtt, d.k, d.wMax);
            target = Math.max(cwndSeg, Math.min(target, 1.5 * cwndSeg));
            next = cwnd + (target - cwndSeg) / cwndSeg * acked + d.pendingBytes;
        }
        long grown = (long) next;
        d.pendingBytes = next - grown;
        if (grown > cwnd) {
            ccv.setCwnd(Math.min(grown, ccv.maxWindow()));
        }
    }

    @Override
    public void congSignal(CcVars ccv, CongestionSignal signal) {
        Data d = data(ccv);
        int mss = ccv.maxseg();
        if (signal != CongestionSignal.RTO_ERR) {
            // RFC 9406: a loss ends slow start as it always did, and HyStart++ with it
            d.hystart = null;
        }
        switch (signal) {
            case NDUPACK, ECN -> {
                // kept for §4.9: a fast retransmit D-SACK shows unnecessary is undone as a timeout is
                d.savedWMax = d.wMax;
                d.savedCwndPrior = d.cwndPrior;
                reduce(ccv, d, mss);
                ccv.setCwnd(ccv.ssthresh());
            }
            case RTO -> {
                d.savedWMax = d.wMax;
                d.savedCwndPrior = d.cwndPrior;
                reduce(ccv, d, mss);
                ccv.setCwnd(mss);
            }
            case RTO_ERR -> {
                // §4.9: the timeout was spurious: take back what it did to the curve (TCP
                // restores cwnd and ssthresh itself)
                d.wMax = d.savedWMax;
                d.cwndPrior = d.savedCwndPrior;
                d.epochValid = false;
            }
        }
    }

    /** §4.6 and §4.7: remember where the loss happened and cut ssthresh to beta_cubic of the flight. */
    private static void reduce(CcVars ccv, Data d, int mss) {
        double cwndSeg = (double) ccv.cwnd() / mss;
        d.cwndPrior = cwndSeg;
        // fast convergence: a flow whose losses come earlier than last time gives way
        d.wMax = cwndSeg < d.wMax ? cwndSeg * (1 + BETA) / 2 : cwndSeg;
        long flight = Math.min(ccv.cwnd(), Math.max(ccv.flightSize(), mss));
        ccv.setSsthresh(Math.max(Math.round(flight * BETA), 2L * mss));
        d.epochValid = false;
        d.pendingBytes = 0;
    }

    @Override
    public void postRecovery(CcVars ccv) {
        // as NewReno (RFC 6582 §3.2 step 3): no burst out of recovery
        long pipe = ccv.flightSize();
        int mss = ccv.maxseg();
        long cwnd = pipe < ccv.ssthresh() ? pipe + mss : ccv.ssthresh();
        ccv.setCwnd(Math.max(cwnd, mss));
        data(ccv).epochValid = false;
    }

    @Override
    public void afterIdle(CcVars ccv) {
        long rw = Math.min(NewReno.initialWindow(ccv.maxseg()), ccv.cwnd());
        ccv.setCwnd(Math.max(rw, ccv.maxseg()));
        // the time spent idle is not time the curve should have grown over
        data(ccv).epochValid = false;
    }

    @Override
    public java.util.Map<String, Object> exportData(CcVars ccv) {
        Data d = data(ccv);
        java.util.Map<String, Object> m = new java.util.LinkedHashMap<>();
        m.put("wMax", d.wMax);
        m.put("cwndPrior", d.cwndPrior);
        m.put("k", d.k);
        m.put("epochValid", d.epochValid);
        // epochStart is nowMicros(), the JVM's monotonic clock, which the next revision shares
        m.put("epochStart", d.epochStart);
        m.put("cwndEpoch", d.cwndEpoch);
        m.put("wEst", d.wEst);
        m.put("pendingBytes", d.pendingBytes);
        m.put("savedWMax", d.savedWMax);
        m.put("savedCwndPrior", d.savedCwndPrior);
        m.put("hystart", d.hystart == null ? null : d.hystart.exportState());
        return m;
    }

    @Override
    public boolean importData(CcVars ccv, java.util.Map<String, Object> m) {
        try {
            Data d = new Data();
            d.wMax = (Double) m.get("wMax");
            d.cwndPrior = (Double) m.get("cwndPrior");
            d.k = (Double) m.get("k");
            d.epochValid = (Boolean) m.get("epochValid");
            d.epochStart = (Long) m.get("epochStart");
            d.cwndEpoch = (Double) m.get("cwndEpoch");
            d.wEst = (Double) m.get("wEst");
            d.pendingBytes = (Double) m.get("pendingBytes");
            d.savedWMax = (Double) m.get("savedWMax");
            d.savedCwndPrior = (Double) m.get("savedCwndPrior");
            d.hystart = HyStart.restore(m.get("hystart"));
            ccv.setData(d);
            return true;
        } catch (ClassCastException | NullPointerException | IllegalArgumentException e) {
            return false;
        }
    }

    static Data data(CcVars ccv) {
        if (ccv.data() instanceof Data d) {
            return d;
        }
        Data d = new Data();
        ccv.setData(d);
        return d;
    }
}
