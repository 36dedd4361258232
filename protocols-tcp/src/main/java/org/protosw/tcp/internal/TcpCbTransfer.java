package org.protosw.tcp.internal;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.ObjIntConsumer;
import java.util.function.ObjLongConsumer;
import java.util.function.ToIntFunction;
import java.util.function.ToLongFunction;

import org.protosw.socket.SocketException;
import org.protosw.spi.Callout;
import org.protosw.tcp.cc.CongestionControl;

/**
 * One connection's {@code tcpcb} as JDK values and back, for a live upgrade. The scalar
 * variables are listed once, each with its reader and its writer, so what is exported is
 * exactly what is imported. Times that are {@code System.nanoTime()} values (RTT timing, idle
 * times, the timestamp clock, the path MTU's expiry) travel as they are: the next revision runs
 * in the same JVM and reads the same clock. Timers travel as the time they had left when the
 * core paused them, so the pause costs them nothing. What is per-ACK scratch
 * ({@code bytesThisAck}, the RTT sample of the ACK in progress) or a cache ({@code loopRoute})
 * starts afresh.
 */
final class TcpCbTransfer {
    private record IntVar(String name, ToIntFunction<TcpCb> get, ObjIntConsumer<TcpCb> set) {
    }

    private record LongVar(String name, ToLongFunction<TcpCb> get, ObjLongConsumer<TcpCb> set) {
    }

    private static final List<IntVar> INTS = List.of(
            new IntVar("flags", t -> t.flags & ~TcpCb.F_EXPORTED, (t, v) -> t.flags = v),
            new IntVar("laddr", t -> t.laddr, (t, v) -> t.laddr = v),
            new IntVar("lport", t -> t.lport, (t, v) -> t.lport = v),
            new IntVar("faddr", t -> t.faddr, (t, v) -> t.faddr = v),
            new IntVar("fport", t -> t.fport, (t, v) -> t.fport = v),
            new IntVar("iss", t -> t.iss, (t, v) -> t.iss = v),
            new IntVar("irs", t -> t.irs, (t, v) -> t.irs = v),
            new IntVar("sndUna", t -> t.sndUna, (t, v) -> t.sndUna = v),
            new IntVar("sndNxt", t -> t.sndNxt, (t, v) -> t.sndNxt = v),
            new IntVar("sndMax", t -> t.sndMax, (t, v) -> t.sndMax = v),
            new IntVar("sndWl1", t -> t.sndWl1, (t, v) -> t.sndWl1 = v),
            new IntVar("sndWl2", t -> t.sndWl2, (t, v) -> t.sndWl2 = v),
            new IntVar("rcvNxt", t -> t.rcvNxt, (t, v) -> t.rcvNxt = v),
            new IntVar("rcvAdv", t -> t.rcvAdv, (t, v) -> t.rcvAdv = v),
            new IntVar("lastAckSent", t -> t.lastAckSent, (t, v) -> t.lastAckSent = v),
            new IntVar("recover", t -> t.recover, (t, v) -> t.recover = v),
            new IntVar("sndScale", t -> t.sndScale, (t, v) -> t.sndScale = v),
            new IntVar("rcvScale", t -> t.rcvScale, (t, v) -> t.rcvScale = v),
            new IntVar("requestRcvScale", t -> t.requestRcvScale, (t, v) -> t.requestRcvScale = v),
            new IntVar("tsOffset", t -> t.tsOffset, (t, v) -> t.tsOffset = v),
            new IntVar("tsRecent", t -> t.tsRecent, (t, v) -> t.tsRecent = v),
            new IntVar("ourMss", t -> t.ourMss, (t, v) -> t.ourMss = v),
            new IntVar("userMss", t -> t.userMss, (t, v) -> t.userMss = v),
            new IntVar("peerMss", t -> t.peerMss, (t, v) -> t.peerMss = v),
            new IntVar("maxseg", t -> t.maxseg, (t, v) -> t.maxseg = v),
            new IntVar("roundEnd", t -> t.roundEnd, (t, v) -> t.roundEnd = v),
            new IntVar("dupacks", t -> t.dupacks, (t, v) -> t.dupacks = v),
            new IntVar("recoverPrev", t -> t.recoverPrev, (t, v) -> t.recoverPrev = v),
            new IntVar("badRxtWin", t -> t.badRxtWin, (t, v) -> t.badRxtWin = v),
            new IntVar("sndLimited", t -> t.sndLimited, (t, v) -> t.sndLimited = v),
            new IntVar("rxtshift", t -> t.rxtshift, (t, v) -> t.rxtshift = v),
            new IntVar("rtseq", t -> t.rtseq, (t, v) -> t.rtseq = v),
            new IntVar("keepCnt", t -> t.keepCnt, (t, v) -> t.keepCnt = v),
            new IntVar("pathMtu", t -> t.pathMtu, (t, v) -> t.pathMtu = v),
            new IntVar("negotiatedMss", t -> t.negotiatedMss, (t, v) -> t.negotiatedMss = v),
            new IntVar("dsackLeft", t -> t.dsackLeft, (t, v) -> t.dsackLeft = v),
            new IntVar("dsackRight", t -> t.dsackRight, (t, v) -> t.dsackRight = v));

    private static final List<LongVar> LONGS = List.of(
            new LongVar("sndWnd", t -> t.sndWnd, (t, v) -> t.sndWnd = v),
            new LongVar("maxSndWnd", t -> t.maxSndWnd, (t, v) -> t.maxSndWnd = v),
            new LongVar("rcvWnd", t -> t.rcvWnd, (t, v) -> t.rcvWnd = v),
            new LongVar("tsRecentAge", t -> t.tsRecentAge, (t, v) -> t.tsRecentAge = v),
            new LongVar("cwnd", t -> t.cwnd, (t, v) -> t.cwnd = v),
            new LongVar("ssthresh", t -> t.ssthresh, (t, v) -> t.ssthresh = v),
            new LongVar("rounds", t -> t.rounds, (t, v) -> t.rounds = v),
            new LongVar("cwndPrev", t -> t.cwndPrev, (t, v) -> t.cwndPrev = v),
            new LongVar("ssthreshPrev", t -> t.ssthreshPrev, (t, v) -> t.ssthreshPrev = v),
            new LongVar("srtt", t -> t.srtt, (t, v) -> t.srtt = v),
            new LongVar("rttvar", t -> t.rttvar, (t, v) -> t.rttvar = v),
            new LongVar("rto", t -> t.rto, (t, v) -> t.rto = v),
            new LongVar("rttStart", t -> t.rttStart, (t, v) -> t.rttStart = v),
            new LongVar("connStart", t -> t.connStart, (t, v) -> t.connStart = v),
            new LongVar("lastSend", t -> t.lastSend, (t, v) -> t.lastSend = v),
            new LongVar("rcvTime", t -> t.rcvTime, (t, v) -> t.rcvTime = v),
            new LongVar("keepIdleMs", t -> t.keepIdleMs, (t, v) -> t.keepIdleMs = v),
            new LongVar("keepIntvlMs", t -> t.keepIntvlMs, (t, v) -> t.keepIntvlMs = v),
            new LongVar("pathMtuExpires", t -> t.pathMtuExpires, (t, v) -> t.pathMtuExpires = v),
            new LongVar("totalRexmits", t -> t.totalRexmits, (t, v) -> t.totalRexmits = v),
            new LongVar("sackBlocksSeen", t -> t.sackBlocksSeen, (t, v) -> t.sackBlocksSeen = v),
            new LongVar("rfbufTs", t -> t.rfbufTs, (t, v) -> t.rfbufTs = v),
            new LongVar("rfbufCnt", t -> t.rfbufCnt, (t, v) -> t.rfbufCnt = v));

    private TcpCbTransfer() {
    }

    /** The connection's state; the caller holds its lock and the core has its timers paused. */
    static Map<String, Object> export(TcpCb tp) {
        assert tp.lockHeld();
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("state", tp.state.name());
        for (IntVar v : INTS) {
            m.put(v.name(), v.get().applyAsInt(tp));
        }
        for (LongVar v : LONGS) {
            m.put(v.name(), v.get().applyAsLong(tp));
        }
        m.put("dsackPending", tp.dsackPending);
        m.put("persistMode", tp.persistMode);
        // the table entry: what lookups match, which for an accepted connection is the listener's port
        m.put("inp", List.of(tp.inp.laddr(), tp.inp.lport(), tp.inp.faddr(), tp.inp.fport()));
        m.put("timers", Map.of(
                "rexmt", left(tp.rexmtTimer, tp.rexmtDeadline),
                "delack", left(tp.delackTimer, tp.delackDeadline),
                "2msl", left(tp.msl2Timer, tp.msl2Deadline),
                "keep", left(tp.keepTimer, tp.keepDeadline)));
        m.put("reass", tp.reass.exportState());
        m.put("sack", tp.sackBoard.exportState());
        m.put("dsackUndo", tp.dsackUndo.exportState());
        m.put("cc", exportCc(tp));
        if (tp.rack != null) {
            m.put("rack", tp.rack.exportState(tp));
        }
        return m;
    }

    /** Microseconds a timer had left, -1 when it was not armed (a stopped timer's deadline is 0). */
    private static long left(Callout c, long deadline) {
        return deadline == 0 ? -1 : c.remaining(TimeUnit.MICROSECONDS);
    }

    private static Map<String, Object> exportCc(TcpCb tp) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("algorithm", tp.ccAlgo.name());
        m.put("inited", tp.ccInited);
        Map<String, Object> data = tp.ccInited ? tp.cc.exportData(tp) : null;
        m.put("data", data == null ? null : new LinkedHashMap<>(data));
        return m;
    }

    /**
     * Sets {@code tp}'s variables, queues, timers and algorithm from an export. The caller holds
     * the lock; the table entry is the caller's to make, from {@link #tableEntry}.
     */
    static void restore(TcpCb tp, Map<String, Object> m) throws SocketException {
        assert tp.lockHeld();
        String state = TcpTransfer.string(m, "state");
        try {
            tp.state = TcpState.valueOf(state);
        } catch (IllegalArgumentException e) {
            throw TcpTransfer.bad("state " + state);
        }
        for (IntVar v : INTS) {
            v.set().accept(tp, TcpTransfer.integer(m, v.name()));
        }
        for (LongVar v : LONGS) {
            v.set().accept(tp, TcpTransfer.longValue(m, v.name()));
        }
        tp.dsackPending = TcpTransfer.bool(m, "dsackPending");
        tp.reass.restore(TcpTransfer.map(m, "reass"));
        tp.sackBoard.restore(TcpTransfer.map(m, "sack"));
        tp.dsackUndo.restore(TcpTransfer.map(m, "dsackUndo"));
        restoreCc(tp, TcpTransfer.map(m, "cc"));
        Map<String, Object> timers = TcpTransfer.map(m, "timers");
        long rexmt = TcpTransfer.longValue(timers, "rexmt");
        if (rexmt >= 0) {
            tp.rexmtDeadline = System.nanoTime() + rexmt * 1000;
            tp.rexmtTimer.reset(rexmt, TimeUnit.MICROSECONDS);
        }
        // after the reset: arming the retransmission timer is what clears persist mode elsewhere
        tp.persistMode = TcpTransfer.bool(m, "persistMode");
        // an export from a revision without RACK leaves the connection without it
        if (m.get("rack") != null) {
            tp.rack = TcpRack.restore(tp, TcpTransfer.map(m, "rack"));
        }
        long delack = TcpTransfer.longValue(timers, "delack");
        if (delack >= 0) {
            tp.delackDeadline = System.nanoTime() + delack * 1000;
            tp.delackTimer.reset(delack, TimeUnit.MICROSECONDS);
        }
        long msl2 = TcpTransfer.longValue(timers, "2msl");
        if (msl2 >= 0) {
            tp.msl2Deadline = System.nanoTime() + msl2 * 1000;
            tp.msl2Timer.reset(msl2, TimeUnit.MICROSECONDS);
        }
        long keep = TcpTransfer.longValue(timers, "keep");
        if (keep >= 0) {
            tp.keepDeadline = System.nanoTime() + keep * 1000;
            tp.keepTimer.reset(keep, TimeUnit.MICROSECONDS);
        }
    }

    /** The exported table entry: local address, local port, foreign address, foreign port. */
    static int[] tableEntry(Map<String, Object> m) throws SocketException {
        int[] e = TcpTransfer.ints(m, "inp");
        if (e.length != 4) {
            throw TcpTransfer.bad("table entry of " + e.length + " values");
        }
        return e;
    }

    /**
     * The connection goes on with the algorithm it had when this revision has it (a
     * congestion control bundle may be missing), with its private data when the algorithm
     * reads it; else the default algorithm starts from the carried window and threshold.
     */
    private static void restoreCc(TcpCb tp, Map<String, Object> m) throws SocketException {
        String name = TcpTransfer.string(m, "algorithm");
        boolean inited = TcpTransfer.bool(m, "inited");
        CcAlgo algo = tp.tcp.ccRegistry().lookup(name);
        if (algo == null || algo.gone()) {
            algo = tp.ccAlgo;
        }
        // the constructor attached the default; hand the connection over without connInit
        if (tp.ccInited) {
            tp.cc.destroy(tp);
        }
        tp.ccAlgo = algo;
        tp.cc = algo.impl();
        tp.ccData = null;
        tp.ccInited = inited;
        if (!inited) {
            return;
        }
        CongestionControl cc = tp.cc;
        Object data = m.get("data");
        @SuppressWarnings("unchecked")
        boolean carried = algo.name().equals(name) && data instanceof Map<?, ?> d
                && cc.importData(tp, (Map<String, Object>) d);
        if (!carried) {
            cc.init(tp);
        }
    }
}
