package org.protosw.tcp.internal;

import static org.protosw.tcp.internal.TcpCb.*;

import java.util.LinkedHashMap;
import java.util.Map;

import org.protosw.socket.SocketException;
import org.protosw.tcp.cc.CongestionSignal;
import org.protosw.wire.TcpHeader;

/**
 * RACK-TLP (RFC 8985): loss detection by time instead of by counting duplicate ACKs. A
 * segment is deemed lost when one sent after it has been delivered and more than an RTT and
 * a reordering window have passed since it went out; the window grows when D-SACK shows a
 * retransmission was unnecessary. A tail loss, after which no ACK comes to tell of it, is
 * probed for (TLP) two smoothed RTTs after the last send instead of waiting for the
 * retransmission timer. Linux's {@code tcp_recovery.c} and FreeBSD's RACK stack do the same;
 * this one sits beside the RFC 6675 scoreboard, which keeps what the peer SACKed for the
 * retransmissions after a timeout.
 *
 * <p>One per connection that agreed on SACK, created when the connection is established
 * and {@code net.inet.tcp.rack.enable} is on. Used under the connection lock. Times are
 * {@link System#nanoTime()}.
 */
final class TcpRack {
    /** What the retransmission callout is armed for ({@link TcpCb#lossTimer}). */
    static final byte TIMER_RTO = 0;
    static final byte TIMER_REO = 1;
    static final byte TIMER_TLP = 2;

    /** RFC 8985 §7.2 WCDelAckT: the longest a peer delays the ACK of a lone segment. */
    private static final long WC_DELACK_NS = 200_000_000L;
    /**
     * The shortest probe timeout (Linux's floor, {@code TCP_TIMEOUT_MIN}): the callout wheel
     * ticks in a millisecond and fires up to two early, and on lo0 two SRTTs are microseconds.
     */
    private static final long PTO_MIN_NS = 10_000_000L;
    /** RFC 8985 §6.2 step 4: recoveries without D-SACK before the window shrinks back. */
    private static final int REO_WND_PERSIST = 16;
    private static final int REO_WND_MULT_MAX = 64;

    final TcpSendMap map = new TcpSendMap();
    /** RACK.xmit_ts and RACK.end_seq: the most recently sent segment known delivered. */
    private long xmitTs;
    private int endSeq;
    private boolean delivered;
    /** RACK.rtt: that segment's round trip, ns. */
    private long rtt;
    /** RACK.min_RTT over samples not ambiguous by retransmission, ns (Long.MAX_VALUE: none yet). */
    private long minRtt = Long.MAX_VALUE;
    /** The smoothed RACK.rtt (RFC 6298's 1/8 gain, a sample an ACK), ns: the PTO's base. */
    private long srtt;
    /** RACK.fack: the highest sequence delivered; a segment delivered below it was reordered. */
    private int fack;
    private boolean reorderingSeen;
    private int reoWndMult = 1;
    private int reoWndPersist;
    private boolean dsackRoundValid;
    private int dsackRound;
    /**
     * How late the original of a retransmitted segment arrived, measured by its D-SACK: the
     * reordering this path really has. RFC 8985 bounds the window by SRTT; on a path whose
     * RTT is microseconds (lo0, an epair) with segments held back milliseconds, that bound
     * keeps every reordered segment looking lost. The measured extent is bounded by a
     * quarter of the minimum RTO instead, so a loss is still found well before a timeout.
     */
    private long reoExtent;
    /** The ACK being processed carried a D-SACK. */
    private boolean dsackThisAck;
    /** TLP.end_seq and TLP.is_retrans, with the retransmitted probe's range for its D-SACK. */
    private boolean tlpActive;
    private int tlpEndSeq;
    private boolean tlpIsRetrans;
    private int tlpProbeStart;
    private int tlpProbeEnd;
    private boolean tlpDsacked;
    /** Scratch for sorting an ACK's SACK blocks, ascending (at most four). */
    private final int[] blocks = new int[8];

    TcpRack(int sndMax) {
        this.fack = sndMax;
    }

    /** Whether a connection that agreed on SACK, now being established, uses RACK. */
    static void established(TcpCb tp) {
        assert tp.lockHeld();
        if ((tp.flags & F_SACK_PERMIT) != 0 && tp.tcp.rackEnable.get() != 0) {
            tp.rack = new TcpRack(tp.sndMax);
        }
    }

    // ---- sending ---------------------------------------------------------------------

    /** [s, e) of data went out (new or again): the map records when. */
    void sent(int s, int e, long now) {
        map.sent(s, e, now);
    }

    /**
     * New data went out (RFC 8985 §7.2): the probe timeout starts over if a probe may be sent,
     * else the retransmission timer runs as before.
     */
    static void newDataSent(TcpCb tp) {
        assert tp.lockHeld();
        if (!armProbe(tp)) {
            if (tp.rexmtDeadline == 0 || tp.persistMode) {
                TcpTimer.armRexmt(tp);
            }
        }
    }

    private boolean probeAllowed(TcpCb tp) {
        return tp.tcp.rackTlp.get() != 0 && !tlpActive && !tp.persistMode
                && (tp.state == TcpState.ESTABLISHED || tp.state == TcpState.CLOSE_WAIT)
                && (tp.flags & (F_FASTRECOVERY | F_CONGRECOVERY)) == 0 && map.sackedBytes() == 0 && !map.isEmpty()
                && tp.lossTimer != TIMER_REO;
    }

    /** RFC 8985 §7.2: arms the probe timeout when a probe may go; false when it may not. */
    private static boolean armProbe(TcpCb tp) {
        TcpRack r = tp.rack;
        if (!r.probeAllowed(tp)) {
            return false;
        }
        long pto;
        if (r.srtt > 0) {
            pto = 2 * r.srtt;
        } else if (tp.srtt > 0) {
            pto = 2 * tp.srtt * 1000;
        } else {
            pto = 1_000_000_000L;
        }
        if (tp.sndMax - tp.sndUna <= tp.maxseg) {
            // a lone segment: the peer may hold its ACK back that long
            pto += WC_DELACK_NS;
        }
        pto = Math.max(pto, PTO_MIN_NS);
        pto = Math.min(pto, TcpTimer.currentRto(tp) * 1000);
        TcpTimer.armLossTimer(tp, TIMER_TLP, pto);
        return true;
    }

    /** The probe timeout fired (RFC 8985 §7.3): one segment, new if there is one, else the last again. */
    static void probeTimeout(TcpCb tp) {
        assert tp.lockHeld();
        TcpRack r = tp.rack;
        if (tp.sndUna == tp.sndMax) {
            return;
        }
        if (!r.probeAllowed(tp)) {
            TcpTimer.armRexmt(tp);
            return;
        }
        r.tlpActive = true;
        if (TcpOutput.sendNewSegment(tp)) {
            r.tlpIsRetrans = false;
        } else {
            int e = r.map.lastEnd();
            int s = Math.max(r.map.start(r.map.size() - 1), e - tp.maxseg);
            if (!TcpOutput.resend(tp, s, e)) {
                r.tlpActive = false;
                TcpTimer.armRexmt(tp);
                return;
            }
            r.tlpIsRetrans = true;
            r.tlpProbeStart = s;
            r.tlpProbeEnd = e;
        }
        r.tlpEndSeq = tp.sndMax;
        r.tlpDsacked = false;
        tp.stats.tlpSent.increment();
        TcpTimer.armRexmt(tp);
    }

    // ---- an ACK ----------------------------------------------------------------------

    /** A D-SACK of [l, r) arrived (from {@link TcpSack}): it steers the reordering window. */
    void dsack(TcpCb tp, int l, int r) {
        dsackThisAck = true;
        if (tlpActive && tlpIsRetrans && Seq.lt(l, tlpProbeEnd) && Seq.gt(r, tlpProbeStart)) {
            tlpDsacked = true;
        }
        // a segment arrived twice: one was resent that had only been late (Linux counts it as reordering too)
        reorderingSeen = true;
        long first = map.firstSentAt(l, r);
        if (first >= 0) {
            map.forgetFirst(first);
            long late = System.nanoTime() - first - (minRtt == Long.MAX_VALUE ? 0 : minRtt);
            reoExtent = Math.max(reoExtent, late);
        }
    }

    /**
     * RFC 8985 §6.2 on an ACK, after the cumulative ACK and the scoreboard took it: what it
     * delivered updates RACK's most recent delivery and reordering, losses are detected, a
     * recovery starts when one is found, and the timer is set for what comes next.
     *
     * @param unaBefore SND.UNA before this ACK
     * @param recoveringBefore whether fast or timeout recovery was on before this ACK
     */
    static void onAck(TcpCb tp, Segment s, int unaBefore, boolean recoveringBefore) {
        assert tp.lockHeld();
        TcpRack r = tp.rack;
        long now = System.nanoTime();
        long sample = r.deliveredBy(tp, s, now);
        if (sample > 0) {
            r.srtt = r.srtt == 0 ? sample : r.srtt + (sample - r.srtt) / 8;
        }
        r.map.ackedTo(tp.sndUna);
        boolean recovering = (tp.flags & (F_FASTRECOVERY | F_CONGRECOVERY)) != 0;
        r.updateReoWnd(tp, recoveringBefore && !recovering);
        r.tlpAck(tp, s, unaBefore);
        r.dsackThisAck = false;

        long timeout = 0;
        if (r.map.sackedBytes() > 0 || tp.inSackRecovery()) {
            long lostBefore = r.map.lostBytes();
            timeout = r.detectLoss(tp, now);
            if (r.map.lostBytes() > lostBefore) {
                startRecovery(tp);
            }
        }
        if (tp.sndUna == tp.sndMax || tp.state == TcpState.CLOSED) {
            return;
        }
        if (timeout > 0) {
            TcpTimer.armLossTimer(tp, TIMER_REO, timeout);
        } else if (tp.lossTimer == TIMER_REO || tp.sndUna != unaBefore) {
            // RFC 8985 §7.2: an ACK of new data restarts the probe timeout
            if (!armProbe(tp) && !tp.persistMode) {
                TcpTimer.armRexmt(tp);
            }
        } else if (tp.lossTimer == TIMER_TLP && !r.probeAllowed(tp) && !r.tlpActive) {
            // SACKs arrived: no probe, the retransmission timer watches the flight
            TcpTimer.armRexmt(tp);
        }
    }

    /**
     * The segments this ACK delivered, cumulatively and then by SACK in ascending order
     * (RFC 8985 §6.2 steps 2 and 3); returns the RTT sample of the most recently sent one, or 0.
     */
    private long deliveredBy(TcpCb tp, Segment s, long now) {
        long sample = 0;
        int una = tp.sndUna;
        for (int i = 0; i < map.size() && Seq.leq(map.end(i), una); i++) {
            if (!map.has(i, TcpSendMap.SACKED)) {
                sample = Math.max(sample, deliver(tp, s, i, now));
            }
        }
        if (s.sackCount == 0 || (tp.flags & F_SACK_PERMIT) == 0) {
            return sample;
        }
        int n = sortedBlocks(tp, s);
        for (int b = 0; b < n; b++) {
            int l = blocks[2 * b];
            int rr = blocks[2 * b + 1];
            int i = map.splitAt(l);
            int j = map.splitAt(rr);
            for (int k = i; k < j; k++) {
                if (!map.has(k, TcpSendMap.SACKED)) {
                    sample = Math.max(sample, deliver(tp, s, k, now));
                    map.markSacked(k);
                }
            }
        }
        return sample;
    }

    /** The ACK's SACK blocks that tell of data held above SND.UNA, clipped to it, ascending. */
    private int sortedBlocks(TcpCb tp, Segment s) {
        int n = 0;
        for (int i = 0; i < s.sackCount && n < 4; i++) {
            int l = s.sack[2 * i];
            int r = s.sack[2 * i + 1];
            if (!Seq.lt(l, r) || !Seq.gt(r, tp.sndUna) || Seq.gt(r, tp.sndMax)) {
                continue;
            }
            if (Seq.lt(l, tp.sndUna)) {
                l = tp.sndUna;
            }
            int k = n++;
            while (k > 0 && Seq.gt(blocks[2 * (k - 1)], l)) {
                blocks[2 * k] = blocks[2 * (k - 1)];
                blocks[2 * k + 1] = blocks[2 * (k - 1) + 1];
                k--;
            }
            blocks[2 * k] = l;
            blocks[2 * k + 1] = r;
        }
        return n;
    }

    /** Entry {@code i} was delivered by ACK {@code s}; returns its RTT when it is a new most recent delivery, else 0. */
    private long deliver(TcpCb tp, Segment s, int i, long now) {
        long sent = map.sentAt(i);
        int end = map.end(i);
        boolean retrans = map.has(i, TcpSendMap.RETRANS);
        long sample = 0;
        long t = Math.max(1, now - sent);
        if (!retrans || answersLatest(tp, s, sent, t)) {
            if (!retrans) {
                minRtt = Math.min(minRtt, t);
            }
            if (!delivered || sentAfter(sent, end, xmitTs, endSeq)) {
                delivered = true;
                xmitTs = sent;
                endSeq = end;
                rtt = t;
                sample = t;
            }
        }
        if (Seq.gt(end, fack)) {
            fack = end;
        } else if (Seq.lt(end, fack) && !retrans) {
            reorderingSeen = true;
        }
        return sample;
    }

    /**
     * RFC 8985 §6.2 step 2: whether the delivery of a retransmitted segment, {@code rtt} after
     * its latest transmission, answers that transmission and not an earlier one. Taking the
     * late original's ACK for the retransmission's would make everything sent before the
     * retransmission look lost. The timestamp echo tells (TSval is the same clock, in ms);
     * without timestamps, an answer quicker than any round trip seen cannot be the retransmission's.
     */
    private boolean answersLatest(TcpCb tp, Segment s, long sent, long rtt) {
        if (tp.tsOk() && s.hasTs && s.tsEcr != 0 && Seq.lt(s.tsEcr, tp.tsAt(sent))) {
            return false;
        }
        return rtt >= minRtt;
    }

    private static boolean sentAfter(long t1, int seq1, long t2, int seq2) {
        return t1 - t2 > 0 || (t1 == t2 && Seq.gt(seq1, seq2));
    }

    /** RFC 8985 §6.2 step 4: a round with D-SACK widens the window, sixteen recoveries without narrow it back. */
    private void updateReoWnd(TcpCb tp, boolean recoveryEnded) {
        if (dsackRoundValid && Seq.geq(tp.sndUna, dsackRound)) {
            dsackRoundValid = false;
        }
        if (!dsackRoundValid && dsackThisAck) {
            dsackRoundValid = true;
            dsackRound = tp.sndMax;
            if (reoWndMult < REO_WND_MULT_MAX) {
                reoWndMult++;
            }
            reoWndPersist = REO_WND_PERSIST;
            tp.stats.rackReoWndGrown.increment();
        } else if (recoveryEnded && reoWndPersist > 0 && --reoWndPersist == 0) {
            reoWndMult = 1;
            reoExtent = 0;
        }
    }

    private long reoWnd(TcpCb tp) {
        if (!reorderingSeen && ((tp.flags & (F_FASTRECOVERY | F_CONGRECOVERY)) != 0 || map.sackedBytes() >= (long) SackScoreboard.DUP_THRESH * tp.maxseg)) {
            // no reordering seen on this path: behave like three duplicate ACKs would
            return 0;
        }
        long wnd = minRtt == Long.MAX_VALUE ? 0 : Math.min(reoWndMult * (minRtt / 4), srtt);
        long extentCap = tp.tcp.rexmitMin.get() * 1_000_000L / 4;
        return Math.max(wnd, Math.min(reoExtent, extentCap));
    }

    /**
     * RFC 8985 §6.2 step 5: marks lost each segment sent before the most recent delivery and
     * longer ago than RACK.rtt and the reordering window; returns how long until the next one
     * could be (the reordering timer), 0 when none is waiting.
     */
    private long detectLoss(TcpCb tp, long now) {
        if (!delivered) {
            return 0;
        }
        long reo = reoWnd(tp);
        long timeout = 0;
        int lost = 0;
        for (int i = 0; i < map.size(); i++) {
            if (map.has(i, TcpSendMap.SACKED)) {
                continue;
            }
            long sent = map.sentAt(i);
            if (sentAfter(sent, map.end(i), xmitTs, endSeq)) {
                if (!map.has(i, TcpSendMap.RETRANS)) {
                    // first transmissions go out in sequence order: all after this one are later
                    break;
                }
                continue;
            }
            if (map.has(i, TcpSendMap.LOST)) {
                continue;
            }
            long remaining = sent + rtt + reo - now;
            if (remaining <= 0) {
                map.markLost(i);
                lost++;
            } else {
                timeout = Math.max(timeout, remaining);
            }
        }
        if (lost > 0) {
            tp.stats.rackLost.add(lost);
        }
        return timeout;
    }

    /** Losses found outside recovery start one (RFC 8985 §6.2 step 5, then RFC 6675's sending by pipe). */
    private static void startRecovery(TcpCb tp) {
        if ((tp.flags & (F_FASTRECOVERY | F_CONGRECOVERY)) != 0) {
            return;
        }
        // RFC 6675 §5: not while the ACK lies inside the last episode (HighACK <= RecoveryPoint,
        // the last byte sent then); an ACK of all it sent may start the next one at once
        if ((tp.flags & F_RECOVER_VALID) != 0 && Seq.lt(tp.sndUna, tp.recover)) {
            return;
        }
        if (tp.rack.tlpActive) {
            tp.stats.tlpRepaired.increment();
            tp.rack.tlpActive = false;
        }
        TcpSack.enterRecovery(tp);
        // the first lost segment goes out at once, whatever pipe says (RFC 6675 §5 (4.3))
        int i = tp.rack.firstLost(0);
        if (i >= 0) {
            TcpOutput.sackSend(tp, tp.rack.map.start(i), tp.rack.map.end(i), true);
        }
    }

    /** The index of the first entry from {@code from} deemed lost and not yet resent, or -1. */
    int firstLost(int from) {
        if (map.lostBytes() == 0) {
            return -1;
        }
        for (int i = from; i < map.size(); i++) {
            if (map.has(i, TcpSendMap.LOST)) {
                return i;
            }
        }
        return -1;
    }

    /** RFC 6675's pipe from the map: in flight is what was sent, less what was SACKed or deemed lost. */
    long pipe(TcpCb tp) {
        return (long) (tp.sndMax - tp.sndUna) - map.sackedBytes() - map.lostBytes();
    }

    /** RFC 8985 §7.4 (Linux's {@code tcp_process_tlp_ack}): what the ACK says of an outstanding probe. */
    private void tlpAck(TcpCb tp, Segment s, int unaBefore) {
        if (!tlpActive || Seq.lt(s.ack, tlpEndSeq)) {
            return;
        }
        if (!tlpIsRetrans || tlpDsacked) {
            // new data probed, or the original and the probe both arrived: nothing was lost
            tlpActive = false;
        } else if (Seq.gt(s.ack, tlpEndSeq)) {
            // only the probe arrived: it repaired a loss, which the window answers for
            tlpActive = false;
            tp.stats.tlpRepaired.increment();
            tp.cc.congSignal(tp, CongestionSignal.NDUPACK);
        } else if (s.ack == unaBefore && s.sackCount == 0 && s.tlen == 0 && !s.has(TcpHeader.FIN)) {
            // a pure duplicate ACK: the probe duplicated what had arrived
            tlpActive = false;
        }
    }

    // ---- timers ----------------------------------------------------------------------

    /** The reordering timer fired: what has waited long enough is lost. */
    static void reoTimeout(TcpCb tp) {
        assert tp.lockHeld();
        TcpRack r = tp.rack;
        tp.stats.rackReoTimeouts.increment();
        long lostBefore = r.map.lostBytes();
        long timeout = r.detectLoss(tp, System.nanoTime());
        if (r.map.lostBytes() > lostBefore) {
            startRecovery(tp);
        }
        TcpOutput.tcpOutput(tp);
        if (tp.state == TcpState.CLOSED || tp.sndUna == tp.sndMax) {
            return;
        }
        if (timeout > 0) {
            TcpTimer.armLossTimer(tp, TIMER_REO, timeout);
        } else if (tp.rexmtDeadline == 0 || tp.lossTimer != TIMER_RTO) {
            TcpTimer.armRexmt(tp);
        }
    }

    /**
     * The retransmission timer fired (RFC 8985 §6.3): no probe is outstanding any more, and
     * what was not SACKed is lost (all of it after a second timeout, when SACKs may have been reneged).
     */
    void onRto(TcpCb tp) {
        tlpActive = false;
        if (tp.rxtshift > 1) {
            map.forgetSacks();
        }
        for (int i = 0; i < map.size(); i++) {
            map.markLost(i);
        }
    }

    // ---- live upgrade (TcpCbTransfer) -----------------------------------------------

    Map<String, Object> exportState(TcpCb tp) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("map", map.exportState());
        m.put("xmitTs", xmitTs);
        m.put("endSeq", endSeq);
        m.put("delivered", delivered);
        m.put("rtt", rtt);
        m.put("minRtt", minRtt);
        m.put("srtt", srtt);
        m.put("fack", fack);
        m.put("reorderingSeen", reorderingSeen);
        m.put("reoWndMult", reoWndMult);
        m.put("reoWndPersist", reoWndPersist);
        m.put("dsackRoundValid", dsackRoundValid);
        m.put("dsackRound", dsackRound);
        m.put("reoExtent", reoExtent);
        m.put("tlpActive", tlpActive);
        m.put("tlpEndSeq", tlpEndSeq);
        m.put("tlpIsRetrans", tlpIsRetrans);
        m.put("tlpProbeStart", tlpProbeStart);
        m.put("tlpProbeEnd", tlpProbeEnd);
        m.put("tlpDsacked", tlpDsacked);
        m.put("timer", (int) tp.lossTimer);
        return m;
    }

    static TcpRack restore(TcpCb tp, Map<String, Object> m) throws SocketException {
        TcpRack r = new TcpRack(TcpTransfer.integer(m, "fack"));
        r.map.restore(TcpTransfer.map(m, "map"));
        r.xmitTs = TcpTransfer.longValue(m, "xmitTs");
        r.endSeq = TcpTransfer.integer(m, "endSeq");
        r.delivered = TcpTransfer.bool(m, "delivered");
        r.rtt = TcpTransfer.longValue(m, "rtt");
        r.minRtt = TcpTransfer.longValue(m, "minRtt");
        r.srtt = TcpTransfer.longValue(m, "srtt");
        r.reorderingSeen = TcpTransfer.bool(m, "reorderingSeen");
        r.reoWndMult = TcpTransfer.integer(m, "reoWndMult");
        r.reoWndPersist = TcpTransfer.integer(m, "reoWndPersist");
        r.dsackRoundValid = TcpTransfer.bool(m, "dsackRoundValid");
        r.dsackRound = TcpTransfer.integer(m, "dsackRound");
        r.reoExtent = TcpTransfer.longValue(m, "reoExtent");
        r.tlpActive = TcpTransfer.bool(m, "tlpActive");
        r.tlpEndSeq = TcpTransfer.integer(m, "tlpEndSeq");
        r.tlpIsRetrans = TcpTransfer.bool(m, "tlpIsRetrans");
        r.tlpProbeStart = TcpTransfer.integer(m, "tlpProbeStart");
        r.tlpProbeEnd = TcpTransfer.integer(m, "tlpProbeEnd");
        r.tlpDsacked = TcpTransfer.bool(m, "tlpDsacked");
        int timer = TcpTransfer.integer(m, "timer");
        if (timer < TIMER_RTO || timer > TIMER_TLP) {
            throw TcpTransfer.bad("loss timer " + timer);
        }
        tp.lossTimer = (byte) timer;
        return r;
    }
}
