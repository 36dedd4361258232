package org.protosw.tcp.internal;

import org.protosw.tcp.cc.CcVars;

/**
 * HyStart++ (RFC 9406): slow start that leaves when the round-trip time starts to climb,
 * which is the queue at the bottleneck filling, instead of when that queue overflows and a
 * whole window's worth of segments is lost. One instance per connection, kept in the
 * algorithm's private data; NewReno and CUBIC hand it the ACKs of their first slow start.
 *
 * <p>Each round the minimum of the RTT samples is kept. Once a round has
 * {@value #N_RTT_SAMPLE} samples and its minimum exceeds the previous round's by
 * {@code clamp(lastRoundMinRtt / 8, 4 ms, 16 ms)}, slow start gives way to Conservative Slow
 * Start (CSS): the window grows by a quarter of what slow start would add. Delay jitter can
 * fake an increase, so CSS keeps watching: a round whose minimum falls below the one that
 * started CSS resumes slow start; {@value #CSS_ROUNDS} rounds of CSS end slow start for good,
 * with ssthresh set to cwnd. A loss ends it as usual: the algorithm cuts ssthresh and drops
 * this object, since the RFC uses HyStart++ only for the first slow start (later ones stop
 * at the ssthresh the loss left).
 *
 * <p>The slow start increase itself is the caller's ({@code min(N, L * SMSS)} of RFC 3465),
 * so L stays FreeBSD's {@code abc_l_var} of 2 rather than the RFC's suggested 8 for a sender
 * without pacing: protosw sends ACK-clocked bursts and keeps them as small as before.
 * Without timestamps TCP times one segment per round trip, so no round ever has enough
 * samples and HyStart++ never leaves slow start early: exactly standard slow start.
 */
final class HyStart {
    /** The bounds of the delay increase that signals a queue, in microseconds. */
    static final long MIN_RTT_THRESH = 4_000;
    static final long MAX_RTT_THRESH = 16_000;
    /** The increase must be at least this fraction of the previous round's minimum RTT. */
    static final int MIN_RTT_DIVISOR = 8;
    /** Samples a round needs before its minimum is trusted. */
    static final int N_RTT_SAMPLE = 8;
    /** CSS grows the window this many times slower than slow start. */
    static final int CSS_GROWTH_DIVISOR = 4;
    /** Rounds of CSS after which slow start ends. */
    static final int CSS_ROUNDS = 5;

    /** "Infinity" of the RFC: no sample yet. */
    private static final long NO_RTT = Long.MAX_VALUE;

    enum Phase {
        /** Standard slow start, watching the delay. */
        SLOW_START,
        /** Conservative Slow Start after a delay increase. */
        CSS,
        /** CSS lasted {@value HyStart#CSS_ROUNDS} rounds: slow start is over. */
        DONE
    }

    private Phase phase = Phase.SLOW_START;
    /** The connection's round count when the current round began, -1 before the first ACK. */
    private long round = -1;
    private long lastRoundMinRtt = NO_RTT;
    private long currentRoundMinRtt = NO_RTT;
    private int rttSampleCount;
    private long cssBaselineMinRtt = NO_RTT;
    /** The round in which CSS began. */
    private long cssStartRound;

    /**
     * HyStart++ for a connection entering its first slow start, or null when TCP does not
     * allow it or the slow start threshold already has a value (a loss set it, or the
     * algorithm was switched after one): HyStart++ is for the initial slow start only.
     */
    static HyStart forConnection(CcVars ccv) {
        return ccv.hystartAllowed() && ccv.ssthresh() >= ccv.maxWindow() ? new HyStart() : null;
    }

    Phase phase() {
        return phase;
    }

    /**
     * One ACK of new data in slow start (cwnd below ssthresh): grows cwnd by {@code incr},
     * standard slow start's increase, or by a quarter of it in CSS, then feeds this ACK's
     * RTT sample to the state machine.
     *
     * @return true when this ACK ended slow start (ssthresh is now cwnd)
     */
    boolean slowStartAck(CcVars ccv, long incr) {
        if (phase == Phase.DONE) {
            return false;
        }
        if (round < 0) {
            round = ccv.rounds();
        }
        long grow = phase == Phase.CSS ? incr / CSS_GROWTH_DIVISOR : incr;
        ccv.setCwnd(Math.min(ccv.cwnd() + grow, ccv.maxWindow()));

        long rtt = ccv.rttSampleMicros();
        if (rtt >= 0) {
            currentRoundMinRtt = Math.min(currentRoundMinRtt, rtt);
            rttSampleCount++;
        }
        if (rttSampleCount >= N_RTT_SAMPLE) {
            if (phase == Phase.SLOW_START) {
                if (lastRoundMinRtt != NO_RTT && currentRoundMinRtt >= lastRoundMinRtt + rttThresh(lastRoundMinRtt)) {
                    cssBaselineMinRtt = currentRoundMinRtt;
                    cssStartRound = round;
                    phase = Phase.CSS;
                }
            } else if (currentRoundMinRtt < cssBaselineMinRtt) {
                // the delay fell back below where CSS began: the increase was jitter
                cssBaselineMinRtt = NO_RTT;
                phase = Phase.SLOW_START;
            }
        }

        // the ACK that ends a round still measured a segment of it: its sample counted above
        long now = ccv.rounds();
        if (now != round) {
            round = now;
            lastRoundMinRtt = currentRoundMinRtt;
            currentRoundMinRtt = NO_RTT;
            rttSampleCount = 0;
            if (phase == Phase.CSS && now - cssStartRound >= CSS_ROUNDS) {
                ccv.setSsthresh(ccv.cwnd());
                phase = Phase.DONE;
                return true;
            }
        }
        return false;
    }

    /** RFC 9406 §4.2: the delay increase that ends slow start, {@code clamp(min / 8, 4 ms, 16 ms)}. */
    static long rttThresh(long lastRoundMinRtt) {
        return Math.clamp(lastRoundMinRtt / MIN_RTT_DIVISOR, MIN_RTT_THRESH, MAX_RTT_THRESH);
    }

    // ---- live upgrade (TcpTransfer): the state machine as JDK values --------------------

    java.util.Map<String, Object> exportState() {
        java.util.Map<String, Object> m = new java.util.LinkedHashMap<>();
        m.put("phase", phase.name());
        m.put("round", round);
        m.put("lastRoundMinRtt", lastRoundMinRtt);
        m.put("currentRoundMinRtt", currentRoundMinRtt);
        m.put("rttSampleCount", rttSampleCount);
        m.put("cssBaselineMinRtt", cssBaselineMinRtt);
        m.put("cssStartRound", cssStartRound);
        return m;
    }

    /** The state {@link #exportState} gave, or null when {@code o} is none (HyStart++ was over). */
    static HyStart restore(Object o) {
        if (!(o instanceof java.util.Map<?, ?> m)) {
            return null;
        }
        HyStart h = new HyStart();
        h.phase = Phase.valueOf((String) m.get("phase"));
        h.round = (Long) m.get("round");
        h.lastRoundMinRtt = (Long) m.get("lastRoundMinRtt");
        h.currentRoundMinRtt = (Long) m.get("currentRoundMinRtt");
        h.rttSampleCount = (Integer) m.get("rttSampleCount");
        h.cssBaselineMinRtt = (Long) m.get("cssBaselineMinRtt");
        h.cssStartRound = (Long) m.get("cssStartRound");
        return h;
    }
}
