package org.protosw.tcp.internal;

import static org.protosw.tcp.internal.TcpCb.*;

import java.util.concurrent.TimeUnit;

import org.protosw.socket.Errno;
import org.protosw.socket.SockOpt;
import org.protosw.tcp.cc.CongestionSignal;

/**
 * FreeBSD's {@code tcp_timer.c}: the retransmission timer ({@code tcp_timer_rexmt}), the
 * persist timer ({@code tcp_timer_persist}, armed by {@code tcp_setpersist}), the delayed
 * ACK ({@code tcp_timer_delack}), 2*MSL ({@code tcp_timer_2msl}) and keepalive
 * ({@code tcp_timer_keep}), with {@code TCP_REXMTVAL} and {@code tcp_timer_stop}.
 *
 * <p>A callout may run after it was stopped or moved: each records its deadline in the
 * control block and acts only once it is due. Timer callbacks take the connection's lock;
 * the functions that arm or stop a timer assert it.
 */
final class TcpTimer {
    private TcpTimer() {
    }

    /** {@code tcp_timer_rexmt} and {@code tcp_timer_persist}. */
    static void tcpTimerRexmt(TcpCb tp) {
        tp.lock.lock();
        try {
            if (!due(tp.rexmtDeadline) || tp.state == TcpState.CLOSED) {
                return;
            }
            tp.rexmtDeadline = 0;
            if (tp.persistMode) {
                tcpTimerPersist(tp);
                return;
            }
            byte kind = tp.lossTimer;
            tp.lossTimer = TcpRack.TIMER_RTO;
            if (kind == TcpRack.TIMER_REO && tp.rack != null) {
                TcpRack.reoTimeout(tp);
                return;
            }
            if (kind == TcpRack.TIMER_TLP && tp.rack != null) {
                TcpRack.probeTimeout(tp);
                return;
            }
            if (tp.state == TcpState.SYN_SENT || tp.state == TcpState.SYN_RECEIVED) {
                boolean expired = (System.nanoTime() - tp.connStart) / 1_000_000 >= tp.tcp.keepinit.get();
                if (++tp.rxtshift > tp.tcp.synRetries.get() || expired) {
                    tp.stats.timeoutdrop.increment();
                    TcpSubr.tcpDrop(tp, Errno.ETIMEDOUT);
                    return;
                }
            } else if (++tp.rxtshift > TCP_MAXRXTSHIFT) {
                tp.stats.timeoutdrop.increment();
                TcpSubr.tcpDrop(tp, Errno.ETIMEDOUT);
                return;
            }
            tp.stats.rexmttimeo.increment();
            tp.dsackUndo.forget();
            if (tp.state.haveEstablished() && tp.rxtshift == 1) {
                saveForUndo(tp);
            } else {
                tp.flags &= ~F_PREVVALID;
            }
            if (tp.state.haveEstablished()) {
                if (tp.rxtshift == 1) {
                    tp.cc.congSignal(tp, CongestionSignal.RTO);
                } else {
                    tp.cwnd = tp.maxseg;
                }
                tp.flags |= F_CONGRECOVERY | F_RECOVER_VALID;
                tp.flags &= ~F_FASTRECOVERY;
                tp.recover = tp.sndMax;
            }
            tp.flags &= ~F_RTTING;
            tp.dupacks = 0;
            // RFC 6675 §5.1: the first timeout resends only what the scoreboard shows missing;
            // a second one may mean the receiver discarded SACKed data, so forget it all
            if (tp.rxtshift > 1) {
                tp.sackBoard.clear();
            }
            if (tp.rack != null) {
                tp.rack.onRto(tp);
            }
            tp.sndNxt = tp.sndUna;
            TcpOutput.tcpOutput(tp);
            if (tp.rexmtDeadline == 0 && tp.state != TcpState.CLOSED && tp.sndUna != tp.sndMax) {
                armRexmt(tp);
            }
        } catch (RuntimeException e) {
            tp.stats.inerrors.increment();
        } finally {
            tp.unlock();
        }
    }

    /**
     * RFC 3522 / FreeBSD: before the first timeout of an episode changes anything, keep what it
     * changes, and the moment of the retransmission to tell a late ACK of the original by.
     */
    private static void saveForUndo(TcpCb tp) {
        assert tp.lockHeld();
        tp.cwndPrev = tp.cwnd;
        tp.ssthreshPrev = tp.ssthresh;
        tp.recoverPrev = tp.recover;
        tp.flags &= ~(F_WASFRECOVERY | F_WASCRECOVERY);
        if ((tp.flags & F_FASTRECOVERY) != 0) {
            tp.flags |= F_WASFRECOVERY;
        }
        if ((tp.flags & F_CONGRECOVERY) != 0) {
            tp.flags |= F_WASCRECOVERY;
        }
        tp.badRxtWin = tp.tsOk() ? tp.tsNow() : nowMillis() + (int) (tp.srtt / 2000);
        tp.flags |= F_PREVVALID;
    }

    private static void tcpTimerPersist(TcpCb tp) {
        assert tp.lockHeld();
        tp.stats.persisttimeo.increment();
        if (tp.rxtshift < TCP_MAXRXTSHIFT) {
            tp.rxtshift++;
        }
        tp.sndNxt = tp.sndUna;
        // armed before the probe goes out, as tcp_timer_persist does: output seeing no timer
        // would start the backoff over
        if (tp.sndWnd == 0 && tp.snd != null && tp.snd.cc() > 0) {
            tcpSetpersist(tp);
        }
        tp.flags |= F_FORCEDATA;
        TcpOutput.tcpOutput(tp);
        tp.flags &= ~F_FORCEDATA;
    }

    static void tcpTimerDelack(TcpCb tp) {
        tp.lock.lock();
        try {
            if (!due(tp.delackDeadline) || tp.state == TcpState.CLOSED) {
                return;
            }
            tp.delackDeadline = 0;
            if ((tp.flags & F_DELACK) != 0) {
                tp.flags &= ~F_DELACK;
                tp.flags |= F_ACKNOW;
                tp.stats.delack.increment();
                TcpOutput.tcpOutput(tp);
            }
        } catch (RuntimeException e) {
            tp.stats.inerrors.increment();
        } finally {
            tp.unlock();
        }
    }

    /** The end of TIME_WAIT, or of FIN_WAIT_2 for a socket nobody holds any more. */
    static void tcpTimer2msl(TcpCb tp) {
        tp.lock.lock();
        try {
            if (!due(tp.msl2Deadline)) {
                return;
            }
            tp.msl2Deadline = 0;
            if (tp.state == TcpState.TIME_WAIT || (tp.state == TcpState.FIN_WAIT_2 && (tp.flags & F_SOCKCLOSED) != 0)) {
                TcpSubr.tcpClose(tp);
            }
        } catch (RuntimeException e) {
            tp.stats.inerrors.increment();
        } finally {
            tp.unlock();
        }
    }

    /**
     * {@code tcp_timer_keep}: once the connection has been idle for TCP_KEEPIDLE, probe every
     * TCP_KEEPINTVL; any segment from the peer starts the idle time again, and after
     * TCP_KEEPCNT probes without one the connection is dropped with ETIMEDOUT.
     */
    static void tcpTimerKeep(TcpCb tp) {
        tp.lock.lock();
        try {
            if (!due(tp.keepDeadline) || !tp.keepState()) {
                return;
            }
            tp.keepDeadline = 0;
            long idleMs = (System.nanoTime() - tp.rcvTime) / 1_000_000;
            long keepIdle = tp.keepIdle();
            if (tp.so == null || !tp.so.option(SockOpt.SO_KEEPALIVE)) {
                armKeep(tp, keepIdle);
                return;
            }
            if (idleMs < keepIdle) {
                armKeep(tp, keepIdle - idleMs);
                return;
            }
            tp.stats.keeptimeo.increment();
            if (idleMs >= keepIdle + tp.keepCount() * tp.keepIntvl()) {
                tp.stats.keepdrops.increment();
                TcpSubr.tcpDrop(tp, Errno.ETIMEDOUT);
                return;
            }
            keepProbe(tp);
            armKeep(tp, tp.keepIntvl());
        } catch (RuntimeException e) {
            tp.stats.inerrors.increment();
        } finally {
            tp.unlock();
        }
    }

    /**
     * The probe is an ACK one byte before SND.UNA without data: out of the peer's window,
     * so it must answer with an ACK of where it is (RFC 9293 §3.8.4).
     */
    private static void keepProbe(TcpCb tp) {
        assert tp.lockHeld();
        tp.stats.keepprobe.increment();
        TcpOutput.transmitAck(tp, tp.sndUna - 1);
    }

    static long currentRto(TcpCb tp) {
        assert tp.lockHeld();
        long min = tp.tcp.rexmitMin.get() * 1000L;
        long base = Math.max(tp.rto, min);
        long v = tp.rxtshift >= 20 ? RTO_MAX_US : base << tp.rxtshift;
        return Math.min(Math.max(v, min), RTO_MAX_US);
    }

    static void armRexmt(TcpCb tp) {
        assert tp.lockHeld();
        long us = currentRto(tp);
        if (tp.state == TcpState.SYN_SENT || tp.state == TcpState.SYN_RECEIVED) {
            long left = TimeUnit.MILLISECONDS.toMicros(tp.tcp.keepinit.get()) - (System.nanoTime() - tp.connStart) / 1000;
            us = Math.max(1000, Math.min(us, left));
        }
        tp.persistMode = false;
        tp.lossTimer = TcpRack.TIMER_RTO;
        tp.rexmtDeadline = System.nanoTime() + us * 1000;
        tp.rexmtTimer.reset(us, TimeUnit.MICROSECONDS);
    }

    /**
     * RACK's reordering timer or a loss probe in place of the retransmission timeout, in
     * {@code ns}: one callout serves all three, as Linux's {@code icsk_retransmit_timer} does.
     */
    static void armLossTimer(TcpCb tp, byte kind, long ns) {
        assert tp.lockHeld();
        tp.persistMode = false;
        tp.lossTimer = kind;
        tp.rexmtDeadline = System.nanoTime() + ns;
        tp.rexmtTimer.reset(ns, TimeUnit.NANOSECONDS);
    }

    static void stopRexmt(TcpCb tp) {
        assert tp.lockHeld();
        tp.rexmtDeadline = 0;
        tp.persistMode = false;
        tp.lossTimer = TcpRack.TIMER_RTO;
        tp.rexmtTimer.stop();
    }

    static void tcpSetpersist(TcpCb tp) {
        assert tp.lockHeld();
        long base = Math.max(tp.srtt + 4 * tp.rttvar, tp.tcp.rexmitInitial.get() * 1000L);
        long us = tp.rxtshift >= 20 ? Long.MAX_VALUE / 4 : base << tp.rxtshift;
        us = Math.max(us, tp.tcp.persmin.get() * 1000L);
        us = Math.min(us, tp.tcp.persmax.get() * 1000L);
        tp.persistMode = true;
        tp.lossTimer = TcpRack.TIMER_RTO;
        tp.rexmtDeadline = System.nanoTime() + us * 1000;
        tp.rexmtTimer.reset(us, TimeUnit.MICROSECONDS);
    }

    static void armDelack(TcpCb tp) {
        assert tp.lockHeld();
        long ms = tp.tcp.delacktime.get();
        tp.delackDeadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(ms);
        tp.delackTimer.reset(ms, TimeUnit.MILLISECONDS);
    }

    static void armMsl2(TcpCb tp, long ms) {
        assert tp.lockHeld();
        tp.msl2Deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(ms);
        tp.msl2Timer.reset(ms, TimeUnit.MILLISECONDS);
    }

    static void armKeep(TcpCb tp, long ms) {
        assert tp.lockHeld();
        tp.keepDeadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(ms);
        tp.keepTimer.reset(ms, TimeUnit.MILLISECONDS);
    }

    static void tcpTimerStop(TcpCb tp) {
        assert tp.lockHeld();
        stopRexmt(tp);
        tp.delackTimer.stop();
        tp.delackDeadline = 0;
        tp.msl2Timer.stop();
        tp.msl2Deadline = 0;
        tp.keepTimer.stop();
        tp.keepDeadline = 0;
    }

    /** A callout may run after it was stopped or moved: act only when its deadline is due. */
    private static boolean due(long deadline) {
        return deadline != 0 && System.nanoTime() - deadline >= -TimeUnit.MILLISECONDS.toNanos(2);
    }
}
