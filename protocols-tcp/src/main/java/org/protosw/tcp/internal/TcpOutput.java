package org.protosw.tcp.internal;

import static org.protosw.socket.SocketConstants.IPPROTO_TCP;
import static org.protosw.tcp.internal.TcpCb.*;

import org.protosw.socket.SocketException;
import org.protosw.spi.Packet;
import org.protosw.spi.ProtoContext;
import org.protosw.spi.Route;
import org.protosw.tcp.trace.TcpTraceHook;
import org.protosw.wire.TcpHeader;
import org.protosw.wire.TcpOptions;

/**
 * FreeBSD's {@code tcp_output.c}: {@code tcp_output} (what the windows, Nagle and the flags
 * let go), the SACK recovery sending by pipe (RFC 6675 §5, {@code tcp_sack_output}'s
 * caller), {@code tcp_sndbuf_autoscale}, and {@code tcp_addoptions}: the one writer of TCP
 * options, used by data segments, SYN and SYN-ACK of a connection, the SYN-ACK the
 * {@link SynCache} sends, and the answers of a connection in TIME_WAIT.
 */
final class TcpOutput {
    private static final byte[] NO_BYTES = {};
    /** {@code struct tcpopt}'s {@code to_flags}: which options {@link #tcpAddoptions} writes. */
    static final int TOF_MSS = 1;
    static final int TOF_SCALE = 1 << 1;
    static final int TOF_SACKPERM = 1 << 2;
    static final int TOF_TS = 1 << 3;
    static final int TOF_SACK = 1 << 4;

    private TcpOutput() {
    }

    /** {@code tcp_output}: sends what the windows, Nagle and the flags allow. */
    static void tcpOutput(TcpCb tp) {
        assert tp.lockHeld();
        if (tp.state == TcpState.CLOSED || tp.state == TcpState.LISTEN) {
            return;
        }
        long now = System.nanoTime();
        if (tp.pathMtu != 0 && now - tp.pathMtuExpires >= 0) {
            raisePathMtu(tp);
        }
        if (tp.sndMax == tp.sndUna && tp.state.haveEstablished() && tp.lastSend != 0 && (now - tp.lastSend) / 1000 >= TcpTimer.currentRto(tp)) {
            tp.cc.afterIdle(tp);
        }
        tcpSndbufAutoscale(tp);
        if (tp.inSackRecovery()) {
            sackRecoveryOutput(tp);
        }
        for (int guard = 0; guard < 1024; guard++) {
            if (!outputOne(tp)) {
                break;
            }
        }
        keepRexmtRunning(tp);
    }

    /**
     * RFC 6298 §5.1: while data are in flight the retransmission timer runs, whatever sent
     * them or sends nothing now. Without this a connection could wait forever: in SACK
     * recovery with the pipe filling cwnd (a lost retransmission counted twice) nothing goes
     * out, and when the window reopened after a zero window the persist timer took the
     * timer's place, whose probes send no data in recovery (TransferMatrixTest's stall: 600 s
     * in CLOSE_WAIT with 768 bytes unacknowledged, persist re-armed every 5 s).
     */
    private static void keepRexmtRunning(TcpCb tp) {
        if (tp.sndMax == tp.sndUna || !tp.state.haveRcvdSyn() || tp.state == TcpState.TIME_WAIT) {
            return;
        }
        if (tp.rexmtDeadline == 0 || (tp.persistMode && tp.sndWnd > 0)) {
            TcpTimer.armRexmt(tp);
        }
    }

    /** One segment, or false when there is nothing to send now. */
    private static boolean outputOne(TcpCb tp) {
        assert tp.lockHeld();
        boolean synState = tp.state == TcpState.SYN_SENT || tp.state == TcpState.SYN_RECEIVED;
        int sackLimit = 0;
        boolean resendingAroundSacks = !tp.sackBoard.isEmpty() && Seq.lt(tp.sndNxt, tp.sndMax) && !synState;
        if (resendingAroundSacks) {
            // going back after a timeout: what the peer SACKed need not be sent again
            int skip = tp.sackBoard.skipSacked(tp.sndNxt);
            tp.sndNxt = Seq.lt(skip, tp.sndMax) ? skip : tp.sndMax;
            sackLimit = tp.sackBoard.nextSackedStart(tp.sndNxt, tp.sndMax);
            resendingAroundSacks = Seq.lt(tp.sndNxt, tp.sndMax);
        }
        int off = tp.sndNxt - tp.sndUna;
        long cwnd = tp.cwnd;
        if (tp.rack != null) {
            // what the peer SACKed has left the network (RFC 6675's pipe, Linux's in-flight):
            // a segment held back by reordering does not stop the flow behind it
            cwnd += tp.rack.map.sackedBytes();
        }
        long sendwin = Math.min(tp.sndWnd, cwnd);
        int avail = (tp.snd == null || synState) ? 0 : tp.snd.cc();
        int thflags = switch (tp.state) {
            case SYN_SENT -> TcpHeader.SYN;
            case SYN_RECEIVED -> TcpHeader.SYN | TcpHeader.ACK;
            default -> TcpHeader.ACK;
        };
        if (synState) {
            if (tp.sndNxt != tp.iss) {
                thflags &= ~TcpHeader.SYN;
                if (tp.state == TcpState.SYN_SENT) {
                    return false;
                }
            }
            sendwin = 0;
        }
        if ((tp.flags & F_FORCEDATA) != 0 && sendwin == 0 && off < avail) {
            sendwin = 1;
        }
        long lenL = Math.min(avail, sendwin) - off;
        int len;
        if (lenL < 0) {
            len = 0;
            if (sendwin == 0 && !synState && off > 0 && off <= avail) {
                // the window closed under data in flight: back off and probe; an answer to
                // a window probe leaves the persist backoff running (RFC 1122 §4.2.2.17)
                if (!tp.persistMode) {
                    TcpTimer.stopRexmt(tp);
                    tp.rxtshift = 0;
                }
                tp.sndNxt = tp.sndUna;
                off = 0;
            }
        } else {
            len = (int) Math.min(lenL, Integer.MAX_VALUE);
        }
        if (resendingAroundSacks && len > sackLimit - tp.sndNxt) {
            len = Math.max(0, sackLimit - tp.sndNxt);
        }
        if (tp.inSackRecovery()) {
            // data in SACK recovery goes out by pipe (sackRecoveryOutput); here only ACKs and updates
            len = 0;
        }
        int optlen = optionsLength(tp, thflags);
        int maxData = Math.max(1, effectiveMss(tp) - optlen);
        if (len > maxData) {
            len = maxData;
        }
        // the FIN follows the last byte of the stream: set it on the segment that ends there
        boolean fin = tp.state.finQueued() && !synState && off + len == avail;
        if (fin) {
            thflags |= TcpHeader.FIN;
        }

        boolean send = false;
        if (len > 0) {
            boolean idle = tp.sndMax == tp.sndUna;
            if (len >= tp.maxseg || len == maxData) {
                send = true;
            } else if ((idle || (tp.flags & F_NODELAY) != 0) && off + len >= avail) {
                send = true;
            } else if ((tp.flags & F_FORCEDATA) != 0) {
                send = true;
            } else if (tp.maxSndWnd > 0 && len >= tp.maxSndWnd / 2) {
                send = true;
            } else if (tp.snd != null && tp.snd.hiwat() < tp.maxseg && off + len >= tp.snd.cc() && tp.snd.cc() >= tp.snd.hiwat() / 2) {
                // a send buffer smaller than one segment (lo0's 64 KiB MSS) can never fill a
                // segment: once it is half full and this segment takes all of it, waiting for
                // more would only wait for the peer's delayed ACK, every time
                send = true;
            } else if (Seq.lt(tp.sndNxt, tp.sndMax)) {
                send = true;
            }
        }
        boolean winUpdate = false;
        if (!send && tp.state.haveEstablished() && !tp.state.haveRcvdFin() && tp.rcv != null) {
            long win = tp.rcvSpace();
            long advertised = tp.rcvAdv - tp.rcvNxt;
            long adv = win - advertised;
            // "half the buffer" is half of what the window can say: a buffer grown past what
            // the scale can advertise would otherwise never earn an update (a stall while the
            // sender waits, its window below one segment)
            long maxWin = Math.min(tp.rcv.hiwat(), (long) TcpProtocol.TCP_MAXWIN << tp.rcvScale);
            if (adv > 0 && ((advertised == 0 && adv >= tp.maxseg) || adv >= 2L * tp.maxseg || 2 * adv >= maxWin)) {
                send = true;
                winUpdate = true;
            }
        }
        if ((tp.flags & F_ACKNOW) != 0) {
            send = true;
        }
        if ((thflags & TcpHeader.SYN) != 0) {
            send = true;
        }
        if (fin) {
            send = true;
        }
        if (!send) {
            if (avail > off && !tp.rexmtTimer.pending() && tp.rexmtDeadline == 0 && tp.state.haveEstablished()) {
                tp.rxtshift = 0;
                TcpTimer.tcpSetpersist(tp);
            }
            return false;
        }
        if (len == 0 && (thflags & (TcpHeader.SYN | TcpHeader.FIN)) == 0 && !tp.persistMode && Seq.lt(tp.sndNxt, tp.sndMax)) {
            // an ACK without data carries the next new sequence number, not the one a
            // retransmission went back to (tcp_output's snd_max): the peer may hold it all
            // and would take SND.NXT for an old duplicate, answering each with an ACK of its
            // own. In persist SND.MAX may lie past the window edge, so there SND.NXT stays.
            transmitAck(tp, tp.sndMax);
        } else {
            transmit(tp, thflags, len, off);
        }
        if (winUpdate && len == 0 && (tp.flags & F_ACKNOW) == 0) {
            tp.stats.sndwinup.increment();
        }
        return true;
    }

    /**
     * RFC 6675 §5 step (C): while cwnd - pipe leaves room for a segment, send what NextSeg()
     * picks: a lost hole, then new data, then any unretransmitted hole, then the rescue segment.
     */
    private static void sackRecoveryOutput(TcpCb tp) {
        assert tp.lockHeld();
        if (tp.rack != null) {
            rackRecoveryOutput(tp);
            return;
        }
        for (int guard = 0; guard < 1024; guard++) {
            long pipe = tp.sackBoard.pipe(tp.sndUna, tp.sndMax, tp.maxseg);
            if (tp.cwnd - pipe < tp.maxseg) {
                return;
            }
            if (tp.sackBoard.nextHole(tp.sndUna, tp.maxseg, true, tp.holeOut)) {
                if (!sackSend(tp, tp.holeOut[0], tp.holeOut[1], true)) {
                    return;
                }
                continue;
            }
            if (sendNewSegment(tp)) {
                continue;
            }
            if (tp.sackBoard.nextHole(tp.sndUna, tp.maxseg, false, tp.holeOut)) {
                if (!sackSend(tp, tp.holeOut[0], tp.holeOut[1], true)) {
                    return;
                }
                continue;
            }
            if (tp.sackBoard.rescue(tp.sndUna, tp.sndMax, tp.recover, tp.maxseg, tp.holeOut)) {
                sackSend(tp, tp.holeOut[0], tp.holeOut[1], false);
            }
            return;
        }
    }

    /**
     * Recovery with RACK: while cwnd - pipe leaves room for a segment, what RACK deemed lost,
     * then new data. No rescue retransmission: a lost tail is the loss probe's to find.
     */
    private static void rackRecoveryOutput(TcpCb tp) {
        assert tp.lockHeld();
        TcpRack rack = tp.rack;
        int from = 0;
        for (int guard = 0; guard < 1024; guard++) {
            if (tp.cwnd - rack.pipe(tp) < tp.maxseg) {
                return;
            }
            int i = rack.firstLost(from);
            if (i >= 0) {
                if (!sackSend(tp, rack.map.start(i), rack.map.end(i), true)) {
                    return;
                }
                from = i;
                continue;
            }
            if (!sendNewSegment(tp)) {
                return;
            }
        }
    }

    /** One segment of data never sent, if the peer's window has room; false when it has not or there is none. */
    static boolean sendNewSegment(TcpCb tp) {
        assert tp.lockHeld();
        int avail = tp.snd == null ? 0 : tp.snd.cc();
        int off = tp.sndMax - tp.sndUna;
        if (off >= avail || tp.sndWnd <= off) {
            return false;
        }
        int onxt = tp.sndNxt;
        tp.sndNxt = tp.sndMax;
        int len = (int) Math.min(Math.min(avail - off, tp.sndWnd - off), Math.max(1, effectiveMss(tp) - optionsLength(tp, TcpHeader.ACK)));
        int thflags = TcpHeader.ACK;
        if (tp.state.finQueued() && off + len == avail) {
            thflags |= TcpHeader.FIN;
        }
        transmit(tp, thflags, len, off);
        if (Seq.gt(onxt, tp.sndNxt)) {
            tp.sndNxt = onxt;
        }
        return true;
    }

    /** Retransmits up to one segment of the unSACKed range [from, end); false when it holds no data. */
    static boolean sackSend(TcpCb tp, int from, int end, boolean advanceHighRxt) {
        assert tp.lockHeld();
        int len = resendLength(tp, from, end);
        if (!resend(tp, from, end)) {
            return false;
        }
        tp.stats.sackRexmits.increment();
        tp.stats.sackRexmitBytes.add(len);
        tp.dsackUndo.retransmitted(from, from + len);
        if (advanceHighRxt) {
            tp.sackBoard.retransmitted(from + len);
        }
        return true;
    }

    /** Sends again up to one segment of [from, end); false when it holds no data. */
    static boolean resend(TcpCb tp, int from, int end) {
        assert tp.lockHeld();
        int len = resendLength(tp, from, end);
        if (len <= 0) {
            return false;
        }
        int onxt = tp.sndNxt;
        tp.sndNxt = from;
        transmit(tp, TcpHeader.ACK, len, from - tp.sndUna);
        if (Seq.gt(onxt, tp.sndNxt)) {
            tp.sndNxt = onxt;
        }
        return true;
    }

    private static int resendLength(TcpCb tp, int from, int end) {
        int avail = tp.snd == null ? 0 : tp.snd.cc();
        int len = Math.min(end - from, avail - (from - tp.sndUna));
        return Math.min(len, Math.max(1, effectiveMss(tp) - optionsLength(tp, TcpHeader.ACK)));
    }

    /**
     * {@code net.inet.tcp.sendbuf_auto}: the send buffer is nearly full and the windows would
     * take everything in it that is unsent: the buffer is the limit, so grow it by
     * {@code sendbuf_inc} (up to {@code sendbuf_max}) and let the writer queue more.
     */
    private static void tcpSndbufAutoscale(TcpCb tp) {
        assert tp.lockHeld();
        if (tp.tcp.sendbufAuto.get() == 0 || tp.snd == null || tp.rcv == null || !tp.socketAlive() || !tp.state.haveEstablished()) {
            return;
        }
        int hiwat = tp.snd.hiwat();
        int used = tp.snd.cc();
        long max = tp.tcp.sendbufMax.get();
        long sendwin = Math.min(tp.sndWnd, tp.cwnd);
        if (tp.sndWnd / 4 * 5 >= hiwat && used >= hiwat / 8 * 7 && hiwat < max
                && sendwin >= used - (tp.sndNxt - tp.sndUna)) {
            tp.so.soreserve((int) Math.min(hiwat + tp.tcp.sendbufInc.get(), max), tp.rcv.hiwat());
            if (tp.snd.hiwat() > hiwat) {
                tp.stats.sndbufGrown.increment();
                tp.so.sowwakeup();
            }
        }
    }

    /**
     * RFC 1191 §6.3: a lowered path MTU is not kept for ever, the path may have widened. Once
     * the estimate has expired (and no other connection renewed it) the MSS returns to what
     * the handshake agreed; a path still narrow answers with fragmentation needed again.
     */
    private static void raisePathMtu(TcpCb tp) {
        assert tp.lockHeld();
        TcpHostCache hc = tp.tcp.hostCache();
        long renewed = hc.expires(tp.faddr);
        if (renewed != 0) {
            tp.pathMtuExpires = renewed;
            return;
        }
        int mss = tp.negotiatedMss;
        if (tp.userMss > 0) {
            mss = Math.min(mss, tp.userMss);
        }
        tp.maxseg = mss - (tp.tsOk() ? TSOPT_LEN : 0);
        tp.pathMtu = 0;
        tp.pathMtuExpires = 0;
        tp.stats.mturaised.increment();
    }

    /**
     * DF on every segment while path-MTU discovery is on, except when the MSS is already at
     * the floor: a path narrower than that gets fragments rather than nothing (as FreeBSD).
     */
    private static int ipFlags(TcpCb tp) {
        assert tp.lockHeld();
        return tp.tcp.pathMtuDiscovery.get() != 0 && tp.maxseg + (tp.tsOk() ? TSOPT_LEN : 0) > tp.tcp.minmss.get() ? ProtoContext.IP_DF : 0;
    }

    private static int effectiveMss(TcpCb tp) {
        assert tp.lockHeld();
        int eff = tp.maxseg + (tp.tsOk() ? TSOPT_LEN : 0);
        return Math.max(eff, 64);
    }

    private static int optionsLength(TcpCb tp, int thflags) {
        assert tp.lockHeld();
        if ((thflags & TcpHeader.SYN) != 0) {
            return 20;
        }
        int n = tp.tsOk() ? TSOPT_LEN : 0;
        if ((tp.flags & F_SACK_PERMIT) != 0 && (tp.dsackPending || !tp.reass.isEmpty())) {
            int blocks = Math.min(tp.reass.segments() + (tp.dsackPending ? 1 : 0), (40 - n - 2) / 8);
            n += 4 + 8 * Math.min(blocks, TcpOptions.MAX_SACK_BLOCKS);
        }
        return n;
    }

    /**
     * Whether segments to the peer leave through the loopback interface, looked up once: if
     * the route changes, the core computes the checksum at the other interface anyway.
     */
    private static boolean loopbackRoute(TcpCb tp) {
        assert tp.lockHeld();
        if (tp.routeChecked != tp.faddr) {
            Route r = tp.faddr == 0 ? null : tp.ctx.routeLookup(tp.faddr);
            tp.loopRoute = r != null && r.ifp() != null && r.ifp().isLoopback();
            tp.routeChecked = tp.faddr;
        }
        return tp.loopRoute;
    }

    /** Builds one segment at {@code snd_nxt} with {@code len} bytes of the send buffer from {@code off}. */
    private static void transmit(TcpCb tp, int thflags, int len, int off) {
        assert tp.lockHeld();
        transmit(tp, thflags, len, off, tp.sndNxt);
    }

    /** One segment: {@code len} bytes from {@code off} of the send buffer, its header numbered {@code seq}. */
    private static void transmit(TcpCb tp, int thflags, int len, int off, int seq) {
        assert tp.lockHeld();
        boolean syn = (thflags & TcpHeader.SYN) != 0;
        int tof;
        int tsEcr = 0;
        int nsack = 0;
        if (syn) {
            // what our SYN offers, and what a SYN-ACK answers of the peer's offer
            tof = TOF_MSS;
            if ((tp.flags & F_REQ_SCALE) != 0 && (tp.state == TcpState.SYN_SENT || (tp.flags & F_RCVD_SCALE) != 0)) {
                tof |= TOF_SCALE;
            }
            if ((tp.flags & F_REQ_SACK) != 0 && (tp.state == TcpState.SYN_SENT || (tp.flags & F_SACK_PERMIT) != 0)) {
                tof |= TOF_SACKPERM;
            }
            if ((tp.flags & F_REQ_TSTMP) != 0 && (tp.state == TcpState.SYN_SENT || (tp.flags & F_RCVD_TSTMP) != 0)) {
                tof |= TOF_TS;
                tsEcr = tp.state == TcpState.SYN_RECEIVED ? tp.tsRecent : 0;
            }
        } else {
            tof = 0;
            if (tp.tsOk()) {
                tof |= TOF_TS;
                tsEcr = tp.tsRecent;
            }
            if ((tp.flags & F_SACK_PERMIT) != 0 && (tp.dsackPending || !tp.reass.isEmpty())) {
                int max = Math.min((40 - ((tof & TOF_TS) != 0 ? TSOPT_LEN : 0) - 2) / 8, TcpOptions.MAX_SACK_BLOCKS);
                nsack = TcpSack.sackBlocks(tp, max);
                if (nsack > 0) {
                    tof |= TOF_SACK;
                }
            }
        }
        // one clock reading: RACK tells by it which transmission a timestamp echo answers
        long now = System.nanoTime();
        byte[] ob = tp.optBuf;
        int optlen = tcpAddoptions(ob, tof, tp.ourMss, tp.requestRcvScale, (tof & TOF_TS) != 0 ? tp.tsAt(now) : 0, tsEcr,
                tp.sackOut, nsack);
        int hlen = TcpHeader.MIN_LENGTH + optlen;

        long win = tp.rcvSpace();
        if (win < (tp.rcv == null ? 0 : tp.rcv.hiwat()) / 4 && win < tp.maxseg) {
            win = 0;
        }
        long advertised = tp.rcvAdv - tp.rcvNxt;
        if (win < advertised) {
            win = advertised;
        }
        if (!syn) {
            // rounded up to what the scale can say: rounding down would take the right edge
            // back from what was offered, and a sender that filled it would see a window
            // closing under data in flight and resend what already arrived
            long unit = (1L << tp.rcvScale) - 1;
            win = (win + unit) & ~unit;
        }
        int wfield = syn ? (int) Math.min(win, TcpProtocol.TCP_MAXWIN)
                : (int) Math.min(win >> tp.rcvScale, TcpProtocol.TCP_MAXWIN);

        Packet p = tp.ctx.allocate(hlen + len);
        byte[] b = p.array();
        int o = p.offset();
        System.arraycopy(ob, 0, b, o + TcpHeader.MIN_LENGTH, optlen);
        if (len > 0) {
            tp.snd.copyOut(off, b, o + hlen, len);
        }
        boolean ack = (thflags & TcpHeader.ACK) != 0;
        if (len > 0 && (off + len == (tp.snd == null ? 0 : tp.snd.cc()))) {
            thflags |= TcpHeader.PSH;
        }
        TcpHeader th = tp.oth.wrap(b, o, hlen + len);
        th.setSrcPort(tp.lport).setDstPort(tp.fport).setSeq(seq).setAck(ack ? tp.rcvNxt : 0).setHeaderLength(hlen)
                .setFlags(thflags).setWindow(wfield).setUrgentPointer(0).setChecksum(0);
        if (loopbackRoute(tp)) {
            // lo0 offloads the checksum: the core fills it in if a capture or pipe needs it
            p.addFlags(Packet.M_CSUM_PENDING);
        } else {
            th.fillChecksum(tp.laddr, tp.faddr);
        }
        // the view must not keep the packet's buffer alive once it has left (an idle
        // connection would hold its last segment)
        tp.oth.wrap(NO_BYTES, 0, 0);

        // bookkeeping before the packet leaves (a loopback peer may answer at once)
        boolean rexmit = Seq.lt(tp.sndNxt, tp.sndMax);
        if (len > 0) {
            if (rexmit) {
                tp.stats.sndrexmitpack.increment();
                tp.stats.sndrexmitbyte.add(len);
                tp.totalRexmits++;
            } else {
                tp.stats.sndpack.increment();
                tp.stats.sndbyte.add(len);
            }
            if ((tp.flags & F_FORCEDATA) != 0 && tp.sndWnd == 0) {
                tp.stats.sndprobe.increment();
            }
        } else if (syn || (thflags & TcpHeader.FIN) != 0) {
            tp.stats.sndctrl.increment();
        } else {
            tp.stats.sndacks.increment();
        }
        tp.stats.sndtotal.increment();
        if (len > 0 && tp.rack != null) {
            tp.rack.sent(seq, seq + len, now);
        }
        int startSeq = tp.sndNxt;
        if (syn) {
            tp.sndNxt++;
        }
        tp.sndNxt += len;
        if ((thflags & TcpHeader.FIN) != 0) {
            tp.sndNxt++;
        }
        if (Seq.gt(tp.sndNxt, tp.sndMax)) {
            tp.sndMax = tp.sndNxt;
            if ((tp.flags & F_RTTING) == 0 && !tp.tsOk()) {
                tp.flags |= F_RTTING;
                tp.rtseq = startSeq;
                tp.rttStart = now;
                tp.stats.segstimed.increment();
            }
        }
        if (tp.sndNxt != tp.sndUna && (len > 0 || syn || (thflags & TcpHeader.FIN) != 0)
                && !((tp.flags & F_FORCEDATA) != 0 && tp.sndWnd == 0)) {
            if (tp.rack != null && len > 0 && !rexmit) {
                TcpRack.newDataSent(tp);
            } else if (tp.rexmtDeadline == 0 || tp.persistMode) {
                TcpTimer.armRexmt(tp);
            }
        }
        if (win > 0 && Seq.gt(tp.rcvNxt + (int) win, tp.rcvAdv)) {
            tp.rcvAdv = tp.rcvNxt + (int) win;
        }
        tp.rcvWnd = win;
        if (ack) {
            tp.lastAckSent = tp.rcvNxt;
        }
        tp.flags &= ~(F_ACKNOW | F_DELACK);
        if (tp.delackDeadline != 0) {
            tp.delackDeadline = 0;
            tp.delackTimer.stop();
        }
        tp.lastSend = now;
        TcpTraceHook[] hooks = tp.tcp.trace.hooks;
        if (hooks != null) {
            tp.tcp.trace.call(hooks, TcpTraceHook.Direction.OUT, tp, seq, ack ? tp.rcvNxt : 0, thflags, len, rexmit && len > 0);
        }
        try {
            tp.ctx.ipOutput(p, tp.laddr, tp.faddr, IPPROTO_TCP, -1, 0, ipFlags(tp));
        } catch (SocketException e) {
            // lost like any segment: the retransmission timer covers it
            tp.stats.outerrors.increment();
        }
    }

    /**
     * A segment without data, SYN or FIN at sequence {@code seq} (a pure ACK at SND.MAX, a
     * keepalive probe below SND.UNA): nothing of the send sequence space moves.
     */
    static void transmitAck(TcpCb tp, int seq) {
        assert tp.lockHeld();
        transmit(tp, TcpHeader.ACK, 0, 0, seq);
    }

    /**
     * {@code tcp_addoptions}: writes the options {@code tof} names into {@code ob} and returns
     * their length, padded to a multiple of 4 with EOL. The layout is the one every segment
     * of ours has: MSS, NOP and window scale; SACK-permitted and timestamps share a 32-bit
     * word pair (NOP NOP before whichever stands alone); then NOP NOP and the SACK blocks,
     * {@code nsack} pairs of edges from {@code sack}. Allocates nothing: the SYN cache, a
     * connection's SYN and data segments, and TIME_WAIT's ACKs all come through here.
     */
    static int tcpAddoptions(byte[] ob, int tof, int mss, int wscale, int tsVal, int tsEcr, int[] sack, int nsack) {
        int optlen = 0;
        if ((tof & TOF_MSS) != 0) {
            optlen += TcpOptions.writeMss(ob, optlen, mss);
        }
        if ((tof & TOF_SCALE) != 0) {
            optlen += TcpOptions.writeNop(ob, optlen);
            optlen += TcpOptions.writeWindowScale(ob, optlen, wscale);
        }
        if ((tof & TOF_SACKPERM) != 0) {
            if ((tof & TOF_TS) == 0) {
                optlen += TcpOptions.writeNop(ob, optlen);
                optlen += TcpOptions.writeNop(ob, optlen);
            }
            optlen += TcpOptions.writeSackPermitted(ob, optlen);
        } else if ((tof & TOF_TS) != 0) {
            optlen += TcpOptions.writeNop(ob, optlen);
            optlen += TcpOptions.writeNop(ob, optlen);
        }
        if ((tof & TOF_TS) != 0) {
            optlen += TcpOptions.writeTimestamp(ob, optlen, tsVal, tsEcr);
        }
        if ((tof & TOF_SACK) != 0 && nsack > 0) {
            optlen += TcpOptions.writeNop(ob, optlen);
            optlen += TcpOptions.writeNop(ob, optlen);
            optlen += TcpOptions.writeSack(ob, optlen, sack, nsack);
        }
        return TcpOptions.pad(ob, 0, optlen);
    }
}
