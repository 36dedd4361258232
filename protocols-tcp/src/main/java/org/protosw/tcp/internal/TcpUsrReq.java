package org.protosw.tcp.internal;

import static org.protosw.tcp.internal.TcpCb.*;

import java.util.LinkedHashMap;
import java.util.Map;

import org.protosw.socket.Errno;
import org.protosw.socket.InAddr;
import org.protosw.socket.InetSockAddr;
import org.protosw.socket.SockAddr;
import org.protosw.socket.SockOpt;
import org.protosw.socket.SocketException;
import org.protosw.spi.ConnectionInfo;
import org.protosw.spi.Packet;
import org.protosw.spi.Pcb;
import org.protosw.tcp.TcpInfo;
import org.protosw.tcp.TcpSockOpts;

/**
 * FreeBSD's {@code tcp_usrreq.c}: the user requests ({@code tcp_usr_bind},
 * {@code tcp_usr_connect} with {@code tcp_connect}, {@code tcp_usr_send},
 * {@code tcp_usr_close} with {@code tcp_disconnect}, {@code tcp_usrclosed}...), the socket
 * options ({@code tcp_ctloutput}) and {@code tcp_fill_info}. {@link TcpCb}'s {@code Pcb}
 * methods are the {@code pr_usrreqs} table that points here. Each request takes the
 * connection's lock itself.
 */
final class TcpUsrReq {
    private TcpUsrReq() {
    }

    static void tcpUsrBind(TcpCb tp, SockAddr addr) throws SocketException {
        InetSockAddr sin = inet(addr, "bind");
        tp.lock.lock();
        try {
            if (tp.state != TcpState.CLOSED || (tp.flags & F_SOCKCLOSED) != 0) {
                throw new SocketException(Errno.EINVAL, "bind: socket is " + tp.state);
            }
            if (isMulticastOrBroadcast(sin.addr().bits())) {
                throw new SocketException(Errno.EADDRNOTAVAIL, "bind: TCP cannot bind " + sin.addr());
            }
            tp.table.bind(tp.inp, sin, tp.so.option(SockOpt.SO_REUSEADDR), tp.so.option(SockOpt.SO_REUSEPORT));
        } finally {
            tp.unlock();
        }
    }

    static void tcpUsrListen(TcpCb tp, int backlog) throws SocketException {
        tp.lock.lock();
        try {
            if (tp.state != TcpState.CLOSED && tp.state != TcpState.LISTEN) {
                throw new SocketException(Errno.EINVAL, "listen: socket is " + tp.state);
            }
            if (tp.inp.lport() == 0) {
                tp.table.bind(tp.inp, InetSockAddr.ANY, tp.so.option(SockOpt.SO_REUSEADDR), tp.so.option(SockOpt.SO_REUSEPORT));
            }
            tp.state = TcpState.LISTEN;
        } finally {
            tp.unlock();
        }
    }

    /** {@code tcp_connect}: binds and picks the source if needed, then sends the SYN. */
    static void tcpUsrConnect(TcpCb tp, SockAddr addr) throws SocketException {
        InetSockAddr sin = inet(addr, "connect");
        tp.lock.lock();
        try {
            if (tp.state == TcpState.LISTEN) {
                throw new SocketException(Errno.EOPNOTSUPP, "connect: socket is listening");
            }
            if (tp.state != TcpState.CLOSED || tp.inp.faddr() != 0) {
                throw new SocketException(tp.state.haveEstablished() ? Errno.EISCONN : Errno.EINVAL, "connect: socket is " + tp.state);
            }
            int dst = sin.addr().bits();
            if (isMulticastOrBroadcast(dst)) {
                throw new SocketException(Errno.EADDRNOTAVAIL, "connect: TCP cannot connect to " + sin.addr());
            }
            tp.table.connect(tp.inp, sin);
            tp.laddr = tp.inp.laddr();
            tp.lport = tp.inp.lport();
            tp.faddr = tp.inp.faddr();
            tp.fport = tp.inp.fport();
            tp.iss = tp.tcp.isn().isn(tp.laddr, tp.lport, tp.faddr, tp.fport);
            tp.tsOffset = tp.tcp.isn().tsOffset(tp.laddr, tp.lport, tp.faddr, tp.fport);
            tp.sndUna = tp.sndNxt = tp.sndMax = tp.iss;
            tp.recover = tp.iss;
            tp.ourMss = TcpInput.tcpMssopt(tp);
            tp.maxseg = Math.min(tp.ourMss, tp.tcp.mssdflt.getInt());
            TcpSubr.requestOptions(tp);
            tp.connStart = System.nanoTime();
            tp.state = TcpState.SYN_SENT;
            tp.so.soisconnecting();
            tp.stats.connattempt.increment();
            TcpOutput.tcpOutput(tp);
        } finally {
            tp.unlock();
        }
    }

    static void tcpUsrShutdown(TcpCb tp) throws SocketException {
        tp.lock.lock();
        try {
            tcpUsrclosed(tp);
            if (tp.state != TcpState.CLOSED) {
                TcpOutput.tcpOutput(tp);
            }
        } finally {
            tp.unlock();
        }
    }

    static void tcpUsrSend(TcpCb tp, Packet data, SockAddr to, int msgFlags) throws SocketException {
        tp.lock.lock();
        try {
            TcpState st = tp.state;
            if ((tp.flags & F_NEEDFIN) != 0 || !(st == TcpState.ESTABLISHED || st == TcpState.CLOSE_WAIT
                    || st == TcpState.SYN_SENT || st == TcpState.SYN_RECEIVED)) {
                throw new SocketException(st == TcpState.CLOSED ? Errno.ECONNRESET : Errno.EPIPE, "send: connection is " + st);
            }
            tp.snd.appendStream(data);
            TcpOutput.tcpOutput(tp);
        } finally {
            tp.unlock();
        }
    }

    /** {@code tcp_usr_rcvd}: the application made room; the window may be worth announcing. */
    static void tcpUsrRcvd(TcpCb tp, int msgFlags) {
        tp.lock.lock();
        try {
            if (tp.state.haveEstablished() && !tp.state.haveRcvdFin() && tp.state != TcpState.TIME_WAIT) {
                TcpOutput.tcpOutput(tp);
            }
        } finally {
            tp.unlock();
        }
    }

    static SockAddr tcpUsrAccept(TcpCb tp) throws SocketException {
        tp.lock.lock();
        try {
            if (tp.state == TcpState.CLOSED) {
                throw new SocketException(Errno.ECONNABORTED, "accept: the connection was reset while queued");
            }
            return new InetSockAddr(new InAddr(tp.faddr), tp.fport);
        } finally {
            tp.unlock();
        }
    }

    static SockAddr tcpUsrSockaddr(TcpCb tp) {
        return new InetSockAddr(new InAddr(tp.inp.laddr()), tp.inp.lport());
    }

    static SockAddr tcpUsrPeeraddr(TcpCb tp) throws SocketException {
        if (tp.inp.faddr() == 0) {
            throw new SocketException(Errno.ENOTCONN, "getpeername");
        }
        return new InetSockAddr(new InAddr(tp.inp.faddr()), tp.inp.fport());
    }

    /** {@code tcp_usr_close} / {@code tcp_disconnect}. */
    static void tcpUsrClose(TcpCb tp) {
        tp.lock.lock();
        try {
            tp.flags |= F_SOCKCLOSED;
            tp.reass.clear();
            if (tp.state == TcpState.LISTEN || tp.state == TcpState.CLOSED) {
                TcpSubr.tcpClose(tp);
            } else if (tp.so.linger() == 0) {
                TcpSubr.tcpDrop(tp, null);
            } else {
                tcpUsrclosed(tp);
                if (tp.state != TcpState.CLOSED) {
                    TcpOutput.tcpOutput(tp);
                }
            }
        } finally {
            tp.unlock();
        }
    }

    static void tcpUsrAbort(TcpCb tp) {
        tp.lock.lock();
        try {
            tp.flags |= F_SOCKCLOSED;
            if (tp.state != TcpState.CLOSED) {
                TcpSubr.tcpDrop(tp, null);
            }
        } finally {
            tp.unlock();
        }
    }

    static void tcpUsrDetach(TcpCb tp) {
        tp.lock.lock();
        try {
            tp.flags |= F_DETACHED | F_SOCKCLOSED;
            tp.pendingDisconnect = false;
            tp.rcv = null;
            if ((tp.flags & TcpCb.F_EXPORTED) != 0) {
                // the next revision carries the connection on: leave without a word to the peer
                TcpSubr.tcpExported(tp);
                return;
            }
            switch (tp.state) {
                case CLOSED, LISTEN, SYN_SENT, SYN_RECEIVED -> {
                    // nothing sent that a peer waits for, or a half-open connection: gone
                    if (tp.state != TcpState.CLOSED) {
                        if (tp.state.haveRcvdSyn()) {
                            TcpSubr.sendRst(tp);
                        }
                        TcpSubr.tcpClose(tp);
                    } else {
                        TcpSubr.tcpDiscardcb(tp);
                    }
                }
                case TIME_WAIT -> TcpSubr.tcpTwShrink(tp);
                case FIN_WAIT_2 -> TcpTimer.armMsl2(tp, 2 * tp.tcp.msl.get());
                default -> {
                    // FIN_WAIT_1, CLOSING, LAST_ACK, ESTABLISHED/CLOSE_WAIT cannot be here
                    // after close; they go on delivering the send buffer and the FIN
                }
            }
        } finally {
            tp.unlock();
        }
    }

    /** {@code tcp_usrclosed}: the application will send no more. */
    private static void tcpUsrclosed(TcpCb tp) {
        assert tp.lockHeld();
        switch (tp.state) {
            case CLOSED, LISTEN -> TcpSubr.tcpClose(tp);
            case SYN_SENT, SYN_RECEIVED -> tp.flags |= F_NEEDFIN;
            case ESTABLISHED -> tp.state = TcpState.FIN_WAIT_1;
            case CLOSE_WAIT -> tp.state = TcpState.LAST_ACK;
            default -> {
            }
        }
        if (tp.state == TcpState.FIN_WAIT_2 && (tp.flags & F_SOCKCLOSED) != 0) {
            TcpTimer.armMsl2(tp, 2 * tp.tcp.msl.get());
        }
    }

    static <T> void tcpCtloutputSet(TcpCb tp, SockOpt<T> option, T value) throws SocketException {
        tp.lock.lock();
        try {
            if (option.equals(TcpSockOpts.TCP_NODELAY)) {
                if (Boolean.TRUE.equals(value)) {
                    tp.flags |= F_NODELAY;
                    if (tp.state.haveEstablished()) {
                        TcpOutput.tcpOutput(tp);
                    }
                } else {
                    tp.flags &= ~F_NODELAY;
                }
            } else if (option.equals(TcpSockOpts.TCP_MAXSEG)) {
                int v = (Integer) value;
                if (v < 64 || v > 65495) {
                    throw new SocketException(Errno.EINVAL, "TCP_MAXSEG must be 64..65495, got " + v);
                }
                tp.userMss = v;
                if (tp.state.haveEstablished()) {
                    tp.maxseg = Math.min(tp.maxseg, v);
                }
            } else if (option.equals(TcpSockOpts.TCP_CONGESTION)) {
                String name = (String) value;
                if (name == null || name.isBlank()) {
                    throw new SocketException(Errno.EINVAL, "TCP_CONGESTION needs an algorithm name");
                }
                CcAlgo a = tp.tcp.ccRegistry().lookup(name.trim());
                // checked under the lock: an algorithm marked gone is being moved off, and
                // the move reaches this connection only after this request
                if (a == null || a.gone()) {
                    throw new SocketException(Errno.ENOENT, "TCP_CONGESTION: no congestion control algorithm '" + name
                            + "' (available: " + String.join(", ", tp.tcp.ccRegistry().names()) + ")");
                }
                TcpSubr.ccSwitch(tp, a);
            } else if (option.equals(TcpSockOpts.TCP_INFO)) {
                throw new SocketException(Errno.EINVAL, "TCP_INFO is read only");
            } else if (!setKeepOption(tp, option, value) && !option.equals(SockOpt.SO_LINGER)) {
                throw new SocketException(Errno.ENOPROTOOPT, option.label() + " on a TCP socket");
            }
        } finally {
            tp.unlock();
        }
    }

    static <T> T tcpCtloutputGet(TcpCb tp, SockOpt<T> option) throws SocketException {
        tp.lock.lock();
        try {
            Object v;
            if (option.equals(TcpSockOpts.TCP_NODELAY)) {
                v = (tp.flags & F_NODELAY) != 0;
            } else if (option.equals(TcpSockOpts.TCP_MAXSEG)) {
                v = tp.state.haveEstablished() ? tp.maxseg : (tp.userMss > 0 ? tp.userMss : tp.tcp.mssdflt.getInt());
            } else if (option.equals(TcpSockOpts.TCP_CONGESTION)) {
                v = tp.ccAlgo.name();
            } else if (option.equals(TcpSockOpts.TCP_INFO)) {
                v = tcpFillInfo(tp);
            } else if (option.equals(TcpSockOpts.TCP_KEEPIDLE)) {
                v = (int) (tp.keepIdle() / 1000);
            } else if (option.equals(TcpSockOpts.TCP_KEEPINTVL)) {
                v = (int) (tp.keepIntvl() / 1000);
            } else if (option.equals(TcpSockOpts.TCP_KEEPCNT)) {
                v = tp.keepCount();
            } else {
                throw new SocketException(Errno.ENOPROTOOPT, option.label() + " on a TCP socket");
            }
            return option.cast(v);
        } finally {
            tp.unlock();
        }
    }

    /**
     * SO_KEEPALIVE (shown by the socket layer) and the TCP_KEEP* options, in seconds as in
     * FreeBSD; false for any other option. A change takes effect at once on a connection
     * that is already idle.
     */
    private static boolean setKeepOption(TcpCb tp, SockOpt<?> option, Object value) throws SocketException {
        assert tp.lockHeld();
        if (option.equals(SockOpt.SO_KEEPALIVE)) {
            // the socket layer keeps the flag; only the timer needs a new deadline
        } else if (option.equals(TcpSockOpts.TCP_KEEPIDLE) || option.equals(TcpSockOpts.TCP_KEEPINTVL)
                || option.equals(TcpSockOpts.TCP_KEEPCNT)) {
            int v = (Integer) value;
            if (v < 1 || (option.equals(TcpSockOpts.TCP_KEEPCNT) ? v > 1_000_000 : v > Integer.MAX_VALUE / 1000)) {
                throw new SocketException(Errno.EINVAL, option.label() + " must be positive, got " + v);
            }
            if (option.equals(TcpSockOpts.TCP_KEEPIDLE)) {
                tp.keepIdleMs = v * 1000L;
            } else if (option.equals(TcpSockOpts.TCP_KEEPINTVL)) {
                tp.keepIntvlMs = v * 1000L;
            } else {
                tp.keepCnt = v;
            }
        } else {
            return false;
        }
        if (tp.keepState()) {
            long idle = (System.nanoTime() - tp.rcvTime) / 1_000_000;
            TcpTimer.armKeep(tp, Math.max(1, tp.keepIdle() - idle));
        }
        return true;
    }

    static TcpInfo tcpFillInfo(TcpCb tp) {
        assert tp.lockHeld();
        return new TcpInfo(tp.state.netstatName(), tp.srtt, tp.rttvar, TcpTimer.currentRto(tp), tp.maxseg, tp.peerMss, tp.cwnd, tp.ssthresh, tp.sndWnd,
                tp.rcvWnd, tp.sndScale, tp.rcvScale, (tp.flags & F_RCVD_TSTMP) != 0 && (tp.flags & F_REQ_TSTMP) != 0,
                (tp.flags & F_RCVD_SCALE) != 0 && (tp.flags & F_REQ_SCALE) != 0, (tp.flags & F_SACK_PERMIT) != 0, tp.rxtshift,
                tp.totalRexmits, tp.sackBlocksSeen, tp.ccAlgo.name());
    }

    /** {@code netstat -T}: this connection's tcp_info, times in ms, sizes in bytes. */
    static Map<String, String> details(TcpCb tp) {
        TcpInfo i;
        tp.lock.lock();
        try {
            if (tp.state == TcpState.CLOSED || tp.state == TcpState.LISTEN) {
                return Map.of("cc", tp.ccAlgo.name());
            }
            i = tcpFillInfo(tp);
        } finally {
            tp.lock.unlock();
        }
        Map<String, String> m = new LinkedHashMap<>();
        m.put("rtt", millis(i.rtt()));
        m.put("rttvar", millis(i.rttvar()));
        m.put("rto", millis(i.rto()));
        m.put("mss", Integer.toString(i.sndMss()));
        m.put("cwnd", Long.toString(i.cwnd()));
        m.put("ssthresh", i.ssthresh() >= Integer.MAX_VALUE ? "-" : Long.toString(i.ssthresh()));
        m.put("snd_wnd", Long.toString(i.sndWnd()));
        m.put("rcv_wnd", Long.toString(i.rcvWnd()));
        m.put("rexmt", Long.toString(i.totalRetransmits()));
        m.put("sack", Long.toString(i.sackBlocksSeen()));
        m.put("cc", i.congestionControl());
        return m;
    }

    private static String millis(long micros) {
        return String.format(java.util.Locale.ROOT, "%.3f", micros / 1000.0);
    }

    /**
     * What netstat shows for this connection once its socket is gone (closing, TIME_WAIT);
     * null while a socket still has it, or once it is over.
     */
    static ConnectionInfo orphanInfo(TcpCb tp) {
        tp.lock.lock();
        try {
            if ((tp.flags & F_DETACHED) == 0 || tp.state == TcpState.CLOSED) {
                return null;
            }
            return new ConnectionInfo(new InetSockAddr(new InAddr(tp.laddr), tp.lport), new InetSockAddr(new InAddr(tp.faddr), tp.fport),
                    tp.state.netstatName(), 0, tp.snd == null ? 0 : tp.snd.cc());
        } finally {
            tp.lock.unlock();
        }
    }

    private static boolean isMulticastOrBroadcast(int a) {
        return (a >>> 28) == 0xe || a == -1;
    }

    private static InetSockAddr inet(SockAddr addr, String request) throws SocketException {
        if (addr == null) {
            throw new SocketException(Errno.EINVAL, request + " without an address");
        }
        if (!(addr instanceof InetSockAddr sin)) {
            throw new SocketException(Errno.EAFNOSUPPORT, request + " to a non-IPv4 address " + addr);
        }
        return sin;
    }
}
