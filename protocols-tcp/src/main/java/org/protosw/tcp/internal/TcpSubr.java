package org.protosw.tcp.internal;

import static org.protosw.tcp.internal.TcpCb.*;

import org.protosw.socket.Errno;
import org.protosw.wire.TcpHeader;

/**
 * FreeBSD's {@code tcp_subr.c} (and {@code tcp_timewait.c}'s {@code tcp_twstart}):
 * {@code tcp_drop}, {@code tcp_close}, {@code tcp_discardcb}, the per-connection half of
 * {@code tcp_ctlinput} with {@code tcp_mtudisc} (RFC 1191), the options a new connection
 * requests ({@code tcp_newtcpcb}'s {@code TF_REQ_*}), and attaching a connection to a
 * congestion-control algorithm or moving it to another ({@code cc_attach},
 * {@code tcp_ccalgounload}).
 */
final class TcpSubr {
    private TcpSubr() {
    }

    static CcAlgo defaultCc(TcpCb tp) {
        CcRegistry reg = tp.tcp.ccRegistry();
        for (int i = 0; i < 4; i++) {
            CcAlgo a = reg.defaultFor(tp.tcp);
            if (!a.gone()) {
                return a;
            }
        }
        return reg.lookup(NewReno.NAME);
    }

    static void ccAttach(TcpCb tp, CcAlgo a) {
        assert tp.lockHeld();
        tp.ccAlgo = a;
        tp.cc = a.impl();
        tp.ccData = null;
        tp.cc.init(tp);
        tp.ccInited = true;
    }

    private static void ccDetach(TcpCb tp) {
        assert tp.lockHeld();
        if (tp.ccInited) {
            tp.ccInited = false;
            tp.cc.destroy(tp);
        }
        tp.ccData = null;
    }

    /**
     * Hands the connection to another algorithm (lock held). What the connection learned
     * about the path stays: the new algorithm starts from the current window and threshold
     * (made sane), not from the initial window.
     */
    static void ccSwitch(TcpCb tp, CcAlgo to) {
        assert tp.lockHeld();
        if (to == tp.ccAlgo) {
            return;
        }
        boolean live = tp.ccInited;
        long ocwnd = tp.cwnd;
        long ossthresh = tp.ssthresh;
        ccDetach(tp);
        if (!live) {
            // closed or in TIME_WAIT: no hook will run again, only the name is shown
            tp.ccAlgo = to;
            tp.cc = to.impl();
            return;
        }
        ccAttach(tp, to);
        if (tp.state.haveEstablished()) {
            tp.cc.connInit(tp);
            tp.cwnd = Math.clamp(ocwnd, tp.maxseg, Math.max(tp.maxseg, tp.maxWindow()));
            tp.ssthresh = Math.max(ossthresh, 2L * tp.maxseg);
        }
    }

    /** The registry moves this connection off an algorithm that went away; true when it used it. */
    static boolean ccMove(TcpCb tp, CcAlgo from, CcAlgo to) {
        tp.lock.lock();
        try {
            if (tp.ccAlgo != from) {
                return false;
            }
            ccSwitch(tp, to);
            return true;
        } finally {
            tp.lock.unlock();
        }
    }

    /** {@code tcp_drop}: RST the peer when it knows us, report {@code errno}, close. */
    static void tcpDrop(TcpCb tp, Errno errno) {
        assert tp.lockHeld();
        if (tp.state.haveRcvdSyn()) {
            sendRst(tp);
        }
        if (tp.state.haveEstablished()) {
            tp.stats.drops.increment();
        } else {
            tp.stats.conndrops.increment();
        }
        if (errno != null && tp.socketAlive()) {
            tp.so.setError(errno);
        }
        tcpClose(tp);
    }

    static void sendRst(TcpCb tp) {
        assert tp.lockHeld();
        tp.tcp.respond(tp.laddr, tp.lport, tp.faddr, tp.fport, tp.sndNxt, tp.rcvNxt, TcpHeader.RST | TcpHeader.ACK);
    }

    /** {@code tcp_close}: the connection is over; the table entry goes once the socket is gone. */
    static void tcpClose(TcpCb tp) {
        assert tp.lockHeld();
        boolean wasOpen = tp.state != TcpState.CLOSED && tp.state != TcpState.LISTEN;
        tp.state = TcpState.CLOSED;
        TcpTimer.tcpTimerStop(tp);
        tp.reass.clear();
        if (wasOpen) {
            tp.stats.closed.increment();
        }
        if ((tp.flags & F_DETACHED) != 0) {
            tcpDiscardcb(tp);
        } else {
            tp.pendingDisconnect = true;
        }
    }

    static void tcpDiscardcb(TcpCb tp) {
        assert tp.lockHeld();
        TcpTimer.tcpTimerStop(tp);
        ccDetach(tp);
        tp.table.remove(tp.inp);
        tp.so = null;
        tp.snd = null;
        tp.rcv = null;
    }

    static void tcpTwstart(TcpCb tp) {
        assert tp.lockHeld();
        tp.state = TcpState.TIME_WAIT;
        TcpTimer.stopRexmt(tp);
        tp.delackTimer.stop();
        tp.delackDeadline = 0;
        TcpTimer.armMsl2(tp, 2 * tp.tcp.msl.get());
        if ((tp.flags & F_DETACHED) != 0) {
            tcpTwShrink(tp);
        } else {
            tp.pendingDisconnect = true;
        }
    }

    /** TIME_WAIT without a socket keeps the sequence state and the timer only (FreeBSD's tcptw). */
    static void tcpTwShrink(TcpCb tp) {
        assert tp.lockHeld();
        tp.so = null;
        tp.snd = null;
        tp.rcv = null;
        tp.reass = new TcpReass();
        ccDetach(tp);
    }

    static void tcpCtlinput(TcpCb tp, int type, int code, int seq, int nextMtu, int quotedLen) {
        tp.lock.lock();
        try {
            if (tp.state == TcpState.CLOSED || tp.state == TcpState.LISTEN || !Seq.inWindow(seq, tp.sndUna, tp.sndMax + 1)) {
                return;
            }
            if (type == 3 && code == 4) {
                tcpMtudisc(tp, nextMtu, quotedLen);
                return;
            }
            if (type == 3 && (code == 2 || code == 3) && tp.state == TcpState.SYN_SENT) {
                tp.stats.conndrops.increment();
                if (tp.socketAlive()) {
                    tp.so.setError(Errno.ECONNREFUSED);
                }
                tcpClose(tp);
            }
        } finally {
            tp.unlock();
        }
    }

    /**
     * {@code tcp_mtudisc} (RFC 1191): a router could not forward a segment of ours without
     * fragmenting it. The MSS drops to what the next hop takes (or, from a router too old to
     * say, to the next plateau below the size it refused), and what is outstanding goes
     * again at once in the smaller segments: those in flight are lost. Not a congestion
     * signal, so the window stays.
     */
    private static void tcpMtudisc(TcpCb tp, int nextMtu, int quotedLen) {
        assert tp.lockHeld();
        tp.stats.mtudisc.increment();
        int mtu = nextMtu >= 68 ? nextMtu : PathMtu.plateauBelow(quotedLen);
        int ts = tp.tsOk() ? TSOPT_LEN : 0;
        int mss = Math.max(mtu - 40, tp.tcp.minmss.getInt()) - ts;
        if (mss >= tp.maxseg) {
            // an old error, or a path that got no narrower than we already know
            return;
        }
        tp.maxseg = mss;
        tp.pathMtu = mtu;
        tp.pathMtuExpires = tp.tcp.hostCache().updateMtu(tp.faddr, mtu);
        if (tp.sndUna != tp.sndMax) {
            tp.stats.mturesent.increment();
            tp.flags &= ~F_RTTING;
            tp.sndNxt = tp.sndUna;
            TcpOutput.tcpOutput(tp);
        }
    }

    /**
     * An exported connection leaves this revision: out of the table, timers stopped, the
     * algorithm's data dropped; no segment is sent. It is CLOSED here so that nothing this
     * revision still runs (a callout already firing) acts on it.
     */
    static void tcpExported(TcpCb tp) {
        assert tp.lockHeld();
        tp.state = TcpState.CLOSED;
        tcpDiscardcb(tp);
    }

    /** The protocol is going away with this connection still in the table. */
    static void tcpUnload(TcpCb tp) {
        tp.lock.lock();
        try {
            if ((tp.flags & TcpCb.F_EXPORTED) != 0) {
                tcpExported(tp);
                return;
            }
            tp.flags |= F_DETACHED | F_SOCKCLOSED;
            if (tp.state != TcpState.CLOSED) {
                if (tp.state.haveRcvdSyn() && tp.state != TcpState.TIME_WAIT) {
                    sendRst(tp);
                }
                tcpClose(tp);
            } else {
                tcpDiscardcb(tp);
            }
        } finally {
            tp.lock.unlock();
        }
    }

    static void requestOptions(TcpCb tp) {
        assert tp.lockHeld();
        long rfc1323 = tp.tcp.rfc1323.get();
        if (rfc1323 == 1 || rfc1323 == 2) {
            tp.flags |= F_REQ_SCALE;
            tp.requestRcvScale = rcvScaleFor(tp.tcp, tp.rcv == null ? TcpProtocol.TCP_MAXWIN : tp.rcv.hiwat());
        }
        if (rfc1323 == 1 || rfc1323 == 3) {
            tp.flags |= F_REQ_TSTMP;
        }
        if (tp.tcp.sack.get() != 0) {
            tp.flags |= F_REQ_SACK;
        }
    }

    /**
     * The window scale to offer for a receive buffer of {@code hiwat} bytes: from the largest
     * buffer autotuning may reach, as FreeBSD scales for sb_max, because the scale cannot
     * change once the connection is up. A passive open scaled for the listener's 64 KiB alone
     * could never advertise more than 128 KiB however far autotuning grew its buffer.
     */
    static int rcvScaleFor(TcpProtocol tcp, int hiwat) {
        long space = hiwat;
        if (tcp.recvbufAuto.get() != 0) {
            space = Math.max(space, tcp.recvbufMax.get());
        }
        return windowShift(space);
    }

    /** The smallest shift that lets a 16-bit window field cover {@code space} (RFC 7323 §2.3). */
    private static int windowShift(long space) {
        int shift = 0;
        while (shift < TcpProtocol.TCP_MAX_WINSHIFT && ((long) TcpProtocol.TCP_MAXWIN << shift) < space) {
            shift++;
        }
        return shift;
    }
}
