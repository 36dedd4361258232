package org.protosw.tcp.internal;

import static org.protosw.tcp.internal.TcpCb.*;

import org.protosw.tcp.cc.AckType;
import org.protosw.tcp.cc.CongestionSignal;

/**
 * FreeBSD's {@code tcp_sack.c}: the sender's use of the SACK blocks an ACK carries
 * ({@code tcp_sack_doack} onto the {@link SackScoreboard}, D-SACK detection and the undo it
 * allows, RFC 2883 / RFC 3708), entering loss recovery from the scoreboard (RFC 6675 §5),
 * and the receiver's blocks: the D-SACK to report ({@code tcp_update_dsack_list}) and the
 * blocks {@link TcpOutput#tcpAddoptions} writes, from the reassembly queue
 * ({@code tcp_update_sack_list}).
 */
final class TcpSack {
    private TcpSack() {
    }

    /**
     * {@code tcp_sack_doack}: the SACK blocks of an ACK. A D-SACK first block is a report of
     * a duplicate, the others go onto the scoreboard.
     */
    static void tcpSackDoack(TcpCb tp, Segment s) {
        assert tp.lockHeld();
        int n = 0;
        int una = Seq.gt(s.ack, tp.sndUna) ? s.ack : tp.sndUna;
        int first = 0;
        if (isDsack(s)) {
            first = 1;
            dsackReceived(tp, s.sack[0], s.sack[1]);
            tp.dsackOnlyAck = s.sackCount == 1;
        }
        for (int i = first; i < s.sackCount; i++) {
            int l = s.sack[2 * i];
            int r = s.sack[2 * i + 1];
            // RFC 2018: only blocks above the cumulative ACK and inside what we sent count
            if (Seq.lt(l, r) && Seq.gt(r, tp.sndUna) && Seq.leq(r, tp.sndMax)) {
                n++;
                tp.sackBoard.add(Seq.gt(l, una) ? l : una, r);
            }
        }
        tp.sackBlocksSeen += n;
    }

    /**
     * RFC 2883 §4: the first block reports a duplicate when it lies below the cumulative ACK,
     * or inside the second block.
     */
    private static boolean isDsack(Segment s) {
        int l = s.sack[0];
        int r = s.sack[1];
        if (!Seq.lt(l, r)) {
            return false;
        }
        if (Seq.lt(l, s.ack)) {
            return true;
        }
        return s.sackCount > 1 && Seq.geq(l, s.sack[2]) && Seq.leq(r, s.sack[3]);
    }

    /**
     * A D-SACK: counted, never put on the scoreboard. When it reports the last retransmission
     * of the latest recovery episode not yet reported, every one of them was unnecessary: the
     * segments had been reordered, not lost (RFC 3708), and the window cut comes back.
     */
    private static void dsackReceived(TcpCb tp, int l, int r) {
        assert tp.lockHeld();
        tp.stats.dsackRcvd.increment();
        tp.stats.dsackBytes.add(r - l);
        if (tp.rack != null) {
            tp.rack.dsack(tp, l, r);
        }
        if (tp.dsackUndo.duplicate(l, r)) {
            undoSpuriousFastRetransmit(tp);
        }
    }

    /**
     * The window, ssthresh and the algorithm's state go back to what the episode found
     * (never below what they are now: the window may have grown since), as
     * {@link TcpInput#undoSpuriousRto} does for a timeout (RFC 9438 §4.9 for the algorithm).
     */
    private static void undoSpuriousFastRetransmit(TcpCb tp) {
        assert tp.lockHeld();
        tp.stats.sndrexmitbadfast.increment();
        TcpInput.undoCongestionSignal(tp, tp.dsackUndo.cwndPrev(), tp.dsackUndo.ssthreshPrev());
        tp.dsackUndo.forget();
    }

    /**
     * RFC 6675 §5: with SACK, a duplicate ACK in recovery only updates the scoreboard (the
     * sending below is clocked by pipe, not by inflating cwnd); outside recovery the third one,
     * or a scoreboard that already shows the first segment lost, starts a recovery episode.
     * With RACK the duplicates are not counted for loss: {@link TcpRack#onAck} decides by time.
     */
    static void sackDupAck(TcpCb tp) {
        assert tp.lockHeld();
        if ((tp.flags & F_FASTRECOVERY) != 0) {
            return;
        }
        if (tp.rack != null) {
            // no limited transmit either: the window counts SACKed data out of flight (tcp_output)
            tp.cc.ackReceived(tp, AckType.DUPACK);
            return;
        }
        if (tp.dupacks < SackScoreboard.DUP_THRESH && !tp.sackBoard.isLost(tp.sndUna, tp.maxseg)) {
            tp.cc.ackReceived(tp, AckType.DUPACK);
            TcpInput.limitedTransmit(tp);
            return;
        }
        // RFC 6675 §5: not while the ACK lies inside the last episode (HighACK <= RecoveryPoint,
        // the last byte sent then); an ACK of all it sent may start the next one at once
        if ((tp.flags & F_RECOVER_VALID) != 0 && Seq.lt(tp.sndUna, tp.recover)) {
            return;
        }
        enterRecovery(tp);
        // RFC 6675 §5 (4.3): the first segment goes out at once, whatever pipe says
        int end = tp.sndMax;
        if (tp.sackBoard.nextHole(tp.sndUna, tp.maxseg, false, tp.holeOut)) {
            end = tp.holeOut[1];
        }
        TcpOutput.sackSend(tp, tp.sndUna, end, true);
    }

    /** A SACK recovery episode begins (RFC 6675 §5 (4), found by the scoreboard or by RACK): the window is cut once. */
    static void enterRecovery(TcpCb tp) {
        assert tp.lockHeld();
        tp.stats.sndrexmitfast.increment();
        tp.stats.recoveryEpisodes.increment();
        tp.stats.sackRecoveryEpisodes.increment();
        tp.dsackUndo.start(tp.cwnd, tp.ssthresh);
        tp.cc.congSignal(tp, CongestionSignal.NDUPACK);
        tp.flags |= F_FASTRECOVERY | F_RECOVER_VALID;
        tp.flags &= ~F_RTTING;
        tp.recover = tp.sndMax;
        tp.sackBoard.startRecovery(tp.sndUna);
        TcpTimer.stopRexmt(tp);
    }

    /**
     * RFC 2883: data that arrived twice is reported to the sender in the first SACK block of
     * the ACK it earns, sent at once, so the sender can tell an unnecessary retransmission.
     */
    static void tcpUpdateDsackList(TcpCb tp, int left, int right) {
        assert tp.lockHeld();
        if ((tp.flags & F_SACK_PERMIT) == 0 || tp.tcp.dsack.get() == 0) {
            return;
        }
        tp.dsackLeft = left;
        tp.dsackRight = right;
        tp.dsackPending = true;
        tp.flags |= F_ACKNOW;
    }

    /**
     * The SACK blocks of the next segment into {@code tp.sackOut}, at most {@code max}: the
     * pending D-SACK first (reported once), then the reassembly queue's blocks, the most
     * recent first ({@code tcp_update_sack_list}). Returns how many.
     */
    static int sackBlocks(TcpCb tp, int max) {
        assert tp.lockHeld();
        int d = 0;
        if (tp.dsackPending && max > 0) {
            tp.sackOut[0] = tp.dsackLeft;
            tp.sackOut[1] = tp.dsackRight;
            d = 1;
            tp.dsackPending = false;
            tp.stats.dsackSent.increment();
        }
        int n = tp.reass.sackBlocks(tp.sackOut, d, max);
        if (n + d > 0) {
            tp.stats.sackSndBlocks.add(n);
        }
        return n + d;
    }
}
