package org.protosw.tcp.internal;

import static org.protosw.tcp.internal.TcpCb.*;

import org.protosw.socket.Errno;
import org.protosw.spi.InPcb;
import org.protosw.spi.Packet;
import org.protosw.spi.ProtoContext;
import org.protosw.spi.ProtoSocket;
import org.protosw.tcp.cc.AckType;
import org.protosw.tcp.cc.CongestionSignal;
import org.protosw.tcp.trace.TcpTraceHook;
import org.protosw.wire.TcpHeader;
import org.protosw.wire.WireStatus;

/**
 * FreeBSD's {@code tcp_input.c}: {@code tcp_input} (checks and demultiplexing),
 * {@code tcp_do_segment} for a connection, the listener's part of {@code tcp_input} that
 * hands SYNs and handshake-completing ACKs to the {@link SynCache}, one negotiation of a
 * SYN's options for both ends of a handshake, {@code tcp_mssopt}, {@code tcp_mss_update},
 * {@code tcp_xmit_timer} (RTT, RFC 6298), {@code tcp_autorcvbuf}, ACK processing with the
 * Eifel undo of a spurious timeout, and {@code tcp_dropwithreset}.
 */
final class TcpInput {
    private TcpInput() {
    }

    /** {@code tcp_input}: the IP layer hands a segment whose data start at the IPv4 header; never throws. */
    static void tcpInput(TcpProtocol tcp, Packet p, int hlen) {
        tcp.stats().rcvtotal.increment();
        try {
            input(tcp, p, hlen);
        } catch (RuntimeException e) {
            tcp.inputError(e);
        }
    }

    /** The checks of {@code tcp_input}, then the lookup and the connection's {@link #tcpDoSegment}. */
    private static void input(TcpProtocol tcp, Packet p, int hlen) {
        TcpStats stats = tcp.stats();
        ProtoContext ctx = tcp.context();
        int len = p.length() - hlen;
        if (hlen < 20 || len < TcpHeader.MIN_LENGTH) {
            stats.rcvshort.increment();
            return;
        }
        Segment s = tcp.scratch();
        TcpHeader th = s.th.wrap(p.array(), p.offset() + hlen, len);
        int src = p.get32(12);
        int dst = p.get32(16);
        // the checksum first, as tcp_input does: a damaged header is damage, whatever field it hit
        if ((p.flags() & Packet.M_CSUM_OK) == 0 && !th.checksumValid(src, dst)) {
            stats.rcvbadsum.increment();
            return;
        }
        WireStatus st = th.check();
        if (st != WireStatus.OK) {
            if (st == WireStatus.TRUNCATED && len >= TcpHeader.MIN_LENGTH) {
                stats.rcvbadoff.increment();
            } else if (st == WireStatus.BAD_DATA_OFFSET) {
                stats.rcvbadoff.increment();
            } else {
                stats.rcvshort.increment();
            }
            return;
        }
        if ((p.flags() & (Packet.M_BCAST | Packet.M_MCAST)) != 0 || (dst >>> 28) == 0xe || ctx.isBroadcast(dst)
                || src == 0 || (src >>> 28) == 0xe) {
            // TCP is unicast only: RFC 1122 §4.2.3.10
            return;
        }
        if (th.options(s.opts).parse() != WireStatus.OK) {
            // what came before the bad option stands; the segment itself is still good data
            stats.rcvbadopt.increment();
        }
        s.p = p;
        s.src = src;
        s.dst = dst;
        s.sport = th.srcPort();
        s.dport = th.dstPort();
        s.seq = th.seq();
        s.ack = th.ack();
        s.flags = th.flags() & 0xff;
        s.win = th.window();
        s.dataOff = th.payloadOffset();
        s.tlen = th.payloadLength();
        s.readOptions();
        if (s.sackCount > 0) {
            stats.sackRcvBlocks.add(s.sackCount);
        }
        if (s.sport == 0 || s.dport == 0) {
            return;
        }
        for (int attempt = 0; attempt < 2; attempt++) {
            InPcb<TcpCb> inp = tcp.table().lookup(src, s.sport, dst, s.dport, true);
            TcpCb cb = inp == null ? null : inp.owner();
            if (cb == null) {
                break;
            }
            int r = tcpDoSegment(cb, s);
            if (r == RELOOKUP) {
                // a TIME_WAIT connection gave way to a new SYN: look again for the listener
                continue;
            }
            if (r == HANDLED) {
                s.p = null;
                return;
            }
            break;
        }
        noSocket(tcp, s);
        s.p = null;
    }

    /** RFC 9293 §3.10.7.1: a segment for no connection is answered by a RST unless it is one. */
    private static void noSocket(TcpProtocol tcp, Segment s) {
        tcp.stats().noport.increment();
        if (s.has(TcpHeader.RST)) {
            return;
        }
        long bh = tcp.blackhole.get();
        if (bh == 2 || (bh == 1 && s.has(TcpHeader.SYN))) {
            return;
        }
        tcpDropwithreset(tcp, s);
    }

    /** {@code tcp_dropwithreset}: the RST that answers {@code s} (RFC 9293 §3.10.7.1). */
    static void tcpDropwithreset(TcpProtocol tcp, Segment s) {
        if (s.has(TcpHeader.ACK)) {
            tcp.respond(s.dst, s.dport, s.src, s.sport, s.ack, 0, TcpHeader.RST);
        } else {
            int seglen = s.tlen + (s.has(TcpHeader.SYN) ? 1 : 0) + (s.has(TcpHeader.FIN) ? 1 : 0);
            tcp.respond(s.dst, s.dport, s.src, s.sport, 0, s.seq + seglen, TcpHeader.RST | TcpHeader.ACK);
        }
    }

    /**
     * What the listener path needs of a listening connection, taken under its lock: the
     * SYN cache works without it (FreeBSD keeps the listener locked through
     * {@code syncache_expand}; here {@code sonewconn} and the new connection's own lock come
     * in between), so a listener whose options change or which closes meanwhile is seen as
     * it was when the segment arrived, whole. {@code so} is null once the socket is gone.
     */
    record Listener(TcpProtocol tcp, ProtoSocket so, int userMss, int inheritedFlags, CcAlgo ccAlgo, int rcvHiwat) {
        static Listener of(TcpCb tp) {
            assert tp.lockHeld();
            ProtoSocket so = tp.so;
            return new Listener(tp.tcp, so, tp.userMss, tp.flags & F_NODELAY, tp.ccAlgo, so == null ? 0 : so.rcv().hiwat());
        }
    }

    /**
     * {@code tcp_do_segment} for this connection (the listener's share of {@code tcp_input}
     * for a listening one). Returns HANDLED, NOSOCKET or RELOOKUP.
     */
    static int tcpDoSegment(TcpCb tp, Segment s) {
        tp.lock.lock();
        Listener listener = null;
        try {
            tp.rcvTime = System.nanoTime();
            TcpTraceHook[] hooks = tp.tcp.trace.hooks;
            if (hooks != null && tp.state != TcpState.CLOSED && tp.state != TcpState.LISTEN) {
                // as siftr sees it: the connection before this segment changes it
                tp.tcp.trace.call(hooks, TcpTraceHook.Direction.IN, tp, s.seq, s.has(TcpHeader.ACK) ? s.ack : 0, s.flags,
                        s.tlen, false);
            }
            switch (tp.state) {
                case CLOSED -> {
                    return NOSOCKET;
                }
                case LISTEN -> listener = Listener.of(tp);
                case SYN_SENT -> synSentInput(tp, s);
                default -> {
                    int r = synchronizedInput(tp, s);
                    if (r != HANDLED) {
                        return r;
                    }
                }
            }
            if (listener == null && tp.state != TcpState.CLOSED) {
                TcpOutput.tcpOutput(tp);
            }
        } finally {
            tp.unlock();
        }
        if (listener != null) {
            listenInput(listener, s);
        }
        return HANDLED;
    }

    /**
     * A segment for a listening socket (RFC 9293 §3.10.7.2), with the listener as it was
     * when the segment arrived and without its lock. A SYN goes to the SYN cache, not to a
     * new socket; the ACK that completes a handshake the cache (or a cookie) vouches for
     * creates the connection, which then takes that ACK as its first segment.
     */
    private static void listenInput(Listener l, Segment s) {
        TcpProtocol tcp = l.tcp();
        SynCache cache = tcp.synCache();
        if (s.has(TcpHeader.RST)) {
            cache.reset(s);
            return;
        }
        if (s.has(TcpHeader.ACK)) {
            if (s.has(TcpHeader.SYN)) {
                tcpDropwithreset(tcp, s);
                return;
            }
            SynCache.Entry e = cache.expand(s);
            if (e == SynCache.BAD_SEQ) {
                return;
            }
            if (e == null) {
                tcpDropwithreset(tcp, s);
                return;
            }
            TcpCb cb = cache.syncacheSocket(l, e);
            if (cb == null) {
                // handshake done but no room in the listen queue. Linux's answer (the default):
                // drop the ACK and keep the half-open connection, whose SYN-ACK retransmission
                // brings the ACK again when the application may have accepted; a cookie needs
                // nothing kept, the peer's data or retransmitted ACK validates it again.
                // FreeBSD's (rst_on_sock_fail=1): a RST, the client sees a reset connection.
                if (l.so() != null && tcp.rstOnSockFail.get() == 0) {
                    tcp.stats().syncacheOverflowKept.increment();
                    cache.putBack(e);
                    return;
                }
                tcp.stats().syncacheAborted.increment();
                tcpDropwithreset(tcp, s);
                return;
            }
            tcpDoSegment(cb, s);
            return;
        }
        if (!s.has(TcpHeader.SYN) || s.has(TcpHeader.FIN)) {
            return;
        }
        if (l.so() == null) {
            return;
        }
        int space = l.rcvHiwat();
        cache.add(s, mssopt(tcp, s.src, l.userMss()), TcpSubr.rcvScaleFor(tcp, space), Math.min(space, TcpProtocol.TCP_MAXWIN));
    }

    /** RFC 9293 §3.10.7.3. */
    private static void synSentInput(TcpCb tp, Segment s) {
        assert tp.lockHeld();
        if (s.has(TcpHeader.ACK) && (Seq.leq(s.ack, tp.iss) || Seq.gt(s.ack, tp.sndMax))) {
            if (!s.has(TcpHeader.RST)) {
                tcpDropwithreset(tp.tcp, s);
            }
            return;
        }
        if (s.has(TcpHeader.RST)) {
            if (s.has(TcpHeader.ACK)) {
                tp.stats.conndrops.increment();
                if (tp.socketAlive()) {
                    tp.so.setError(Errno.ECONNREFUSED);
                }
                TcpSubr.tcpClose(tp);
            }
            return;
        }
        if (!s.has(TcpHeader.SYN)) {
            return;
        }
        tp.irs = s.seq;
        tp.rcvNxt = s.seq + 1;
        tp.rcvAdv = tp.rcvNxt;
        synOptions(tp, s.hasMss ? s.mss : tp.tcp.mssdflt.getInt(), s.hasWs ? s.ws : -1, s.hasTs, s.tsVal, s.sackPermitted);
        if (s.has(TcpHeader.ACK)) {
            tp.sndUna = s.ack;
            if (Seq.lt(tp.sndNxt, tp.sndUna)) {
                tp.sndNxt = tp.sndUna;
            }
            if ((tp.flags & F_RCVD_TSTMP) != 0 && s.hasTs && s.tsEcr != 0) {
                tcpXmitTimer(tp, (tp.tsNow() - s.tsEcr) * 1000L);
            } else if ((tp.flags & F_RTTING) != 0 && Seq.gt(s.ack, tp.rtseq)) {
                tcpXmitTimer(tp, (System.nanoTime() - tp.rttStart) / 1000);
            }
            TcpTimer.stopRexmt(tp);
            tp.rxtshift = 0;
            tp.sndWnd = (long) s.win << tp.sndScale;
            tp.maxSndWnd = tp.sndWnd;
            tp.sndWl1 = s.seq;
            tp.sndWl2 = s.ack;
            tp.flags |= F_ACKNOW;
            established(tp);
            // data or a FIN riding on the SYN-ACK are left for the peer to send again
        } else {
            // simultaneous open (RFC 9293 Figure 8): answer with SYN,ACK from the same ISS
            tp.state = TcpState.SYN_RECEIVED;
            tp.sndWnd = s.win;
            tp.sndWl1 = s.seq;
            tp.sndWl2 = tp.sndUna;
            tp.sndNxt = tp.iss;
            TcpTimer.stopRexmt(tp);
            tp.rxtshift = 0;
            tp.flags |= F_ACKNOW;
        }
    }

    /**
     * The options of the peer's SYN (or SYN-ACK) against what ours offered: each RFC 7323 /
     * RFC 2018 option is used only when both sides offer it, and the MSS is the smaller of
     * the two. One negotiation for both ends of a handshake: a connection in SYN_SENT hands
     * it the SYN-ACK, {@code syncache_socket} the SYN the cache answered. {@code peerWs} is
     * -1 when the peer offered no window scale.
     */
    static void synOptions(TcpCb tp, int peerMss, int peerWs, boolean ts, int tsVal, boolean sack) {
        assert tp.lockHeld();
        tp.peerMss = peerMss;
        if ((tp.flags & F_REQ_SCALE) != 0 && peerWs >= 0) {
            tp.flags |= F_RCVD_SCALE;
            tp.sndScale = Math.min(peerWs, TcpProtocol.TCP_MAX_WINSHIFT);
            tp.rcvScale = tp.requestRcvScale;
        } else {
            tp.flags &= ~(F_REQ_SCALE | F_RCVD_SCALE);
            tp.sndScale = 0;
            tp.rcvScale = 0;
        }
        if ((tp.flags & F_REQ_TSTMP) != 0 && ts) {
            tp.flags |= F_RCVD_TSTMP;
            tp.tsRecent = tsVal;
            tp.tsRecentAge = System.nanoTime() / 1_000_000;
        } else {
            tp.flags &= ~(F_REQ_TSTMP | F_RCVD_TSTMP);
        }
        if ((tp.flags & F_REQ_SACK) != 0 && sack) {
            tp.flags |= F_SACK_PERMIT;
        } else {
            tp.flags &= ~(F_REQ_SACK | F_SACK_PERMIT);
        }
        tp.negotiatedMss = Math.min(Math.max(tp.peerMss, 64), tp.ourMss);
        tp.maxseg = tp.negotiatedMss - (tp.tsOk() ? TSOPT_LEN : 0);
        tcpMssUpdate(tp);
    }

    /** {@code tcp_mssopt}: the MSS this connection announces. */
    static int tcpMssopt(TcpCb tp) {
        assert tp.lockHeld();
        return mssopt(tp.tcp, tp.faddr, tp.userMss);
    }

    /** The MSS to announce towards {@code faddr}: the route's, lowered to TCP_MAXSEG when set. */
    static int mssopt(TcpProtocol tcp, int faddr, int userMss) {
        int mss = tcp.mssFor(faddr);
        if (userMss > 0) {
            mss = Math.min(mss, userMss);
        }
        return mss;
    }

    /**
     * {@code tcp_mss_update} with the host cache: a path MTU another connection learned
     * towards this host holds for this one too, until it expires.
     */
    static void tcpMssUpdate(TcpCb tp) {
        assert tp.lockHeld();
        TcpHostCache hc = tp.tcp.hostCache();
        int mtu = hc.mtu(tp.faddr);
        if (mtu == 0 || mtu - 40 >= tp.negotiatedMss) {
            return;
        }
        tp.maxseg = Math.max(mtu - 40, tp.tcp.minmss.getInt()) - (tp.tsOk() ? TSOPT_LEN : 0);
        tp.pathMtu = mtu;
        tp.pathMtuExpires = hc.expires(tp.faddr);
    }

    private static void established(TcpCb tp) {
        assert tp.lockHeld();
        tp.state = TcpState.ESTABLISHED;
        tp.stats.connects.increment();
        tp.roundEnd = tp.sndMax;
        tp.cc.connInit(tp);
        TcpRack.established(tp);
        TcpTimer.armKeep(tp, tp.keepIdle());
        if ((tp.flags & F_NEEDFIN) != 0) {
            tp.flags &= ~F_NEEDFIN;
            tp.state = TcpState.FIN_WAIT_1;
        }
        if (tp.socketAlive()) {
            tp.so.soisconnected();
        }
    }

    /** RFC 9293 §3.10.7.4 with RFC 5961 and RFC 7323, in the order of FreeBSD's tcp_do_segment. */
    private static int synchronizedInput(TcpCb tp, Segment s) {
        assert tp.lockHeld();
        int origFlags = s.flags;
        long nowMs = System.nanoTime() / 1_000_000;

        // PAWS (RFC 7323 §5.3)
        if (tp.tsOk() && s.hasTs && !s.has(TcpHeader.RST) && tp.tsRecent != 0 && Seq.lt(s.tsVal, tp.tsRecent)) {
            if (nowMs - tp.tsRecentAge > PAWS_IDLE_MS) {
                tp.tsRecent = 0;
            } else {
                tp.stats.pawsdrop.increment();
                tp.flags |= F_ACKNOW;
                if (s.tlen > 0 && Seq.lt(s.seq, tp.rcvNxt)) {
                    // an old copy of data held already (as Linux's tcp_send_dupack): the sender
                    // learns its retransmission was needless
                    TcpSack.tcpUpdateDsackList(tp, s.seq, Seq.lt(s.seq + s.tlen, tp.rcvNxt) ? s.seq + s.tlen : tp.rcvNxt);
                }
                return HANDLED;
            }
        }

        // a new SYN may end TIME_WAIT when it is clearly from a new incarnation (RFC 6191)
        if (tp.state == TcpState.TIME_WAIT && s.has(TcpHeader.SYN) && !s.has(TcpHeader.ACK) && !s.has(TcpHeader.RST)
                && (Seq.gt(s.seq, tp.rcvNxt) || (tp.tsOk() && s.hasTs && Seq.gt(s.tsVal, tp.tsRecent)))) {
            TcpSubr.tcpClose(tp);
            return RELOOKUP;
        }

        tp.rcvWnd = Math.max(tp.rcvSpace(), tp.rcvAdv - tp.rcvNxt);

        // RST (RFC 5961 §3.2): only an exact match resets, one in the window earns a challenge ACK
        if (s.has(TcpHeader.RST)) {
            boolean inWin = Seq.inWindow(s.seq, tp.rcvNxt, tp.rcvNxt + (int) Math.max(tp.rcvWnd, 1));
            if (!inWin) {
                tp.stats.badrst.increment();
                return HANDLED;
            }
            if (s.seq != tp.rcvNxt) {
                tp.stats.badrst.increment();
                challengeAck(tp);
                return HANDLED;
            }
            switch (tp.state) {
                case SYN_RECEIVED -> {
                    tp.stats.conndrops.increment();
                    if (tp.socketAlive()) {
                        tp.so.setError(Errno.ECONNREFUSED);
                    }
                }
                case ESTABLISHED, FIN_WAIT_1, FIN_WAIT_2, CLOSE_WAIT -> {
                    tp.stats.drops.increment();
                    if (tp.socketAlive()) {
                        tp.so.setError(Errno.ECONNRESET);
                    }
                }
                default -> {
                }
            }
            TcpSubr.tcpClose(tp);
            return HANDLED;
        }

        // SYN in a synchronized state (RFC 5961 §4): challenge ACK
        if (s.has(TcpHeader.SYN) && tp.state != TcpState.SYN_RECEIVED) {
            tp.stats.badsyn.increment();
            challengeAck(tp);
            return HANDLED;
        }
        if (tp.state == TcpState.SYN_RECEIVED && s.has(TcpHeader.SYN) && !s.has(TcpHeader.ACK)) {
            if (s.seq == tp.irs) {
                // the peer did not hear our SYN,ACK: say it again now
                tp.sndNxt = tp.iss;
                tp.flags |= F_ACKNOW;
            }
            return HANDLED;
        }

        int tiwin = s.win;
        // trim what was received already
        int todrop = tp.rcvNxt - s.seq;
        if (todrop > 0) {
            if (s.has(TcpHeader.SYN)) {
                s.flags &= ~TcpHeader.SYN;
                s.seq++;
                todrop--;
            }
            if (todrop > s.tlen || (todrop == s.tlen && !s.has(TcpHeader.FIN))) {
                s.flags &= ~TcpHeader.FIN;
                tp.flags |= F_ACKNOW;
                todrop = s.tlen;
                tp.stats.rcvduppack.increment();
                tp.stats.rcvdupbyte.add(todrop);
            } else {
                tp.stats.rcvpartduppack.increment();
            }
            if (todrop > 0) {
                TcpSack.tcpUpdateDsackList(tp, s.seq, s.seq + todrop);
                s.trimFront(todrop);
            } else if (s.tlen == 0 && Seq.lt(s.seq, tp.rcvNxt)) {
                s.seq = tp.rcvNxt;
            }
        }

        // new data for a socket the application closed: nobody will read it (RFC 9293 §3.10.7.4)
        if ((tp.flags & F_SOCKCLOSED) != 0 && s.tlen > 0 && tp.state.ordinal() > TcpState.CLOSE_WAIT.ordinal()) {
            tp.stats.rcvafterclose.increment();
            TcpSubr.tcpDrop(tp, null);
            return HANDLED;
        }

        // trim what lies beyond the window
        todrop = (s.seq + s.tlen) - (tp.rcvNxt + (int) tp.rcvWnd);
        if (todrop > 0) {
            tp.stats.rcvpackafterwin.increment();
            if (todrop >= s.tlen) {
                if (tp.rcvWnd == 0 && s.seq == tp.rcvNxt) {
                    tp.stats.rcvwinprobe.increment();
                }
                tp.flags |= F_ACKNOW;
                if (!(tp.rcvWnd == 0 && s.seq == tp.rcvNxt) || !s.has(TcpHeader.ACK)) {
                    return HANDLED;
                }
            }
            s.trimBack(Math.min(todrop, s.tlen));
            s.flags &= ~(TcpHeader.PSH | TcpHeader.FIN);
        }

        // RFC 7323 §4.3: remember the timestamp of the segment that lines up with our ACK
        if (s.hasTs && tp.tsOk() && Seq.leq(s.seq, tp.lastAckSent)
                && Seq.leq(tp.lastAckSent, s.seq + s.tlen + ((s.flags & (TcpHeader.SYN | TcpHeader.FIN)) != 0 ? 1 : 0))) {
            tp.tsRecent = s.tsVal;
            tp.tsRecentAge = nowMs;
        }

        if (!s.has(TcpHeader.ACK)) {
            return HANDLED;
        }

        boolean synAcked = false;
        if (tp.state == TcpState.SYN_RECEIVED) {
            if (Seq.leq(s.ack, tp.sndUna) || Seq.gt(s.ack, tp.sndMax)) {
                tcpDropwithreset(tp.tcp, s);
                return HANDLED;
            }
            tiwin = s.win;
            tp.sndWnd = (long) tiwin << tp.sndScale;
            tp.sndWl1 = s.seq - 1;
            synAcked = true;
            established(tp);
        }
        long scaledWin = (long) tiwin << tp.sndScale;

        // ACK processing (RFC 5961 §5.2 range check first)
        if (Seq.lt(s.ack, tp.sndUna - (int) Math.min(tp.maxSndWnd, Integer.MAX_VALUE))) {
            challengeAck(tp);
            return HANDLED;
        }
        if (Seq.gt(s.ack, tp.sndMax)) {
            tp.stats.rcvacktoomuch.increment();
            tp.flags |= F_ACKNOW;
            return HANDLED;
        }
        tp.dsackOnlyAck = false;
        if (s.sackCount > 0 && (tp.flags & F_SACK_PERMIT) != 0) {
            TcpSack.tcpSackDoack(tp, s);
        }

        tp.rttThisAck = -1;
        int unaBefore = tp.sndUna;
        boolean recoveringBefore = (tp.flags & (F_FASTRECOVERY | F_CONGRECOVERY)) != 0;
        if (Seq.leq(s.ack, tp.sndUna) && !synAcked) {
            // RFC 6675 §2: with SACK, a duplicate ACK is one that tells of new data held; a
            // D-SACK alone reports a segment that arrived twice, nothing left the network
            if (s.tlen == 0 && scaledWin == tp.sndWnd && !s.has(TcpHeader.FIN) && tp.sndMax != tp.sndUna && s.ack == tp.sndUna && !tp.dsackOnlyAck) {
                tp.stats.rcvdupack.increment();
                dupAck(tp);
            } else if (s.tlen > 0 || scaledWin != tp.sndWnd) {
                tp.dupacks = 0;
            }
        } else {
            newAck(tp, s, synAcked);
            if (tp.state == TcpState.CLOSED) {
                return HANDLED;
            }
        }
        if (tp.rack != null) {
            TcpRack.onAck(tp, s, unaBefore, recoveringBefore);
        }

        // window update (RFC 9293 §3.10.7.4, SND.WL1/WL2)
        // From the same SEG.SEQ and SEG.ACK a larger window is taken, as FreeBSD does, and a
        // zero one, as Linux's tcp_may_update_window does: ignoring it would send into the
        // closed window and back off the retransmission timer, where the persist timer should probe
        if (Seq.lt(tp.sndWl1, s.seq) || (tp.sndWl1 == s.seq && (Seq.lt(tp.sndWl2, s.ack)
                || (tp.sndWl2 == s.ack && (scaledWin > tp.sndWnd || scaledWin == 0))))) {
            if (s.tlen == 0 && tp.sndWl2 == s.ack && scaledWin > tp.sndWnd) {
                tp.stats.rcvwinupd.increment();
            }
            tp.sndWnd = scaledWin;
            tp.sndWl1 = s.seq;
            tp.sndWl2 = s.ack;
            tp.maxSndWnd = Math.max(tp.maxSndWnd, tp.sndWnd);
            if (tp.persistMode && tp.sndWnd > 0) {
                TcpTimer.stopRexmt(tp);
                tp.rxtshift = 0;
                tp.sndNxt = tp.sndUna;
            }
        }

        int rcvBefore = tp.rcvNxt;
        processData(tp, s);
        if (tp.rcvNxt != rcvBefore) {
            tcpAutorcvbuf(tp, tp.rcvNxt - rcvBefore);
        }

        if (tp.state == TcpState.TIME_WAIT && (origFlags & TcpHeader.FIN) != 0) {
            // a FIN again: our last ACK was lost; answer and wait the full 2*MSL again
            tp.flags |= F_ACKNOW;
            TcpTimer.armMsl2(tp, 2 * tp.tcp.msl.get());
        }
        return HANDLED;
    }

    private static void dupAck(TcpCb tp) {
        assert tp.lockHeld();
        tp.dupacks++;
        if ((tp.flags & F_SACK_PERMIT) != 0) {
            TcpSack.sackDupAck(tp);
            return;
        }
        if ((tp.flags & F_FASTRECOVERY) != 0) {
            // RFC 5681 §3.2 step 4: each further duplicate means a segment left the network
            tp.cwnd += tp.maxseg;
            return;
        }
        if (tp.dupacks == 3) {
            // RFC 6582 §3.2 step 2: a new recovery only when the ACK lies beyond "recover"
            if ((tp.flags & F_RECOVER_VALID) != 0 && Seq.leq(tp.sndUna, tp.recover)) {
                return;
            }
            tp.stats.sndrexmitfast.increment();
            tp.stats.recoveryEpisodes.increment();
            tp.cc.congSignal(tp, CongestionSignal.NDUPACK);
            tp.flags |= F_FASTRECOVERY | F_RECOVER_VALID;
            tp.flags &= ~F_RTTING;
            tp.recover = tp.sndMax;
            TcpTimer.stopRexmt(tp);
            int onxt = tp.sndNxt;
            long threshold = tp.ssthresh;
            tp.sndNxt = tp.sndUna;
            tp.cwnd = tp.maxseg;
            TcpOutput.tcpOutput(tp);
            tp.cwnd = threshold + 3L * tp.maxseg;
            if (Seq.gt(onxt, tp.sndNxt)) {
                tp.sndNxt = onxt;
            }
        } else {
            tp.cc.ackReceived(tp, AckType.DUPACK);
            limitedTransmit(tp);
        }
    }

    /**
     * RFC 3042 limited transmit: each of the first two duplicate ACKs says a segment has left
     * the network, so one new segment may go (if the peer's window allows) without touching
     * the congestion window. In a small window this keeps enough ACKs coming for the third
     * duplicate to arrive, and so a fast retransmit instead of a timeout.
     */
    static void limitedTransmit(TcpCb tp) {
        assert tp.lockHeld();
        if (tp.tcp.rfc3042.get() == 0 || tp.dupacks > 2) {
            return;
        }
        if (tp.dupacks == 1) {
            tp.sndLimited = 0;
        }
        long saved = tp.cwnd;
        int before = tp.sndMax;
        tp.cwnd = (long) (tp.sndNxt - tp.sndUna) + (long) (tp.dupacks - tp.sndLimited) * tp.maxseg;
        if (tp.snd != null && tp.snd.cc() > tp.sndNxt - tp.sndUna) {
            TcpOutput.tcpOutput(tp);
        }
        int sent = tp.sndMax - before;
        if (sent > tp.maxseg) {
            tp.sndLimited = 2;
        } else if (sent > 0) {
            tp.sndLimited++;
        }
        tp.cwnd = saved;
    }

    private static void newAck(TcpCb tp, Segment s, boolean synAcked) {
        assert tp.lockHeld();
        int acked = s.ack - tp.sndUna;
        if (synAcked) {
            // the SYN occupied one sequence number
            tp.sndUna++;
            acked--;
        }
        boolean partial = false;
        boolean wasFast = (tp.flags & F_FASTRECOVERY) != 0;
        if (wasFast) {
            if (Seq.lt(s.ack, tp.recover)) {
                partial = true;
            } else {
                tp.flags &= ~F_FASTRECOVERY;
            }
        }
        if ((tp.flags & F_CONGRECOVERY) != 0 && Seq.geq(s.ack, tp.recover)) {
            tp.flags &= ~F_CONGRECOVERY;
        }
        undoSpuriousRto(tp, s);
        // the episode this ACK ends, not the duplicates: a SACK recovery may begin before the
        // third (the scoreboard, RACK), and with RACK three may come with no recovery at all
        boolean exitedFast = !partial && wasFast && (tp.flags & F_FASTRECOVERY) == 0 && (tp.flags & F_RECOVER_VALID) != 0
                && Seq.geq(s.ack, tp.recover);
        tp.dupacks = 0;

        // RTT (RFC 6298 with Karn, or RFC 7323 RTTM)
        if (tp.tsOk() && s.hasTs && s.tsEcr != 0 && Seq.leq(s.tsEcr, tp.tsNow())) {
            tcpXmitTimer(tp, Math.max(0, tp.tsNow() - s.tsEcr) * 1000L);
        } else if ((tp.flags & F_RTTING) != 0 && Seq.gt(s.ack, tp.rtseq)) {
            tcpXmitTimer(tp, (System.nanoTime() - tp.rttStart) / 1000);
        }

        int held = tp.snd == null ? 0 : tp.snd.cc();
        boolean finAcked = false;
        int dataAcked = acked;
        if (acked > held) {
            dataAcked = held;
            finAcked = tp.state.finQueued();
        }
        if (dataAcked > 0 && tp.snd != null) {
            tp.snd.drop(dataAcked);
        }
        tp.sndUna = s.ack;
        if (Seq.lt(tp.sndNxt, tp.sndUna)) {
            tp.sndNxt = tp.sndUna;
        }
        if (Seq.geq(tp.sndUna, tp.roundEnd)) {
            // all that was sent when this round began is acknowledged: the next one starts
            tp.rounds++;
            tp.roundEnd = tp.sndMax;
        }
        tp.stats.rcvackpack.increment();
        tp.stats.rcvackbyte.add(dataAcked);
        tp.bytesThisAck = dataAcked;

        tp.sackBoard.ackedTo(tp.sndUna);
        if (partial && (tp.flags & F_SACK_PERMIT) != 0) {
            // RFC 6675: a partial ACK only moves HighACK; output() sends by pipe
        } else if (partial) {
            // RFC 6582 §3.2 step 5: resend the next hole at once, deflate by what was acked
            int onxt = tp.sndNxt;
            long ocwnd = tp.cwnd;
            tp.sndNxt = tp.sndUna;
            tp.cwnd = tp.maxseg;
            TcpOutput.tcpOutput(tp);
            tp.cwnd = Math.max(ocwnd - dataAcked + tp.maxseg, tp.maxseg);
            if (Seq.gt(onxt, tp.sndNxt)) {
                tp.sndNxt = onxt;
            }
        } else if (exitedFast) {
            tp.cc.postRecovery(tp);
        } else if ((tp.flags & F_FASTRECOVERY) == 0) {
            tp.cc.ackReceived(tp, AckType.ACK);
        }

        if (tp.sndUna == tp.sndMax) {
            TcpTimer.stopRexmt(tp);
        } else if (!tp.persistMode && tp.rack == null) {
            // with RACK, TcpRack.onAck chooses between the loss probe and the timeout
            TcpTimer.armRexmt(tp);
        }
        if (dataAcked > 0 && tp.socketAlive()) {
            tp.so.sowwakeup();
        }

        if (finAcked) {
            switch (tp.state) {
                case FIN_WAIT_1 -> {
                    tp.state = TcpState.FIN_WAIT_2;
                    if ((tp.flags & F_SOCKCLOSED) != 0) {
                        TcpTimer.armMsl2(tp, 2 * tp.tcp.msl.get());
                    }
                }
                case CLOSING -> TcpSubr.tcpTwstart(tp);
                case LAST_ACK -> TcpSubr.tcpClose(tp);
                default -> {
                }
            }
        }
    }

    /**
     * The Eifel detection (RFC 3522) of FreeBSD's tcp_input: the first ACK of new data after
     * a single timeout acknowledges the original transmission, not the retransmission, so
     * nothing was lost: the window, ssthresh and recovery point come back, the algorithm
     * takes back its own change (RFC 9438 §4.9), and what was not yet resent is not resent.
     */
    private static void undoSpuriousRto(TcpCb tp, Segment s) {
        assert tp.lockHeld();
        if (tp.rxtshift != 1 || (tp.flags & F_PREVVALID) == 0) {
            return;
        }
        boolean original = tp.tsOk() && s.hasTs && s.tsEcr != 0 ? Seq.lt(s.tsEcr, tp.badRxtWin)
                : !tp.tsOk() && Seq.lt(nowMillis(), tp.badRxtWin);
        if (!original) {
            return;
        }
        tp.stats.sndrexmitbad.increment();
        undoCongestionSignal(tp, tp.cwndPrev, tp.ssthreshPrev);
        tp.recover = tp.recoverPrev;
        if ((tp.flags & F_WASFRECOVERY) != 0) {
            tp.flags |= F_FASTRECOVERY;
        }
        if ((tp.flags & F_WASCRECOVERY) != 0) {
            tp.flags |= F_CONGRECOVERY;
        }
        tp.sndNxt = tp.sndMax;
        tp.flags &= ~F_PREVVALID;
        tp.badRxtWin = 0;
    }

    /**
     * Takes back a window reduction that proved needless (a spurious timeout or fast
     * retransmit): the algorithm undoes its own state (RTO_ERR, RFC 9438 §4.9), and cwnd and
     * ssthresh return to what they were, never below what they are now.
     */
    static void undoCongestionSignal(TcpCb tp, long cwndBefore, long ssthreshBefore) {
        assert tp.lockHeld();
        tp.cc.congSignal(tp, CongestionSignal.RTO_ERR);
        tp.cwnd = Math.max(tp.cwnd, cwndBefore);
        tp.ssthresh = Math.max(tp.ssthresh, ssthreshBefore);
    }

    /** RFC 6298 §2: one RTT sample in microseconds. */
    private static void tcpXmitTimer(TcpCb tp, long r) {
        assert tp.lockHeld();
        tp.stats.rttupdated.increment();
        tp.flags &= ~F_RTTING;
        tp.rttThisAck = r;
        if (tp.srtt == 0) {
            tp.srtt = Math.max(r, 1);
            tp.rttvar = r / 2;
        } else {
            long delta = Math.abs(tp.srtt - r);
            tp.rttvar = (3 * tp.rttvar + delta) / 4;
            tp.srtt = Math.max((7 * tp.srtt + r) / 8, 1);
        }
        // G, the clock granularity, is 1 ms
        tp.rto = tp.srtt + Math.max(1000, 4 * tp.rttvar);
        tp.rxtshift = 0;
    }

    /** Queues in-order data to the socket, out-of-order data to the reassembly queue; then the FIN. */
    private static void processData(TcpCb tp, Segment s) {
        assert tp.lockHeld();
        boolean fin = s.has(TcpHeader.FIN);
        if ((s.tlen > 0 || fin) && !tp.state.haveRcvdFin() && tp.state != TcpState.CLOSED) {
            boolean wake = false;
            if (s.seq == tp.rcvNxt && tp.reass.isEmpty()) {
                if (s.tlen > 0) {
                    int n = s.tlen;
                    tp.rcvNxt += n;
                    tp.stats.rcvpack.increment();
                    tp.stats.rcvbyte.add(n);
                    if (tp.tcp.delayedAck.get() != 0 && (tp.flags & F_DELACK) == 0 && !fin) {
                        tp.flags |= F_DELACK;
                        TcpTimer.armDelack(tp);
                    } else {
                        tp.flags |= F_ACKNOW;
                    }
                    if (tp.rcv != null) {
                        tp.rcv.appendStream(s.takePayload());
                        wake = true;
                    }
                }
            } else if (Seq.geq(s.seq, tp.rcvNxt)) {
                if (s.tlen > 0) {
                    tp.stats.rcvoopack.increment();
                    tp.stats.rcvoobyte.add(s.tlen);
                }
                int segSeq = s.seq;
                int segLen = s.tlen;
                if (tp.reass.insert(segSeq, s.takePayload(), fin) == 0 && segLen > 0) {
                    // all of it was queued already
                    TcpSack.tcpUpdateDsackList(tp, segSeq, segSeq + segLen);
                }
                fin = false;
                tp.flags |= F_ACKNOW;
                TcpReass.Seg q;
                while ((q = tp.reass.pollInOrder(tp.rcvNxt)) != null) {
                    int n = q.len();
                    tp.rcvNxt += n;
                    tp.stats.rcvpack.increment();
                    tp.stats.rcvbyte.add(n);
                    if (n > 0 && tp.rcv != null) {
                        tp.rcv.appendStream(q.data);
                        wake = true;
                    }
                    if (q.fin) {
                        fin = true;
                        tp.reass.clear();
                        break;
                    }
                }
            } else {
                fin = false;
            }
            if (wake && tp.socketAlive()) {
                tp.so.sorwakeup();
            }
        } else if (!tp.state.haveRcvdFin() || s.tlen > 0) {
            fin = fin && tp.state.haveRcvdFin() ? false : fin;
        }
        if (fin && !tp.state.haveRcvdFin()) {
            tp.rcvNxt++;
            tp.flags |= F_ACKNOW;
            if (tp.socketAlive()) {
                tp.so.socantrcvmore();
            }
            switch (tp.state) {
                case SYN_RECEIVED, ESTABLISHED -> tp.state = TcpState.CLOSE_WAIT;
                case FIN_WAIT_1 -> tp.state = TcpState.CLOSING;
                case FIN_WAIT_2 -> TcpSubr.tcpTwstart(tp);
                default -> {
                }
            }
        }
    }

    /**
     * {@code net.inet.tcp.recvbuf_auto}: once per round trip, when the bytes that arrived in
     * order filled 7/8 of the receive buffer, the window was the limit: double the buffer (up
     * to {@code recvbuf_max}) so the next round trip may carry more. The window scale was
     * chosen from {@code recvbuf_max}, so the larger window can be announced.
     */
    private static void tcpAutorcvbuf(TcpCb tp, int n) {
        assert tp.lockHeld();
        if (tp.tcp.recvbufAuto.get() == 0 || tp.rcv == null || !tp.socketAlive() || tp.srtt == 0) {
            return;
        }
        long now = System.nanoTime();
        if (tp.rfbufTs == 0) {
            tp.rfbufTs = now;
            tp.rfbufCnt = 0;
        }
        tp.rfbufCnt += n;
        if (now - tp.rfbufTs <= tp.srtt * 1000) {
            return;
        }
        int hiwat = tp.rcv.hiwat();
        long max = tp.tcp.recvbufMax.get();
        if (tp.rfbufCnt > hiwat / 8 * 7 && hiwat < max) {
            int grown = (int) Math.min(Math.max(hiwat, 2 * tp.rfbufCnt), max);
            tp.so.soreserve(tp.snd.hiwat(), grown);
            if (tp.rcv.hiwat() > hiwat) {
                tp.stats.rcvbufGrown.increment();
            }
        }
        tp.rfbufTs = now;
        tp.rfbufCnt = 0;
    }

    /** RFC 5961 §7: challenge ACKs are plain ACKs of where we are. */
    private static void challengeAck(TcpCb tp) {
        assert tp.lockHeld();
        tp.stats.challengeAck.increment();
        tp.flags |= F_ACKNOW;
    }
}
