package org.protosw.tcp.internal;

import static org.protosw.socket.SocketConstants.IPPROTO_TCP;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;

import org.protosw.socket.Errno;
import org.protosw.socket.InAddr;
import org.protosw.socket.InetSockAddr;
import org.protosw.socket.SockAddr;
import org.protosw.socket.SockOpt;
import org.protosw.socket.SocketException;
import org.protosw.spi.Callout;
import org.protosw.spi.ConnectionInfo;
import org.protosw.spi.InPcb;
import org.protosw.spi.InPcbTable;
import org.protosw.spi.Packet;
import org.protosw.spi.Pcb;
import org.protosw.spi.ProtoContext;
import org.protosw.spi.ProtoSocket;
import org.protosw.spi.Route;
import org.protosw.spi.SockBuf;
import org.protosw.tcp.TcpInfo;
import org.protosw.tcp.TcpSockOpts;
import org.protosw.tcp.cc.AckType;
import org.protosw.tcp.cc.CcVars;
import org.protosw.tcp.cc.CongestionControl;
import org.protosw.tcp.cc.CongestionSignal;
import org.protosw.wire.TcpHeader;
import org.protosw.wire.TcpOptions;

/**
 * One TCP connection ({@code struct tcpcb} with its {@code inpcb}): the user requests, the
 * per-connection half of {@code tcp_input} ({@code tcp_do_segment}), {@code tcp_output}
 * and the timers.
 *
 * <p><b>Locking.</b> Everything here runs under {@link #lock}. The socket upcalls made
 * under it only take socket-buffer or socket locks, which never call back into a pcb; the
 * one that can (soisdisconnected on a connection still on a listen queue makes the core
 * abort it) is deferred until the lock is released ({@link #unlock()}).
 *
 * <p><b>After the socket.</b> A closed connection lives on in the table (FIN_WAIT, CLOSING,
 * LAST_ACK, TIME_WAIT) after the core detached the socket: it then keeps only the send
 * buffer it still has to deliver, and in TIME_WAIT not even that.
 */
final class TcpCb implements Pcb, CcVars {
    static final int HANDLED = 0;
    static final int NOSOCKET = 1;
    static final int RELOOKUP = 2;

    private static final int TCP_MAXRXTSHIFT = 12;
    private static final long RTO_MAX_US = 64_000_000L;
    private static final int TSOPT_LEN = 12;
    /** RFC 7323 §5.5: timestamps older than 24 days no longer protect against wrapping. */
    private static final long PAWS_IDLE_MS = 24L * 24 * 3600 * 1000;

    // t_flags
    private static final int F_ACKNOW = 1;
    private static final int F_DELACK = 1 << 1;
    private static final int F_NEEDFIN = 1 << 2;
    private static final int F_NODELAY = 1 << 3;
    /** SS_NOFDREF: the application closed the socket (or the stack aborted it). */
    private static final int F_SOCKCLOSED = 1 << 4;
    private static final int F_DETACHED = 1 << 5;
    private static final int F_FORCEDATA = 1 << 6;
    private static final int F_REQ_SCALE = 1 << 7;
    private static final int F_REQ_TSTMP = 1 << 8;
    private static final int F_REQ_SACK = 1 << 9;
    private static final int F_RCVD_SCALE = 1 << 10;
    private static final int F_RCVD_TSTMP = 1 << 11;
    private static final int F_SACK_PERMIT = 1 << 12;
    private static final int F_FASTRECOVERY = 1 << 13;
    private static final int F_CONGRECOVERY = 1 << 14;
    private static final int F_RTTING = 1 << 15;
    private static final int F_RECOVER_VALID = 1 << 16;
    /** The window before the first timeout is saved, for undoing it (FreeBSD's TF_PREVVALID). */
    private static final int F_PREVVALID = 1 << 17;
    private static final int F_WASFRECOVERY = 1 << 18;
    private static final int F_WASCRECOVERY = 1 << 19;

    private final TcpProtocol tcp;
    private final ProtoContext ctx;
    private final TcpStats stats;
    private final InPcbTable<TcpCb> table;
    private final InPcb<TcpCb> inp;
    final ReentrantLock lock = new ReentrantLock();
    private final Callout rexmtTimer;
    private final Callout delackTimer;
    private final Callout msl2Timer;
    private final Callout keepTimer;
    private final TcpHeader oth = new TcpHeader();
    private final byte[] optBuf = new byte[40];
    private final int[] sackOut = new int[2 * TcpOptions.MAX_SACK_BLOCKS];
    /** A duplicate segment to report in the first SACK block of the next ACK (RFC 2883), once. */
    private boolean dsackPending;
    private int dsackLeft;
    private int dsackRight;

    private ProtoSocket so;
    private SockBuf snd;
    private SockBuf rcv;
    private TcpReass reass = new TcpReass();
    /** The algorithm (volatile for listings; the data path reads {@link #cc}) and whether its init ran. */
    private volatile CcAlgo ccAlgo;
    private CongestionControl cc;
    private boolean ccInited;
    private Object ccData;

    private volatile TcpState state = TcpState.CLOSED;
    private int flags;
    private boolean pendingDisconnect;

    private int laddr;
    private int lport;
    private int faddr;
    private int fport;

    private int iss;
    private int irs;
    private int sndUna;
    private int sndNxt;
    private int sndMax;
    private long sndWnd;
    private int sndWl1;
    private int sndWl2;
    private long maxSndWnd;
    private int rcvNxt;
    private int rcvAdv;
    private long rcvWnd;
    private int lastAckSent;
    private int recover;
    private int sndScale;
    private int rcvScale;
    private int requestRcvScale;

    private int tsOffset;
    private int tsRecent;
    private long tsRecentAge;

    /** Our MSS (what we announce), the peer's, and the payload of a full segment. */
    private int ourMss;
    private int userMss;
    private int peerMss;
    private int maxseg;

    private long cwnd;
    private long ssthresh = Long.MAX_VALUE / 4;
    private long bytesThisAck;
    /** The RTT sample of the ACK being processed in microseconds, -1 when it gave none. */
    private long rttThisAck = -1;
    /** Send rounds ended, and the sequence whose acknowledgment ends the current one. */
    private long rounds;
    private int roundEnd;
    private int dupacks;
    /** What the first timeout of a episode overwrote, restored if it proves spurious. */
    private long cwndPrev;
    private long ssthreshPrev;
    private int recoverPrev;
    /**
     * An ACK echoing a timestamp older than this (the retransmission's own), or without
     * timestamps arriving before it (ms, half an RTT after the retransmission), acknowledges
     * the original transmission: the timeout was spurious (FreeBSD's t_badrxtwin).
     */
    private int badRxtWin;
    /** Segments limited transmit sent since the first duplicate ACK (FreeBSD's snd_limited). */
    private int sndLimited;

    private int rxtshift;
    private long srtt;
    private long rttvar;
    private long rto;
    private int rtseq;
    private long rttStart;
    private long connStart;
    private long lastSend;
    private long rexmtDeadline;
    private boolean persistMode;
    private long delackDeadline;
    private long msl2Deadline;
    private long keepDeadline;
    /** When the last segment arrived (nanoTime, FreeBSD's t_rcvtime): keepalive idles from here. */
    private long rcvTime;
    /** TCP_KEEPIDLE, TCP_KEEPINTVL in ms and TCP_KEEPCNT; 0 means the sysctl's value. */
    private long keepIdleMs;
    private long keepIntvlMs;
    private int keepCnt;
    /** The path MTU learned from ICMP (RFC 1191), or 0 while the route's MTU holds. */
    private int pathMtu;
    /** When {@link #pathMtu} expires and the full MSS is tried again (nanoTime). */
    private long pathMtuExpires;
    /** The MSS both ends agreed on in the handshake (before timestamps), the ceiling a raised path MTU returns to. */
    private int negotiatedMss;

    private long totalRexmits;
    private long sackBlocksSeen;
    private int sackRcvdCount;
    private final int[] sackRcvd = new int[2 * TcpOptions.MAX_SACK_BLOCKS];
    private final SackScoreboard sackBoard = new SackScoreboard();
    private final DsackUndo dsackUndo = new DsackUndo();
    /** The ACK being processed carried a D-SACK and no other SACK information. */
    private boolean dsackOnlyAck;
    private final int[] holeOut = new int[2];
    /** Receive buffer autotuning: when the current measurement began (ns) and the bytes since. */
    private long rfbufTs;
    private long rfbufCnt;
    /** The peer address {@link #loopRoute} was looked up for (0: not yet). */
    private int routeChecked;
    private boolean loopRoute;

    TcpCb(TcpProtocol tcp, ProtoSocket so) {
        this.tcp = tcp;
        this.ctx = tcp.context();
        this.stats = tcp.stats();
        this.table = tcp.table();
        this.so = so;
        this.snd = so.snd();
        this.rcv = so.rcv();
        this.inp = table.alloc(this);
        this.rexmtTimer = ctx.newCallout(this::rexmtFired);
        this.delackTimer = ctx.newCallout(this::delackFired);
        this.msl2Timer = ctx.newCallout(this::msl2Fired);
        this.keepTimer = ctx.newCallout(this::keepFired);
        this.rto = tcp.rexmitInitial.get() * 1000L;
        // under the lock: the table already lists this connection, so an algorithm leaving
        // now waits for the choice below and then moves it
        lock.lock();
        try {
            ccAttach(defaultCc());
        } finally {
            lock.unlock();
        }
    }

    private CcAlgo defaultCc() {
        CcRegistry reg = tcp.ccRegistry();
        for (int i = 0; i < 4; i++) {
            CcAlgo a = reg.defaultFor(tcp);
            if (!a.gone()) {
                return a;
            }
        }
        return reg.lookup(NewReno.NAME);
    }

    // ==== congestion control algorithm =========================================================

    private void ccAttach(CcAlgo a) {
        ccAlgo = a;
        cc = a.impl();
        ccData = null;
        cc.init(this);
        ccInited = true;
    }

    private void ccDetach() {
        if (ccInited) {
            ccInited = false;
            cc.destroy(this);
        }
        ccData = null;
    }

    CcAlgo ccAlgo() {
        return ccAlgo;
    }

    /**
     * Hands the connection to another algorithm (lock held). What the connection learned
     * about the path stays: the new algorithm starts from the current window and threshold
     * (made sane), not from the initial window.
     */
    private void switchCc(CcAlgo to) {
        if (to == ccAlgo) {
            return;
        }
        boolean live = ccInited;
        long ocwnd = cwnd;
        long ossthresh = ssthresh;
        ccDetach();
        if (!live) {
            // closed or in TIME_WAIT: no hook will run again, only the name is shown
            ccAlgo = to;
            cc = to.impl();
            return;
        }
        ccAttach(to);
        if (state.haveEstablished()) {
            cc.connInit(this);
            cwnd = Math.clamp(ocwnd, maxseg, Math.max(maxseg, maxWindow()));
            ssthresh = Math.max(ossthresh, 2L * maxseg);
        }
    }

    /** The registry moves this connection off an algorithm that went away; true when it used it. */
    boolean moveCc(CcAlgo from, CcAlgo to) {
        lock.lock();
        try {
            if (ccAlgo != from) {
                return false;
            }
            switchCc(to);
            return true;
        } finally {
            lock.unlock();
        }
    }

    // ==== locking and upcalls =============================================================

    private void unlock() {
        boolean disc = pendingDisconnect;
        pendingDisconnect = false;
        ProtoSocket s = so;
        boolean live = (flags & F_DETACHED) == 0;
        lock.unlock();
        if (disc && s != null && live) {
            s.soisdisconnected();
        }
    }

    private boolean socketAlive() {
        return so != null && (flags & F_DETACHED) == 0;
    }

    // ==== user requests =====================================================================

    @Override
    public void bind(SockAddr addr) throws SocketException {
        InetSockAddr sin = inet(addr, "bind");
        lock.lock();
        try {
            if (state != TcpState.CLOSED || (flags & F_SOCKCLOSED) != 0) {
                throw new SocketException(Errno.EINVAL, "bind: socket is " + state);
            }
            if (isMulticastOrBroadcast(sin.addr().bits())) {
                throw new SocketException(Errno.EADDRNOTAVAIL, "bind: TCP cannot bind " + sin.addr());
            }
            table.bind(inp, sin, so.option(SockOpt.SO_REUSEADDR), so.option(SockOpt.SO_REUSEPORT));
        } finally {
            unlock();
        }
    }

    @Override
    public void listen(int backlog) throws SocketException {
        lock.lock();
        try {
            if (state != TcpState.CLOSED && state != TcpState.LISTEN) {
                throw new SocketException(Errno.EINVAL, "listen: socket is " + state);
            }
            if (inp.lport() == 0) {
                table.bind(inp, InetSockAddr.ANY, so.option(SockOpt.SO_REUSEADDR), so.option(SockOpt.SO_REUSEPORT));
            }
            state = TcpState.LISTEN;
        } finally {
            unlock();
        }
    }

    /** {@code tcp_connect}: binds and picks the source if needed, then sends the SYN. */
    @Override
    public void connect(SockAddr addr) throws SocketException {
        InetSockAddr sin = inet(addr, "connect");
        lock.lock();
        try {
            if (state == TcpState.LISTEN) {
                throw new SocketException(Errno.EOPNOTSUPP, "connect: socket is listening");
            }
            if (state != TcpState.CLOSED || inp.faddr() != 0) {
                throw new SocketException(state.haveEstablished() ? Errno.EISCONN : Errno.EINVAL, "connect: socket is " + state);
            }
            int dst = sin.addr().bits();
            if (isMulticastOrBroadcast(dst)) {
                throw new SocketException(Errno.EADDRNOTAVAIL, "connect: TCP cannot connect to " + sin.addr());
            }
            table.connect(inp, sin);
            laddr = inp.laddr();
            lport = inp.lport();
            faddr = inp.faddr();
            fport = inp.fport();
            iss = tcp.isn().isn(laddr, lport, faddr, fport);
            tsOffset = tcp.isn().tsOffset(laddr, lport, faddr, fport);
            sndUna = sndNxt = sndMax = iss;
            recover = iss;
            ourMss = announcedMss();
            maxseg = Math.min(ourMss, tcp.mssdflt.getInt());
            requestOptions();
            connStart = System.nanoTime();
            state = TcpState.SYN_SENT;
            so.soisconnecting();
            stats.connattempt.increment();
            output();
        } finally {
            unlock();
        }
    }

    @Override
    public void disconnect() throws SocketException {
        throw new SocketException(Errno.EOPNOTSUPP, "disconnect: a TCP connection ends with shutdown or close");
    }

    @Override
    public void shutdown() throws SocketException {
        lock.lock();
        try {
            usrClosed();
            if (state != TcpState.CLOSED) {
                output();
            }
        } finally {
            unlock();
        }
    }

    @Override
    public void send(Packet data, SockAddr to, int msgFlags) throws SocketException {
        lock.lock();
        try {
            TcpState st = state;
            if ((flags & F_NEEDFIN) != 0 || !(st == TcpState.ESTABLISHED || st == TcpState.CLOSE_WAIT
                    || st == TcpState.SYN_SENT || st == TcpState.SYN_RECEIVED)) {
                throw new SocketException(st == TcpState.CLOSED ? Errno.ECONNRESET : Errno.EPIPE, "send: connection is " + st);
            }
            snd.appendStream(data);
            output();
        } finally {
            unlock();
        }
    }

    /** {@code tcp_usr_rcvd}: the application made room; the window may be worth announcing. */
    @Override
    public void rcvd(int msgFlags) {
        lock.lock();
        try {
            if (state.haveEstablished() && !state.haveRcvdFin() && state != TcpState.TIME_WAIT) {
                output();
            }
        } finally {
            unlock();
        }
    }

    @Override
    public SockAddr accept() throws SocketException {
        lock.lock();
        try {
            if (state == TcpState.CLOSED) {
                throw new SocketException(Errno.ECONNABORTED, "accept: the connection was reset while queued");
            }
            return new InetSockAddr(new InAddr(faddr), fport);
        } finally {
            unlock();
        }
    }

    @Override
    public SockAddr sockaddr() {
        return new InetSockAddr(new InAddr(inp.laddr()), inp.lport());
    }

    @Override
    public SockAddr peeraddr() throws SocketException {
        if (inp.faddr() == 0) {
            throw new SocketException(Errno.ENOTCONN, "getpeername");
        }
        return new InetSockAddr(new InAddr(inp.faddr()), inp.fport());
    }

    @Override
    public <T> void setOption(SockOpt<T> option, T value) throws SocketException {
        lock.lock();
        try {
            if (option.equals(TcpSockOpts.TCP_NODELAY)) {
                if (Boolean.TRUE.equals(value)) {
                    flags |= F_NODELAY;
                    if (state.haveEstablished()) {
                        output();
                    }
                } else {
                    flags &= ~F_NODELAY;
                }
            } else if (option.equals(TcpSockOpts.TCP_MAXSEG)) {
                int v = (Integer) value;
                if (v < 64 || v > 65495) {
                    throw new SocketException(Errno.EINVAL, "TCP_MAXSEG must be 64..65495, got " + v);
                }
                userMss = v;
                if (state.haveEstablished()) {
                    maxseg = Math.min(maxseg, v);
                }
            } else if (option.equals(TcpSockOpts.TCP_CONGESTION)) {
                String name = (String) value;
                if (name == null || name.isBlank()) {
                    throw new SocketException(Errno.EINVAL, "TCP_CONGESTION needs an algorithm name");
                }
                CcAlgo a = tcp.ccRegistry().lookup(name.trim());
                // checked under the lock: an algorithm marked gone is being moved off, and
                // the move reaches this connection only after this request
                if (a == null || a.gone()) {
                    throw new SocketException(Errno.ENOENT, "TCP_CONGESTION: no congestion control algorithm '" + name
                            + "' (available: " + String.join(", ", tcp.ccRegistry().names()) + ")");
                }
                switchCc(a);
            } else if (option.equals(TcpSockOpts.TCP_INFO)) {
                throw new SocketException(Errno.EINVAL, "TCP_INFO is read only");
            } else if (!setKeepOption(option, value) && !option.equals(SockOpt.SO_LINGER)) {
                throw new SocketException(Errno.ENOPROTOOPT, option.label() + " on a TCP socket");
            }
        } finally {
            unlock();
        }
    }

    @Override
    public <T> T getOption(SockOpt<T> option) throws SocketException {
        lock.lock();
        try {
            Object v;
            if (option.equals(TcpSockOpts.TCP_NODELAY)) {
                v = (flags & F_NODELAY) != 0;
            } else if (option.equals(TcpSockOpts.TCP_MAXSEG)) {
                v = state.haveEstablished() ? maxseg : (userMss > 0 ? userMss : tcp.mssdflt.getInt());
            } else if (option.equals(TcpSockOpts.TCP_CONGESTION)) {
                v = ccAlgo.name();
            } else if (option.equals(TcpSockOpts.TCP_INFO)) {
                v = info();
            } else if (option.equals(TcpSockOpts.TCP_KEEPIDLE)) {
                v = (int) (keepIdle() / 1000);
            } else if (option.equals(TcpSockOpts.TCP_KEEPINTVL)) {
                v = (int) (keepIntvl() / 1000);
            } else if (option.equals(TcpSockOpts.TCP_KEEPCNT)) {
                v = keepCount();
            } else {
                throw new SocketException(Errno.ENOPROTOOPT, option.label() + " on a TCP socket");
            }
            return option.cast(v);
        } finally {
            unlock();
        }
    }

    TcpInfo info() {
        return new TcpInfo(state.netstatName(), srtt, rttvar, currentRto(), maxseg, peerMss, cwnd, ssthresh, sndWnd,
                rcvWnd, sndScale, rcvScale, (flags & F_RCVD_TSTMP) != 0 && (flags & F_REQ_TSTMP) != 0,
                (flags & F_RCVD_SCALE) != 0 && (flags & F_REQ_SCALE) != 0, (flags & F_SACK_PERMIT) != 0, rxtshift,
                totalRexmits, sackBlocksSeen, ccAlgo.name());
    }

    /**
     * What netstat shows for this connection once its socket is gone (closing, TIME_WAIT);
     * null while a socket still has it, or once it is over.
     */
    ConnectionInfo orphanInfo() {
        lock.lock();
        try {
            if ((flags & F_DETACHED) == 0 || state == TcpState.CLOSED) {
                return null;
            }
            return new ConnectionInfo(new InetSockAddr(new InAddr(laddr), lport), new InetSockAddr(new InAddr(faddr), fport),
                    state.netstatName(), 0, snd == null ? 0 : snd.cc());
        } finally {
            lock.unlock();
        }
    }

    /** {@code tcp_usr_close} / {@code tcp_disconnect}. */
    @Override
    public void close() {
        lock.lock();
        try {
            flags |= F_SOCKCLOSED;
            reass.clear();
            if (state == TcpState.LISTEN || state == TcpState.CLOSED) {
                closeConnection();
            } else if (so.linger() == 0) {
                drop(null);
            } else {
                usrClosed();
                if (state != TcpState.CLOSED) {
                    output();
                }
            }
        } finally {
            unlock();
        }
    }

    @Override
    public void abort() {
        lock.lock();
        try {
            flags |= F_SOCKCLOSED;
            if (state != TcpState.CLOSED) {
                drop(null);
            }
        } finally {
            unlock();
        }
    }

    @Override
    public void detach() {
        lock.lock();
        try {
            flags |= F_DETACHED | F_SOCKCLOSED;
            pendingDisconnect = false;
            rcv = null;
            switch (state) {
                case CLOSED, LISTEN, SYN_SENT, SYN_RECEIVED -> {
                    // nothing sent that a peer waits for, or a half-open connection: gone
                    if (state != TcpState.CLOSED) {
                        if (state.haveRcvdSyn()) {
                            sendRst();
                        }
                        closeConnection();
                    } else {
                        release();
                    }
                }
                case TIME_WAIT -> shrinkForTimeWait();
                case FIN_WAIT_2 -> armMsl2(2 * tcp.msl.get());
                default -> {
                    // FIN_WAIT_1, CLOSING, LAST_ACK, ESTABLISHED/CLOSE_WAIT cannot be here
                    // after close; they go on delivering the send buffer and the FIN
                }
            }
        } finally {
            unlock();
        }
    }

    @Override
    public String state() {
        return state.netstatName();
    }

    TcpState tcpState() {
        return state;
    }

    /** {@code netstat -T}: this connection's tcp_info, times in ms, sizes in bytes. */
    @Override
    public Map<String, String> details() {
        TcpInfo i;
        lock.lock();
        try {
            if (state == TcpState.CLOSED || state == TcpState.LISTEN) {
                return Map.of("cc", ccAlgo.name());
            }
            i = info();
        } finally {
            lock.unlock();
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

    /** The protocol is going away with this connection still in the table. */
    void unload() {
        lock.lock();
        try {
            flags |= F_DETACHED | F_SOCKCLOSED;
            if (state != TcpState.CLOSED) {
                if (state.haveRcvdSyn() && state != TcpState.TIME_WAIT) {
                    sendRst();
                }
                closeConnection();
            } else {
                release();
            }
        } finally {
            lock.unlock();
        }
    }

    /** {@code tcp_usrclosed}: the application will send no more. */
    private void usrClosed() {
        switch (state) {
            case CLOSED, LISTEN -> closeConnection();
            case SYN_SENT, SYN_RECEIVED -> flags |= F_NEEDFIN;
            case ESTABLISHED -> state = TcpState.FIN_WAIT_1;
            case CLOSE_WAIT -> state = TcpState.LAST_ACK;
            default -> {
            }
        }
        if (state == TcpState.FIN_WAIT_2 && (flags & F_SOCKCLOSED) != 0) {
            armMsl2(2 * tcp.msl.get());
        }
    }

    // ==== connection end ===================================================================

    /** {@code tcp_drop}: RST the peer when it knows us, report {@code errno}, close. */
    private void drop(Errno errno) {
        if (state.haveRcvdSyn()) {
            sendRst();
        }
        if (state.haveEstablished()) {
            stats.drops.increment();
        } else {
            stats.conndrops.increment();
        }
        if (errno != null && socketAlive()) {
            so.setError(errno);
        }
        closeConnection();
    }

    private void sendRst() {
        tcp.respond(laddr, lport, faddr, fport, sndNxt, rcvNxt, TcpHeader.RST | TcpHeader.ACK);
    }

    /** {@code tcp_close}: the connection is over; the table entry goes once the socket is gone. */
    private void closeConnection() {
        boolean wasOpen = state != TcpState.CLOSED && state != TcpState.LISTEN;
        state = TcpState.CLOSED;
        stopTimers();
        reass.clear();
        if (wasOpen) {
            stats.closed.increment();
        }
        if ((flags & F_DETACHED) != 0) {
            release();
        } else {
            pendingDisconnect = true;
        }
    }

    private void release() {
        stopTimers();
        ccDetach();
        table.remove(inp);
        so = null;
        snd = null;
        rcv = null;
    }

    /** TIME_WAIT without a socket keeps the sequence state and the timer only (FreeBSD's tcptw). */
    private void shrinkForTimeWait() {
        so = null;
        snd = null;
        rcv = null;
        reass = new TcpReass();
        ccDetach();
    }

    private void enterTimeWait() {
        state = TcpState.TIME_WAIT;
        stopRexmt();
        delackTimer.stop();
        delackDeadline = 0;
        armMsl2(2 * tcp.msl.get());
        if ((flags & F_DETACHED) != 0) {
            shrinkForTimeWait();
        } else {
            pendingDisconnect = true;
        }
    }

    private void stopTimers() {
        stopRexmt();
        delackTimer.stop();
        delackDeadline = 0;
        msl2Timer.stop();
        msl2Deadline = 0;
        keepTimer.stop();
        keepDeadline = 0;
    }

    // ==== ICMP ===============================================================================

    void ctlError(int type, int code, int seq, int nextMtu, int quotedLen) {
        lock.lock();
        try {
            if (state == TcpState.CLOSED || state == TcpState.LISTEN || !Seq.inWindow(seq, sndUna, sndMax + 1)) {
                return;
            }
            if (type == 3 && code == 4) {
                mtuDisc(nextMtu, quotedLen);
                return;
            }
            if (type == 3 && (code == 2 || code == 3) && state == TcpState.SYN_SENT) {
                stats.conndrops.increment();
                if (socketAlive()) {
                    so.setError(Errno.ECONNREFUSED);
                }
                closeConnection();
            }
        } finally {
            unlock();
        }
    }

    /**
     * {@code tcp_mtudisc} (RFC 1191): a router could not forward a segment of ours without
     * fragmenting it. The MSS drops to what the next hop takes (or, from a router too old to
     * say, to the next plateau below the size it refused), and what is outstanding goes
     * again at once in the smaller segments: those in flight are lost. Not a congestion
     * signal, so the window stays.
     */
    private void mtuDisc(int nextMtu, int quotedLen) {
        stats.mtudisc.increment();
        int mtu = nextMtu >= 68 ? nextMtu : PathMtu.plateauBelow(quotedLen);
        int ts = tsOk() ? TSOPT_LEN : 0;
        int mss = Math.max(mtu - 40, tcp.minmss.getInt()) - ts;
        if (mss >= maxseg) {
            // an old error, or a path that got no narrower than we already know
            return;
        }
        maxseg = mss;
        pathMtu = mtu;
        pathMtuExpires = tcp.hostCache().updateMtu(faddr, mtu);
        if (sndUna != sndMax) {
            stats.mturesent.increment();
            flags &= ~F_RTTING;
            sndNxt = sndUna;
            output();
        }
    }

    // ==== input ===============================================================================

    /** {@code tcp_do_segment} for this connection. Returns HANDLED, NOSOCKET or RELOOKUP. */
    int input(Segment s) {
        lock.lock();
        boolean listener = false;
        try {
            rcvTime = System.nanoTime();
            switch (state) {
                case CLOSED -> {
                    return NOSOCKET;
                }
                case LISTEN -> listener = true;
                case SYN_SENT -> synSentInput(s);
                default -> {
                    int r = synchronizedInput(s);
                    if (r != HANDLED) {
                        return r;
                    }
                }
            }
            if (!listener && state != TcpState.CLOSED) {
                output();
            }
        } finally {
            unlock();
        }
        if (listener) {
            listenInput(s);
        }
        return HANDLED;
    }

    /**
     * A segment for a listening socket (RFC 9293 §3.10.7.2). A SYN goes to the SYN cache,
     * not to a new socket; the ACK that completes a handshake the cache (or a cookie)
     * vouches for creates the connection, which then takes that ACK as its first segment.
     */
    private void listenInput(Segment s) {
        SynCache cache = tcp.synCache();
        if (s.has(TcpHeader.RST)) {
            cache.reset(s);
            return;
        }
        if (s.has(TcpHeader.ACK)) {
            if (s.has(TcpHeader.SYN)) {
                tcp.respondRst(s);
                return;
            }
            SynCache.Entry e = cache.expand(s);
            if (e == null) {
                tcp.respondRst(s);
                return;
            }
            TcpCb cb = synCacheSocket(e);
            if (cb == null) {
                // handshake done but no room in the listen queue: FreeBSD's default answer
                // (net.inet.tcp.syncache.rst_on_sock_fail) is a RST, not silence
                stats.syncacheAborted.increment();
                tcp.respondRst(s);
                return;
            }
            cb.input(s);
            return;
        }
        if (!s.has(TcpHeader.SYN) || s.has(TcpHeader.FIN)) {
            return;
        }
        ProtoSocket listenerSo = so;
        if (listenerSo == null) {
            return;
        }
        int ourMss = tcp.mssFor(s.src);
        if (userMss > 0) {
            ourMss = Math.min(ourMss, userMss);
        }
        int space = listenerSo.rcv().hiwat();
        cache.add(s, ourMss, rcvScaleFor(space), Math.min(space, TcpProtocol.TCP_MAXWIN));
    }

    /**
     * The window scale to offer for a receive buffer of {@code hiwat} bytes: from the largest
     * buffer autotuning may reach, as FreeBSD scales for sb_max, because the scale cannot
     * change once the connection is up. A passive open scaled for the listener's 64 KiB alone
     * could never advertise more than 128 KiB however far autotuning grew its buffer.
     */
    private int rcvScaleFor(int hiwat) {
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

    /**
     * {@code syncache_socket}: the connection of a completed handshake, in SYN_RECEIVED as
     * though it had sent the SYN-ACK itself, with the listener's options. Null when the
     * listen queue is full or the listener is closing.
     */
    private TcpCb synCacheSocket(SynCache.Entry e) {
        ProtoSocket listenerSo = so;
        if (listenerSo == null || state != TcpState.LISTEN) {
            return null;
        }
        TcpCb[] made = new TcpCb[1];
        ProtoSocket child = listenerSo.sonewconn(cso -> made[0] = new TcpCb(tcp, cso));
        if (child == null || made[0] == null) {
            stats.listendrop.increment();
            return null;
        }
        int inheritedFlags = flags & F_NODELAY;
        int inheritedMss = userMss;
        TcpCb cb = made[0];
        cb.lock.lock();
        try {
            cb.flags |= inheritedFlags;
            cb.userMss = inheritedMss;
            // as FreeBSD's syncache: the connection uses the listener's algorithm
            if (!ccAlgo.gone()) {
                cb.switchCc(ccAlgo);
            }
            if (!cb.fromSynCache(e)) {
                return null;
            }
        } finally {
            cb.unlock();
        }
        return cb;
    }

    private boolean fromSynCache(SynCache.Entry e) {
        try {
            table.insertConnected(inp, e.laddr, e.lport, e.faddr, e.fport);
        } catch (SocketException x) {
            stats.listendrop.increment();
            closeConnection();
            return false;
        }
        laddr = e.laddr;
        lport = e.lport;
        faddr = e.faddr;
        fport = e.fport;
        iss = e.iss;
        tsOffset = e.tsOffset;
        sndUna = iss;
        sndNxt = sndMax = iss + 1;
        recover = iss;
        irs = e.irs;
        rcvNxt = irs + 1;
        lastAckSent = rcvNxt;
        ourMss = announcedMss();
        requestOptions();
        if (e.rcvScale >= 0) {
            // what our SYN-ACK announced, whatever the buffer is now
            requestRcvScale = e.rcvScale;
        }
        peerMss = e.peerMss;
        if ((flags & F_REQ_SCALE) != 0 && e.peerWs >= 0) {
            flags |= F_RCVD_SCALE;
            sndScale = Math.min(e.peerWs, TcpProtocol.TCP_MAX_WINSHIFT);
            rcvScale = requestRcvScale;
        } else {
            flags &= ~(F_REQ_SCALE | F_RCVD_SCALE);
        }
        if ((flags & F_REQ_TSTMP) != 0 && e.ts) {
            flags |= F_RCVD_TSTMP;
            tsRecent = e.tsRecent;
            tsRecentAge = System.nanoTime() / 1_000_000;
        } else {
            flags &= ~(F_REQ_TSTMP | F_RCVD_TSTMP);
        }
        if ((flags & F_REQ_SACK) != 0 && e.sack) {
            flags |= F_SACK_PERMIT;
        } else {
            flags &= ~(F_REQ_SACK | F_SACK_PERMIT);
        }
        negotiatedMss = Math.min(Math.max(peerMss, 64), ourMss);
        maxseg = negotiatedMss - (tsOk() ? TSOPT_LEN : 0);
        applyCachedPathMtu();
        // as after a SYN-ACK of our own: the whole receive space counts as advertised
        rcvWnd = rcvSpace();
        rcvAdv = rcvNxt + (int) rcvWnd;
        sndWnd = e.win;
        sndWl1 = irs;
        sndWl2 = iss;
        connStart = System.nanoTime();
        state = TcpState.SYN_RECEIVED;
        stats.accepts.increment();
        return true;
    }

    /** RFC 9293 §3.10.7.3. */
    private void synSentInput(Segment s) {
        if (s.has(TcpHeader.ACK) && (Seq.leq(s.ack, iss) || Seq.gt(s.ack, sndMax))) {
            if (!s.has(TcpHeader.RST)) {
                tcp.respondRst(s);
            }
            return;
        }
        if (s.has(TcpHeader.RST)) {
            if (s.has(TcpHeader.ACK)) {
                stats.conndrops.increment();
                if (socketAlive()) {
                    so.setError(Errno.ECONNREFUSED);
                }
                closeConnection();
            }
            return;
        }
        if (!s.has(TcpHeader.SYN)) {
            return;
        }
        irs = s.seq;
        rcvNxt = s.seq + 1;
        rcvAdv = rcvNxt;
        synOptions(s);
        if (s.has(TcpHeader.ACK)) {
            sndUna = s.ack;
            if (Seq.lt(sndNxt, sndUna)) {
                sndNxt = sndUna;
            }
            if ((flags & F_RCVD_TSTMP) != 0 && s.hasTs && s.tsEcr != 0) {
                rttSample((tsNow() - s.tsEcr) * 1000L);
            } else if ((flags & F_RTTING) != 0 && Seq.gt(s.ack, rtseq)) {
                rttSample((System.nanoTime() - rttStart) / 1000);
            }
            stopRexmt();
            rxtshift = 0;
            sndWnd = (long) s.win << sndScale;
            maxSndWnd = sndWnd;
            sndWl1 = s.seq;
            sndWl2 = s.ack;
            flags |= F_ACKNOW;
            established();
            // data or a FIN riding on the SYN-ACK are left for the peer to send again
        } else {
            // simultaneous open (RFC 9293 Figure 8): answer with SYN,ACK from the same ISS
            state = TcpState.SYN_RECEIVED;
            sndWnd = s.win;
            sndWl1 = s.seq;
            sndWl2 = sndUna;
            sndNxt = iss;
            stopRexmt();
            rxtshift = 0;
            flags |= F_ACKNOW;
        }
    }

    /** The options of a SYN: each RFC 7323 / 2018 option is used only when both sides offer it. */
    private void synOptions(Segment s) {
        peerMss = s.hasMss ? s.mss : tcp.mssdflt.getInt();
        if ((flags & F_REQ_SCALE) != 0 && s.hasWs) {
            flags |= F_RCVD_SCALE;
            sndScale = Math.min(s.ws, TcpProtocol.TCP_MAX_WINSHIFT);
            rcvScale = requestRcvScale;
        } else {
            flags &= ~(F_REQ_SCALE | F_RCVD_SCALE);
            sndScale = 0;
            rcvScale = 0;
        }
        if ((flags & F_REQ_TSTMP) != 0 && s.hasTs) {
            flags |= F_RCVD_TSTMP;
            tsRecent = s.tsVal;
            tsRecentAge = System.nanoTime() / 1_000_000;
        } else {
            flags &= ~(F_REQ_TSTMP | F_RCVD_TSTMP);
        }
        if ((flags & F_REQ_SACK) != 0 && s.sackPermitted) {
            flags |= F_SACK_PERMIT;
        } else {
            flags &= ~(F_REQ_SACK | F_SACK_PERMIT);
        }
        negotiatedMss = Math.min(Math.max(peerMss, 64), ourMss);
        maxseg = negotiatedMss - (tsOk() ? TSOPT_LEN : 0);
        applyCachedPathMtu();
    }

    /**
     * {@code tcp_mss_update} with the host cache: a path MTU another connection learned
     * towards this host holds for this one too, until it expires.
     */
    private void applyCachedPathMtu() {
        TcpHostCache hc = tcp.hostCache();
        int mtu = hc.mtu(faddr);
        if (mtu == 0 || mtu - 40 >= negotiatedMss) {
            return;
        }
        maxseg = Math.max(mtu - 40, tcp.minmss.getInt()) - (tsOk() ? TSOPT_LEN : 0);
        pathMtu = mtu;
        pathMtuExpires = hc.expires(faddr);
    }

    /**
     * RFC 1191 §6.3: a lowered path MTU is not kept for ever, the path may have widened. Once
     * the estimate has expired (and no other connection renewed it) the MSS returns to what
     * the handshake agreed; a path still narrow answers with fragmentation needed again.
     */
    private void raisePathMtu() {
        TcpHostCache hc = tcp.hostCache();
        long renewed = hc.expires(faddr);
        if (renewed != 0) {
            pathMtuExpires = renewed;
            return;
        }
        int mss = negotiatedMss;
        if (userMss > 0) {
            mss = Math.min(mss, userMss);
        }
        maxseg = mss - (tsOk() ? TSOPT_LEN : 0);
        pathMtu = 0;
        pathMtuExpires = 0;
        stats.mturaised.increment();
    }

    private boolean tsOk() {
        return (flags & (F_REQ_TSTMP | F_RCVD_TSTMP)) == (F_REQ_TSTMP | F_RCVD_TSTMP);
    }

    private void established() {
        state = TcpState.ESTABLISHED;
        stats.connects.increment();
        roundEnd = sndMax;
        cc.connInit(this);
        armKeep(keepIdle());
        if ((flags & F_NEEDFIN) != 0) {
            flags &= ~F_NEEDFIN;
            state = TcpState.FIN_WAIT_1;
        }
        if (socketAlive()) {
            so.soisconnected();
        }
    }

    /** RFC 9293 §3.10.7.4 with RFC 5961 and RFC 7323, in the order of FreeBSD's tcp_do_segment. */
    private int synchronizedInput(Segment s) {
        int origFlags = s.flags;
        long nowMs = System.nanoTime() / 1_000_000;

        // PAWS (RFC 7323 §5.3)
        if (tsOk() && s.hasTs && !s.has(TcpHeader.RST) && tsRecent != 0 && Seq.lt(s.tsVal, tsRecent)) {
            if (nowMs - tsRecentAge > PAWS_IDLE_MS) {
                tsRecent = 0;
            } else {
                stats.pawsdrop.increment();
                flags |= F_ACKNOW;
                if (s.tlen > 0 && Seq.lt(s.seq, rcvNxt)) {
                    // an old copy of data held already (as Linux's tcp_send_dupack): the sender
                    // learns its retransmission was needless
                    noteDsack(s.seq, Seq.lt(s.seq + s.tlen, rcvNxt) ? s.seq + s.tlen : rcvNxt);
                }
                return HANDLED;
            }
        }

        // a new SYN may end TIME_WAIT when it is clearly from a new incarnation (RFC 6191)
        if (state == TcpState.TIME_WAIT && s.has(TcpHeader.SYN) && !s.has(TcpHeader.ACK) && !s.has(TcpHeader.RST)
                && (Seq.gt(s.seq, rcvNxt) || (tsOk() && s.hasTs && Seq.gt(s.tsVal, tsRecent)))) {
            closeConnection();
            return RELOOKUP;
        }

        rcvWnd = Math.max(rcvSpace(), rcvAdv - rcvNxt);

        // RST (RFC 5961 §3.2): only an exact match resets, one in the window earns a challenge ACK
        if (s.has(TcpHeader.RST)) {
            boolean inWin = Seq.inWindow(s.seq, rcvNxt, rcvNxt + (int) Math.max(rcvWnd, 1));
            if (!inWin) {
                stats.badrst.increment();
                return HANDLED;
            }
            if (s.seq != rcvNxt) {
                stats.badrst.increment();
                challengeAck();
                return HANDLED;
            }
            switch (state) {
                case SYN_RECEIVED -> {
                    stats.conndrops.increment();
                    if (socketAlive()) {
                        so.setError(Errno.ECONNREFUSED);
                    }
                }
                case ESTABLISHED, FIN_WAIT_1, FIN_WAIT_2, CLOSE_WAIT -> {
                    stats.drops.increment();
                    if (socketAlive()) {
                        so.setError(Errno.ECONNRESET);
                    }
                }
                default -> {
                }
            }
            closeConnection();
            return HANDLED;
        }

        // SYN in a synchronized state (RFC 5961 §4): challenge ACK
        if (s.has(TcpHeader.SYN) && state != TcpState.SYN_RECEIVED) {
            stats.badsyn.increment();
            challengeAck();
            return HANDLED;
        }
        if (state == TcpState.SYN_RECEIVED && s.has(TcpHeader.SYN) && !s.has(TcpHeader.ACK)) {
            if (s.seq == irs) {
                // the peer did not hear our SYN,ACK: say it again now
                sndNxt = iss;
                flags |= F_ACKNOW;
            }
            return HANDLED;
        }

        int tiwin = s.win;
        // trim what was received already
        int todrop = rcvNxt - s.seq;
        if (todrop > 0) {
            if (s.has(TcpHeader.SYN)) {
                s.flags &= ~TcpHeader.SYN;
                s.seq++;
                todrop--;
            }
            if (todrop > s.tlen || (todrop == s.tlen && !s.has(TcpHeader.FIN))) {
                s.flags &= ~TcpHeader.FIN;
                flags |= F_ACKNOW;
                todrop = s.tlen;
                stats.rcvduppack.increment();
                stats.rcvdupbyte.add(todrop);
            } else {
                stats.rcvpartduppack.increment();
            }
            if (todrop > 0) {
                noteDsack(s.seq, s.seq + todrop);
                s.trimFront(todrop);
            } else if (s.tlen == 0 && Seq.lt(s.seq, rcvNxt)) {
                s.seq = rcvNxt;
            }
        }

        // new data for a socket the application closed: nobody will read it (RFC 9293 §3.10.7.4)
        if ((flags & F_SOCKCLOSED) != 0 && s.tlen > 0 && state.ordinal() > TcpState.CLOSE_WAIT.ordinal()) {
            stats.rcvafterclose.increment();
            drop(null);
            return HANDLED;
        }

        // trim what lies beyond the window
        todrop = (s.seq + s.tlen) - (rcvNxt + (int) rcvWnd);
        if (todrop > 0) {
            stats.rcvpackafterwin.increment();
            if (todrop >= s.tlen) {
                if (rcvWnd == 0 && s.seq == rcvNxt) {
                    stats.rcvwinprobe.increment();
                }
                flags |= F_ACKNOW;
                if (!(rcvWnd == 0 && s.seq == rcvNxt) || !s.has(TcpHeader.ACK)) {
                    return HANDLED;
                }
            }
            s.trimBack(Math.min(todrop, s.tlen));
            s.flags &= ~(TcpHeader.PSH | TcpHeader.FIN);
        }

        // RFC 7323 §4.3: remember the timestamp of the segment that lines up with our ACK
        if (s.hasTs && tsOk() && Seq.leq(s.seq, lastAckSent)
                && Seq.leq(lastAckSent, s.seq + s.tlen + ((s.flags & (TcpHeader.SYN | TcpHeader.FIN)) != 0 ? 1 : 0))) {
            tsRecent = s.tsVal;
            tsRecentAge = nowMs;
        }

        if (!s.has(TcpHeader.ACK)) {
            return HANDLED;
        }

        boolean synAcked = false;
        if (state == TcpState.SYN_RECEIVED) {
            if (Seq.leq(s.ack, sndUna) || Seq.gt(s.ack, sndMax)) {
                tcp.respondRst(s);
                return HANDLED;
            }
            tiwin = s.win;
            sndWnd = (long) tiwin << sndScale;
            sndWl1 = s.seq - 1;
            synAcked = true;
            established();
        }
        long scaledWin = (long) tiwin << sndScale;

        // ACK processing (RFC 5961 §5.2 range check first)
        if (Seq.lt(s.ack, sndUna - (int) Math.min(maxSndWnd, Integer.MAX_VALUE))) {
            challengeAck();
            return HANDLED;
        }
        if (Seq.gt(s.ack, sndMax)) {
            stats.rcvacktoomuch.increment();
            flags |= F_ACKNOW;
            return HANDLED;
        }
        dsackOnlyAck = false;
        if (s.sackCount > 0 && (flags & F_SACK_PERMIT) != 0) {
            storeSack(s);
        }

        rttThisAck = -1;
        if (Seq.leq(s.ack, sndUna) && !synAcked) {
            // RFC 6675 §2: with SACK, a duplicate ACK is one that tells of new data held; a
            // D-SACK alone reports a segment that arrived twice, nothing left the network
            if (s.tlen == 0 && scaledWin == sndWnd && !s.has(TcpHeader.FIN) && sndMax != sndUna && s.ack == sndUna && !dsackOnlyAck) {
                stats.rcvdupack.increment();
                dupAck();
            } else if (s.tlen > 0 || scaledWin != sndWnd) {
                dupacks = 0;
            }
        } else {
            newAck(s, synAcked);
            if (state == TcpState.CLOSED) {
                return HANDLED;
            }
        }

        // window update (RFC 9293 §3.10.7.4, SND.WL1/WL2). From the same SEG.SEQ and SEG.ACK
        // a larger window is taken, as FreeBSD does, and a zero one, as Linux's
        // tcp_may_update_window does: ignoring it would send into the closed window and back
        // off the retransmission timer, where the persist timer should probe
        if (Seq.lt(sndWl1, s.seq) || (sndWl1 == s.seq && (Seq.lt(sndWl2, s.ack)
                || (sndWl2 == s.ack && (scaledWin > sndWnd || scaledWin == 0))))) {
            if (s.tlen == 0 && sndWl2 == s.ack && scaledWin > sndWnd) {
                stats.rcvwinupd.increment();
            }
            sndWnd = scaledWin;
            sndWl1 = s.seq;
            sndWl2 = s.ack;
            maxSndWnd = Math.max(maxSndWnd, sndWnd);
            if (persistMode && sndWnd > 0) {
                stopRexmt();
                rxtshift = 0;
                sndNxt = sndUna;
            }
        }

        int rcvBefore = rcvNxt;
        processData(s);
        if (rcvNxt != rcvBefore) {
            autoRcvBuf(rcvNxt - rcvBefore);
        }

        if (state == TcpState.TIME_WAIT && (origFlags & TcpHeader.FIN) != 0) {
            // a FIN again: our last ACK was lost; answer and wait the full 2*MSL again
            flags |= F_ACKNOW;
            armMsl2(2 * tcp.msl.get());
        }
        return HANDLED;
    }

    private void dupAck() {
        dupacks++;
        if ((flags & F_SACK_PERMIT) != 0) {
            sackDupAck();
            return;
        }
        if ((flags & F_FASTRECOVERY) != 0) {
            // RFC 5681 §3.2 step 4: each further duplicate means a segment left the network
            cwnd += maxseg;
            return;
        }
        if (dupacks == 3) {
            // RFC 6582 §3.2 step 2: a new recovery only when the ACK lies beyond "recover"
            if ((flags & F_RECOVER_VALID) != 0 && Seq.leq(sndUna, recover)) {
                return;
            }
            stats.sndrexmitfast.increment();
            stats.recoveryEpisodes.increment();
            cc.congSignal(this, CongestionSignal.NDUPACK);
            flags |= F_FASTRECOVERY | F_RECOVER_VALID;
            flags &= ~F_RTTING;
            recover = sndMax;
            stopRexmt();
            int onxt = sndNxt;
            long threshold = ssthresh;
            sndNxt = sndUna;
            cwnd = maxseg;
            output();
            cwnd = threshold + 3L * maxseg;
            if (Seq.gt(onxt, sndNxt)) {
                sndNxt = onxt;
            }
        } else {
            cc.ackReceived(this, AckType.DUPACK);
            limitedTransmit();
        }
    }

    /**
     * RFC 3042 limited transmit: each of the first two duplicate ACKs says a segment has left
     * the network, so one new segment may go (if the peer's window allows) without touching
     * the congestion window. In a small window this keeps enough ACKs coming for the third
     * duplicate to arrive, and so a fast retransmit instead of a timeout.
     */
    private void limitedTransmit() {
        if (tcp.rfc3042.get() == 0 || dupacks > 2) {
            return;
        }
        if (dupacks == 1) {
            sndLimited = 0;
        }
        long saved = cwnd;
        int before = sndMax;
        cwnd = (long) (sndNxt - sndUna) + (long) (dupacks - sndLimited) * maxseg;
        if (snd != null && snd.cc() > sndNxt - sndUna) {
            output();
        }
        int sent = sndMax - before;
        if (sent > maxseg) {
            sndLimited = 2;
        } else if (sent > 0) {
            sndLimited++;
        }
        cwnd = saved;
    }

    /**
     * RFC 6675 §5: with SACK, a duplicate ACK in recovery only updates the scoreboard (the
     * sending below is clocked by pipe, not by inflating cwnd); outside recovery the third one,
     * or a scoreboard that already shows the first segment lost, starts a recovery episode.
     */
    private void sackDupAck() {
        if ((flags & F_FASTRECOVERY) != 0) {
            return;
        }
        if (dupacks < SackScoreboard.DUP_THRESH && !sackBoard.isLost(sndUna, maxseg)) {
            cc.ackReceived(this, AckType.DUPACK);
            limitedTransmit();
            return;
        }
        if ((flags & F_RECOVER_VALID) != 0 && Seq.leq(sndUna, recover)) {
            return;
        }
        stats.sndrexmitfast.increment();
        stats.recoveryEpisodes.increment();
        stats.sackRecoveryEpisodes.increment();
        dsackUndo.start(cwnd, ssthresh);
        cc.congSignal(this, CongestionSignal.NDUPACK);
        flags |= F_FASTRECOVERY | F_RECOVER_VALID;
        flags &= ~F_RTTING;
        recover = sndMax;
        sackBoard.startRecovery(sndUna);
        stopRexmt();
        // RFC 6675 §5 (4.3): the first segment goes out at once, whatever pipe says
        int end = sndMax;
        if (sackBoard.nextHole(sndUna, maxseg, false, holeOut)) {
            end = holeOut[1];
        }
        sackSend(sndUna, end, true);
    }

    private boolean inSackRecovery() {
        return (flags & (F_FASTRECOVERY | F_SACK_PERMIT)) == (F_FASTRECOVERY | F_SACK_PERMIT);
    }

    /**
     * RFC 6675 §5 step (C): while cwnd - pipe leaves room for a segment, send what NextSeg()
     * picks: a lost hole, then new data, then any unretransmitted hole, then the rescue segment.
     */
    private void sackRecoveryOutput() {
        int avail = snd == null ? 0 : snd.cc();
        for (int guard = 0; guard < 1024; guard++) {
            long pipe = sackBoard.pipe(sndUna, sndMax, maxseg);
            if (cwnd - pipe < maxseg) {
                return;
            }
            if (sackBoard.nextHole(sndUna, maxseg, true, holeOut)) {
                if (!sackSend(holeOut[0], holeOut[1], true)) {
                    return;
                }
                continue;
            }
            int off = sndMax - sndUna;
            if (off < avail && sndWnd > off) {
                int onxt = sndNxt;
                sndNxt = sndMax;
                int len = (int) Math.min(Math.min(avail - off, sndWnd - off), Math.max(1, effectiveMss() - optionsLength(TcpHeader.ACK)));
                int thflags = TcpHeader.ACK;
                if (state.finQueued() && off + len == avail) {
                    thflags |= TcpHeader.FIN;
                }
                transmit(thflags, len, off);
                if (Seq.gt(onxt, sndNxt)) {
                    sndNxt = onxt;
                }
                continue;
            }
            if (sackBoard.nextHole(sndUna, maxseg, false, holeOut)) {
                if (!sackSend(holeOut[0], holeOut[1], true)) {
                    return;
                }
                continue;
            }
            if (sackBoard.rescue(sndUna, sndMax, recover, maxseg, holeOut)) {
                sackSend(holeOut[0], holeOut[1], false);
            }
            return;
        }
    }

    /** Retransmits up to one segment of the unSACKed range [from, end); false when it holds no data. */
    private boolean sackSend(int from, int end, boolean advanceHighRxt) {
        int avail = snd == null ? 0 : snd.cc();
        int off = from - sndUna;
        int len = Math.min(end - from, avail - off);
        len = Math.min(len, Math.max(1, effectiveMss() - optionsLength(TcpHeader.ACK)));
        if (len <= 0) {
            return false;
        }
        int onxt = sndNxt;
        sndNxt = from;
        transmit(TcpHeader.ACK, len, off);
        if (Seq.gt(onxt, sndNxt)) {
            sndNxt = onxt;
        }
        stats.sackRexmits.increment();
        stats.sackRexmitBytes.add(len);
        dsackUndo.retransmitted(from, from + len);
        if (advanceHighRxt) {
            sackBoard.retransmitted(from + len);
        }
        return true;
    }

    private void newAck(Segment s, boolean synAcked) {
        int acked = s.ack - sndUna;
        if (synAcked) {
            // the SYN occupied one sequence number
            sndUna++;
            acked--;
        }
        boolean partial = false;
        if ((flags & F_FASTRECOVERY) != 0) {
            if (Seq.lt(s.ack, recover)) {
                partial = true;
            } else {
                flags &= ~F_FASTRECOVERY;
            }
        }
        if ((flags & F_CONGRECOVERY) != 0 && Seq.geq(s.ack, recover)) {
            flags &= ~F_CONGRECOVERY;
        }
        undoSpuriousRto(s);
        boolean exitedFast = !partial && dupacks >= 3 && (flags & F_FASTRECOVERY) == 0 && (flags & F_RECOVER_VALID) != 0
                && Seq.geq(s.ack, recover);
        dupacks = 0;

        // RTT (RFC 6298 with Karn, or RFC 7323 RTTM)
        if (tsOk() && s.hasTs && s.tsEcr != 0 && Seq.leq(s.tsEcr, tsNow())) {
            rttSample(Math.max(0, tsNow() - s.tsEcr) * 1000L);
        } else if ((flags & F_RTTING) != 0 && Seq.gt(s.ack, rtseq)) {
            rttSample((System.nanoTime() - rttStart) / 1000);
        }

        int held = snd == null ? 0 : snd.cc();
        boolean finAcked = false;
        int dataAcked = acked;
        if (acked > held) {
            dataAcked = held;
            finAcked = state.finQueued();
        }
        if (dataAcked > 0 && snd != null) {
            snd.drop(dataAcked);
        }
        sndUna = s.ack;
        if (Seq.lt(sndNxt, sndUna)) {
            sndNxt = sndUna;
        }
        if (Seq.geq(sndUna, roundEnd)) {
            // all that was sent when this round began is acknowledged: the next one starts
            rounds++;
            roundEnd = sndMax;
        }
        stats.rcvackpack.increment();
        stats.rcvackbyte.add(dataAcked);
        bytesThisAck = dataAcked;

        sackBoard.ackedTo(sndUna);
        if (partial && (flags & F_SACK_PERMIT) != 0) {
            // RFC 6675: a partial ACK only moves HighACK; output() sends by pipe
        } else if (partial) {
            // RFC 6582 §3.2 step 5: resend the next hole at once, deflate by what was acked
            int onxt = sndNxt;
            long ocwnd = cwnd;
            sndNxt = sndUna;
            cwnd = maxseg;
            output();
            cwnd = Math.max(ocwnd - dataAcked + maxseg, maxseg);
            if (Seq.gt(onxt, sndNxt)) {
                sndNxt = onxt;
            }
        } else if (exitedFast) {
            cc.postRecovery(this);
        } else if ((flags & F_FASTRECOVERY) == 0) {
            cc.ackReceived(this, AckType.ACK);
        }

        if (sndUna == sndMax) {
            stopRexmt();
        } else if (!persistMode) {
            armRexmt();
        }
        if (dataAcked > 0 && socketAlive()) {
            so.sowwakeup();
        }

        if (finAcked) {
            switch (state) {
                case FIN_WAIT_1 -> {
                    state = TcpState.FIN_WAIT_2;
                    if ((flags & F_SOCKCLOSED) != 0) {
                        armMsl2(2 * tcp.msl.get());
                    }
                }
                case CLOSING -> enterTimeWait();
                case LAST_ACK -> closeConnection();
                default -> {
                }
            }
        }
    }

    private void storeSack(Segment s) {
        int n = 0;
        int una = Seq.gt(s.ack, sndUna) ? s.ack : sndUna;
        int first = 0;
        if (isDsack(s)) {
            first = 1;
            dsackReceived(s.sack[0], s.sack[1]);
            dsackOnlyAck = s.sackCount == 1;
        }
        for (int i = first; i < s.sackCount; i++) {
            int l = s.sack[2 * i];
            int r = s.sack[2 * i + 1];
            // RFC 2018: only blocks above the cumulative ACK and inside what we sent count
            if (Seq.lt(l, r) && Seq.gt(r, sndUna) && Seq.leq(r, sndMax)) {
                sackRcvd[2 * n] = l;
                sackRcvd[2 * n + 1] = r;
                n++;
                sackBoard.add(Seq.gt(l, una) ? l : una, r);
            }
        }
        sackRcvdCount = n;
        sackBlocksSeen += n;
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
    private void dsackReceived(int l, int r) {
        stats.dsackRcvd.increment();
        stats.dsackBytes.add(r - l);
        if (dsackUndo.duplicate(l, r)) {
            undoSpuriousFastRetransmit();
        }
    }

    /**
     * The window, ssthresh and the algorithm's state go back to what the episode found
     * (never below what they are now: the window may have grown since), as
     * {@link #undoSpuriousRto} does for a timeout (RFC 9438 §4.9 for the algorithm).
     */
    private void undoSpuriousFastRetransmit() {
        stats.sndrexmitbadfast.increment();
        undoCongestionSignal(dsackUndo.cwndPrev(), dsackUndo.ssthreshPrev());
        dsackUndo.forget();
    }

    /**
     * Takes back a window reduction that proved needless (a spurious timeout or fast
     * retransmit): the algorithm undoes its own state (RTO_ERR, RFC 9438 §4.9), and cwnd and
     * ssthresh return to what they were, never below what they are now.
     */
    private void undoCongestionSignal(long cwndBefore, long ssthreshBefore) {
        cc.congSignal(this, CongestionSignal.RTO_ERR);
        cwnd = Math.max(cwnd, cwndBefore);
        ssthresh = Math.max(ssthresh, ssthreshBefore);
    }

    /**
     * {@code net.inet.tcp.recvbuf_auto}: once per round trip, when the bytes that arrived in
     * order filled 7/8 of the receive buffer, the window was the limit: double the buffer (up
     * to {@code recvbuf_max}) so the next round trip may carry more. The window scale was
     * chosen from {@code recvbuf_max}, so the larger window can be announced.
     */
    private void autoRcvBuf(int n) {
        if (tcp.recvbufAuto.get() == 0 || rcv == null || !socketAlive() || srtt == 0) {
            return;
        }
        long now = System.nanoTime();
        if (rfbufTs == 0) {
            rfbufTs = now;
            rfbufCnt = 0;
        }
        rfbufCnt += n;
        if (now - rfbufTs <= srtt * 1000) {
            return;
        }
        int hiwat = rcv.hiwat();
        long max = tcp.recvbufMax.get();
        if (rfbufCnt > hiwat / 8 * 7 && hiwat < max) {
            int grown = (int) Math.min(Math.max(hiwat, 2 * rfbufCnt), max);
            so.soreserve(snd.hiwat(), grown);
            if (rcv.hiwat() > hiwat) {
                stats.rcvbufGrown.increment();
            }
        }
        rfbufTs = now;
        rfbufCnt = 0;
    }

    /**
     * {@code net.inet.tcp.sendbuf_auto}: the send buffer is nearly full and the windows would
     * take everything in it that is unsent: the buffer is the limit, so grow it by
     * {@code sendbuf_inc} (up to {@code sendbuf_max}) and let the writer queue more.
     */
    private void autoSndBuf() {
        if (tcp.sendbufAuto.get() == 0 || snd == null || rcv == null || !socketAlive() || !state.haveEstablished()) {
            return;
        }
        int hiwat = snd.hiwat();
        int used = snd.cc();
        long max = tcp.sendbufMax.get();
        long sendwin = Math.min(sndWnd, cwnd);
        if (sndWnd / 4 * 5 >= hiwat && used >= hiwat / 8 * 7 && hiwat < max
                && sendwin >= used - (sndNxt - sndUna)) {
            so.soreserve((int) Math.min(hiwat + tcp.sendbufInc.get(), max), rcv.hiwat());
            if (snd.hiwat() > hiwat) {
                stats.sndbufGrown.increment();
                so.sowwakeup();
            }
        }
    }

    /** Queues in-order data to the socket, out-of-order data to the reassembly queue; then the FIN. */
    private void processData(Segment s) {
        boolean fin = s.has(TcpHeader.FIN);
        if ((s.tlen > 0 || fin) && !state.haveRcvdFin() && state != TcpState.CLOSED) {
            boolean wake = false;
            if (s.seq == rcvNxt && reass.isEmpty()) {
                if (s.tlen > 0) {
                    int n = s.tlen;
                    rcvNxt += n;
                    stats.rcvpack.increment();
                    stats.rcvbyte.add(n);
                    if (tcp.delayedAck.get() != 0 && (flags & F_DELACK) == 0 && !fin) {
                        flags |= F_DELACK;
                        armDelack();
                    } else {
                        flags |= F_ACKNOW;
                    }
                    if (rcv != null) {
                        rcv.appendStream(s.takePayload());
                        wake = true;
                    }
                }
            } else if (Seq.geq(s.seq, rcvNxt)) {
                if (s.tlen > 0) {
                    stats.rcvoopack.increment();
                    stats.rcvoobyte.add(s.tlen);
                }
                int segSeq = s.seq;
                int segLen = s.tlen;
                if (reass.insert(segSeq, s.takePayload(), fin) == 0 && segLen > 0) {
                    // all of it was queued already
                    noteDsack(segSeq, segSeq + segLen);
                }
                fin = false;
                flags |= F_ACKNOW;
                TcpReass.Seg q;
                while ((q = reass.pollInOrder(rcvNxt)) != null) {
                    int n = q.len();
                    rcvNxt += n;
                    stats.rcvpack.increment();
                    stats.rcvbyte.add(n);
                    if (n > 0 && rcv != null) {
                        rcv.appendStream(q.data);
                        wake = true;
                    }
                    if (q.fin) {
                        fin = true;
                        reass.clear();
                        break;
                    }
                }
            } else {
                fin = false;
            }
            if (wake && socketAlive()) {
                so.sorwakeup();
            }
        } else if (!state.haveRcvdFin() || s.tlen > 0) {
            fin = fin && state.haveRcvdFin() ? false : fin;
        }
        if (fin && !state.haveRcvdFin()) {
            rcvNxt++;
            flags |= F_ACKNOW;
            if (socketAlive()) {
                so.socantrcvmore();
            }
            switch (state) {
                case SYN_RECEIVED, ESTABLISHED -> state = TcpState.CLOSE_WAIT;
                case FIN_WAIT_1 -> state = TcpState.CLOSING;
                case FIN_WAIT_2 -> enterTimeWait();
                default -> {
                }
            }
        }
    }

    /**
     * RFC 2883: data that arrived twice is reported to the sender in the first SACK block of
     * the ACK it earns, sent at once, so the sender can tell an unnecessary retransmission.
     */
    private void noteDsack(int left, int right) {
        if ((flags & F_SACK_PERMIT) == 0 || tcp.dsack.get() == 0) {
            return;
        }
        dsackLeft = left;
        dsackRight = right;
        dsackPending = true;
        flags |= F_ACKNOW;
    }

    /** RFC 5961 §7: challenge ACKs are plain ACKs of where we are. */
    private void challengeAck() {
        stats.challengeAck.increment();
        flags |= F_ACKNOW;
    }

    // ==== RTT and timers =====================================================================

    /** RFC 6298 §2: one RTT sample in microseconds. */
    private void rttSample(long r) {
        stats.rttupdated.increment();
        flags &= ~F_RTTING;
        rttThisAck = r;
        if (srtt == 0) {
            srtt = Math.max(r, 1);
            rttvar = r / 2;
        } else {
            long delta = Math.abs(srtt - r);
            rttvar = (3 * rttvar + delta) / 4;
            srtt = Math.max((7 * srtt + r) / 8, 1);
        }
        // G, the clock granularity, is 1 ms
        rto = srtt + Math.max(1000, 4 * rttvar);
        rxtshift = 0;
    }

    private long currentRto() {
        long min = tcp.rexmitMin.get() * 1000L;
        long base = Math.max(rto, min);
        long v = rxtshift >= 20 ? RTO_MAX_US : base << rxtshift;
        return Math.min(Math.max(v, min), RTO_MAX_US);
    }

    private void armRexmt() {
        long us = currentRto();
        if (state == TcpState.SYN_SENT || state == TcpState.SYN_RECEIVED) {
            long left = TimeUnit.MILLISECONDS.toMicros(tcp.keepinit.get()) - (System.nanoTime() - connStart) / 1000;
            us = Math.max(1000, Math.min(us, left));
        }
        persistMode = false;
        rexmtDeadline = System.nanoTime() + us * 1000;
        rexmtTimer.reset(us, TimeUnit.MICROSECONDS);
    }

    private void stopRexmt() {
        rexmtDeadline = 0;
        persistMode = false;
        rexmtTimer.stop();
    }

    private void armPersist() {
        long base = Math.max(srtt + 4 * rttvar, tcp.rexmitInitial.get() * 1000L);
        long us = rxtshift >= 20 ? Long.MAX_VALUE / 4 : base << rxtshift;
        us = Math.max(us, tcp.persmin.get() * 1000L);
        us = Math.min(us, tcp.persmax.get() * 1000L);
        persistMode = true;
        rexmtDeadline = System.nanoTime() + us * 1000;
        rexmtTimer.reset(us, TimeUnit.MICROSECONDS);
    }

    private void armDelack() {
        long ms = tcp.delacktime.get();
        delackDeadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(ms);
        delackTimer.reset(ms, TimeUnit.MILLISECONDS);
    }

    private void armMsl2(long ms) {
        msl2Deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(ms);
        msl2Timer.reset(ms, TimeUnit.MILLISECONDS);
    }

    /** A callout may run after it was stopped or moved: act only when its deadline is due. */
    private static boolean due(long deadline) {
        return deadline != 0 && System.nanoTime() - deadline >= -TimeUnit.MILLISECONDS.toNanos(2);
    }

    /** {@code tcp_timer_rexmt} and {@code tcp_timer_persist}. */
    private void rexmtFired() {
        lock.lock();
        try {
            if (!due(rexmtDeadline) || state == TcpState.CLOSED) {
                return;
            }
            rexmtDeadline = 0;
            if (persistMode) {
                persistFired();
                return;
            }
            if (state == TcpState.SYN_SENT || state == TcpState.SYN_RECEIVED) {
                boolean expired = (System.nanoTime() - connStart) / 1_000_000 >= tcp.keepinit.get();
                if (++rxtshift > tcp.synRetries.get() || expired) {
                    stats.timeoutdrop.increment();
                    drop(Errno.ETIMEDOUT);
                    return;
                }
            } else if (++rxtshift > TCP_MAXRXTSHIFT) {
                stats.timeoutdrop.increment();
                drop(Errno.ETIMEDOUT);
                return;
            }
            stats.rexmttimeo.increment();
            dsackUndo.forget();
            if (state.haveEstablished() && rxtshift == 1) {
                saveForUndo();
            } else {
                flags &= ~F_PREVVALID;
            }
            if (state.haveEstablished()) {
                if (rxtshift == 1) {
                    cc.congSignal(this, CongestionSignal.RTO);
                } else {
                    cwnd = maxseg;
                }
                flags |= F_CONGRECOVERY | F_RECOVER_VALID;
                flags &= ~F_FASTRECOVERY;
                recover = sndMax;
            }
            flags &= ~F_RTTING;
            dupacks = 0;
            // RFC 6675 §5.1: the first timeout resends only what the scoreboard shows missing;
            // a second one may mean the receiver discarded SACKed data, so forget it all
            if (rxtshift > 1) {
                sackBoard.clear();
            }
            sndNxt = sndUna;
            output();
            if (rexmtDeadline == 0 && state != TcpState.CLOSED && sndUna != sndMax) {
                armRexmt();
            }
        } catch (RuntimeException e) {
            stats.inerrors.increment();
        } finally {
            unlock();
        }
    }

    /**
     * RFC 3522 / FreeBSD: before the first timeout of an episode changes anything, keep what it
     * changes, and the moment of the retransmission to tell a late ACK of the original by.
     */
    private void saveForUndo() {
        cwndPrev = cwnd;
        ssthreshPrev = ssthresh;
        recoverPrev = recover;
        flags &= ~(F_WASFRECOVERY | F_WASCRECOVERY);
        if ((flags & F_FASTRECOVERY) != 0) {
            flags |= F_WASFRECOVERY;
        }
        if ((flags & F_CONGRECOVERY) != 0) {
            flags |= F_WASCRECOVERY;
        }
        badRxtWin = tsOk() ? tsNow() : nowMillis() + (int) (srtt / 2000);
        flags |= F_PREVVALID;
    }

    private static int nowMillis() {
        return (int) (System.nanoTime() / 1_000_000);
    }

    /**
     * The Eifel detection (RFC 3522) of FreeBSD's tcp_input: the first ACK of new data after
     * a single timeout acknowledges the original transmission, not the retransmission, so
     * nothing was lost: the window, ssthresh and recovery point come back, the algorithm
     * takes back its own change (RFC 9438 §4.9), and what was not yet resent is not resent.
     */
    private void undoSpuriousRto(Segment s) {
        if (rxtshift != 1 || (flags & F_PREVVALID) == 0) {
            return;
        }
        boolean original = tsOk() && s.hasTs && s.tsEcr != 0 ? Seq.lt(s.tsEcr, badRxtWin)
                : !tsOk() && Seq.lt(nowMillis(), badRxtWin);
        if (!original) {
            return;
        }
        stats.sndrexmitbad.increment();
        undoCongestionSignal(cwndPrev, ssthreshPrev);
        recover = recoverPrev;
        if ((flags & F_WASFRECOVERY) != 0) {
            flags |= F_FASTRECOVERY;
        }
        if ((flags & F_WASCRECOVERY) != 0) {
            flags |= F_CONGRECOVERY;
        }
        sndNxt = sndMax;
        flags &= ~F_PREVVALID;
        badRxtWin = 0;
    }

    private void persistFired() {
        stats.persisttimeo.increment();
        if (rxtshift < TCP_MAXRXTSHIFT) {
            rxtshift++;
        }
        sndNxt = sndUna;
        // armed before the probe goes out, as tcp_timer_persist does: output seeing no timer
        // would start the backoff over
        if (sndWnd == 0 && snd != null && snd.cc() > 0) {
            armPersist();
        }
        flags |= F_FORCEDATA;
        output();
        flags &= ~F_FORCEDATA;
    }

    private void delackFired() {
        lock.lock();
        try {
            if (!due(delackDeadline) || state == TcpState.CLOSED) {
                return;
            }
            delackDeadline = 0;
            if ((flags & F_DELACK) != 0) {
                flags &= ~F_DELACK;
                flags |= F_ACKNOW;
                stats.delack.increment();
                output();
            }
        } catch (RuntimeException e) {
            stats.inerrors.increment();
        } finally {
            unlock();
        }
    }

    /** The end of TIME_WAIT, or of FIN_WAIT_2 for a socket nobody holds any more. */
    private void msl2Fired() {
        lock.lock();
        try {
            if (!due(msl2Deadline)) {
                return;
            }
            msl2Deadline = 0;
            if (state == TcpState.TIME_WAIT || (state == TcpState.FIN_WAIT_2 && (flags & F_SOCKCLOSED) != 0)) {
                closeConnection();
            }
        } catch (RuntimeException e) {
            stats.inerrors.increment();
        } finally {
            unlock();
        }
    }

    /**
     * DF on every segment while path-MTU discovery is on, except when the MSS is already at
     * the floor: a path narrower than that gets fragments rather than nothing (as FreeBSD).
     */
    private int ipFlags() {
        return tcp.pathMtuDiscovery.get() != 0 && maxseg + (tsOk() ? TSOPT_LEN : 0) > tcp.minmss.get() ? ProtoContext.IP_DF : 0;
    }

    // ==== keepalive ==========================================================================

    private long keepIdle() {
        return keepIdleMs > 0 ? keepIdleMs : tcp.keepidle.get();
    }

    private long keepIntvl() {
        return keepIntvlMs > 0 ? keepIntvlMs : tcp.keepintvl.get();
    }

    private int keepCount() {
        return keepCnt > 0 ? keepCnt : tcp.keepcnt.getInt();
    }

    /**
     * SO_KEEPALIVE (shown by the socket layer) and the TCP_KEEP* options, in seconds as in
     * FreeBSD; false for any other option. A change takes effect at once on a connection
     * that is already idle.
     */
    private boolean setKeepOption(SockOpt<?> option, Object value) throws SocketException {
        if (option.equals(SockOpt.SO_KEEPALIVE)) {
            // the socket layer keeps the flag; only the timer needs a new deadline
        } else if (option.equals(TcpSockOpts.TCP_KEEPIDLE) || option.equals(TcpSockOpts.TCP_KEEPINTVL)
                || option.equals(TcpSockOpts.TCP_KEEPCNT)) {
            int v = (Integer) value;
            if (v < 1 || (option.equals(TcpSockOpts.TCP_KEEPCNT) ? v > 1_000_000 : v > Integer.MAX_VALUE / 1000)) {
                throw new SocketException(Errno.EINVAL, option.label() + " must be positive, got " + v);
            }
            if (option.equals(TcpSockOpts.TCP_KEEPIDLE)) {
                keepIdleMs = v * 1000L;
            } else if (option.equals(TcpSockOpts.TCP_KEEPINTVL)) {
                keepIntvlMs = v * 1000L;
            } else {
                keepCnt = v;
            }
        } else {
            return false;
        }
        if (keepState()) {
            long idle = (System.nanoTime() - rcvTime) / 1_000_000;
            armKeep(Math.max(1, keepIdle() - idle));
        }
        return true;
    }

    /** States whose peer keepalive may probe (FreeBSD: established up to CLOSING). */
    private boolean keepState() {
        return switch (state) {
            case ESTABLISHED, CLOSE_WAIT, FIN_WAIT_1, FIN_WAIT_2, CLOSING -> true;
            default -> false;
        };
    }

    private void armKeep(long ms) {
        keepDeadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(ms);
        keepTimer.reset(ms, TimeUnit.MILLISECONDS);
    }

    /**
     * {@code tcp_timer_keep}: once the connection has been idle for TCP_KEEPIDLE, probe every
     * TCP_KEEPINTVL; any segment from the peer starts the idle time again, and after
     * TCP_KEEPCNT probes without one the connection is dropped with ETIMEDOUT.
     */
    private void keepFired() {
        lock.lock();
        try {
            if (!due(keepDeadline) || !keepState()) {
                return;
            }
            keepDeadline = 0;
            long idleMs = (System.nanoTime() - rcvTime) / 1_000_000;
            long keepIdle = keepIdle();
            if (so == null || !so.option(SockOpt.SO_KEEPALIVE)) {
                armKeep(keepIdle);
                return;
            }
            if (idleMs < keepIdle) {
                armKeep(keepIdle - idleMs);
                return;
            }
            stats.keeptimeo.increment();
            if (idleMs >= keepIdle + keepCount() * keepIntvl()) {
                stats.keepdrops.increment();
                drop(Errno.ETIMEDOUT);
                return;
            }
            keepProbe();
            armKeep(keepIntvl());
        } catch (RuntimeException e) {
            stats.inerrors.increment();
        } finally {
            unlock();
        }
    }

    /**
     * The probe is an ACK one byte before SND.UNA without data: out of the peer's window,
     * so it must answer with an ACK of where it is (RFC 9293 §3.8.4).
     */
    private void keepProbe() {
        stats.keepprobe.increment();
        transmitAck(sndUna - 1);
    }

    // ==== output =============================================================================

    private int announcedMss() {
        int mss = tcp.mssFor(faddr);
        if (userMss > 0) {
            mss = Math.min(mss, userMss);
        }
        return mss;
    }

    private void requestOptions() {
        long rfc1323 = tcp.rfc1323.get();
        if (rfc1323 == 1 || rfc1323 == 2) {
            flags |= F_REQ_SCALE;
            requestRcvScale = rcvScaleFor(rcv == null ? TcpProtocol.TCP_MAXWIN : rcv.hiwat());
        }
        if (rfc1323 == 1 || rfc1323 == 3) {
            flags |= F_REQ_TSTMP;
        }
        if (tcp.sack.get() != 0) {
            flags |= F_REQ_SACK;
        }
    }

    private int tsNow() {
        return (int) (System.nanoTime() / 1_000_000) + tsOffset;
    }

    private long rcvSpace() {
        if (rcv == null) {
            return 0;
        }
        return Math.min(rcv.space(), (long) TcpProtocol.TCP_MAXWIN << rcvScale);
    }

    /** {@code tcp_output}: sends what the windows, Nagle and the flags allow. */
    private void output() {
        if (state == TcpState.CLOSED || state == TcpState.LISTEN) {
            return;
        }
        long now = System.nanoTime();
        if (pathMtu != 0 && now - pathMtuExpires >= 0) {
            raisePathMtu();
        }
        if (sndMax == sndUna && state.haveEstablished() && lastSend != 0 && (now - lastSend) / 1000 >= currentRto()) {
            cc.afterIdle(this);
        }
        autoSndBuf();
        if (inSackRecovery()) {
            sackRecoveryOutput();
        }
        for (int guard = 0; guard < 1024; guard++) {
            if (!outputOne()) {
                return;
            }
        }
    }

    /** One segment, or false when there is nothing to send now. */
    private boolean outputOne() {
        boolean synState = state == TcpState.SYN_SENT || state == TcpState.SYN_RECEIVED;
        int sackLimit = 0;
        boolean resendingAroundSacks = !sackBoard.isEmpty() && Seq.lt(sndNxt, sndMax) && !synState;
        if (resendingAroundSacks) {
            // going back after a timeout: what the peer SACKed need not be sent again
            int skip = sackBoard.skipSacked(sndNxt);
            sndNxt = Seq.lt(skip, sndMax) ? skip : sndMax;
            sackLimit = sackBoard.nextSackedStart(sndNxt, sndMax);
            resendingAroundSacks = Seq.lt(sndNxt, sndMax);
        }
        int off = sndNxt - sndUna;
        long sendwin = Math.min(sndWnd, cwnd);
        int avail = (snd == null || synState) ? 0 : snd.cc();
        int thflags = switch (state) {
            case SYN_SENT -> TcpHeader.SYN;
            case SYN_RECEIVED -> TcpHeader.SYN | TcpHeader.ACK;
            default -> TcpHeader.ACK;
        };
        if (synState) {
            if (sndNxt != iss) {
                thflags &= ~TcpHeader.SYN;
                if (state == TcpState.SYN_SENT) {
                    return false;
                }
            }
            sendwin = 0;
        }
        if ((flags & F_FORCEDATA) != 0 && sendwin == 0 && off < avail) {
            sendwin = 1;
        }
        long lenL = Math.min(avail, sendwin) - off;
        int len;
        if (lenL < 0) {
            len = 0;
            if (sendwin == 0 && !synState && off > 0 && off <= avail) {
                // the window closed under data in flight: back off and probe; an answer to
                // a window probe leaves the persist backoff running (RFC 1122 §4.2.2.17)
                if (!persistMode) {
                    stopRexmt();
                    rxtshift = 0;
                }
                sndNxt = sndUna;
                off = 0;
            }
        } else {
            len = (int) Math.min(lenL, Integer.MAX_VALUE);
        }
        if (resendingAroundSacks && len > sackLimit - sndNxt) {
            len = Math.max(0, sackLimit - sndNxt);
        }
        if (inSackRecovery()) {
            // data in SACK recovery goes out by pipe (sackRecoveryOutput); here only ACKs and updates
            len = 0;
        }
        int optlen = optionsLength(thflags);
        int maxData = Math.max(1, effectiveMss() - optlen);
        if (len > maxData) {
            len = maxData;
        }
        // the FIN follows the last byte of the stream: set it on the segment that ends there
        boolean fin = state.finQueued() && !synState && off + len == avail;
        if (fin) {
            thflags |= TcpHeader.FIN;
        }

        boolean send = false;
        if (len > 0) {
            boolean idle = sndMax == sndUna;
            if (len >= maxseg || len == maxData) {
                send = true;
            } else if ((idle || (flags & F_NODELAY) != 0) && off + len >= avail) {
                send = true;
            } else if ((flags & F_FORCEDATA) != 0) {
                send = true;
            } else if (maxSndWnd > 0 && len >= maxSndWnd / 2) {
                send = true;
            } else if (snd != null && snd.hiwat() < maxseg && off + len >= snd.cc() && snd.cc() >= snd.hiwat() / 2) {
                // a send buffer smaller than one segment (lo0's 64 KiB MSS) can never fill a
                // segment: once it is half full and this segment takes all of it, waiting for
                // more would only wait for the peer's delayed ACK, every time
                send = true;
            } else if (Seq.lt(sndNxt, sndMax)) {
                send = true;
            }
        }
        boolean winUpdate = false;
        if (!send && state.haveEstablished() && !state.haveRcvdFin() && rcv != null) {
            long win = rcvSpace();
            long advertised = rcvAdv - rcvNxt;
            long adv = win - advertised;
            // "half the buffer" is half of what the window can say: a buffer grown past what
            // the scale can advertise would otherwise never earn an update (a stall while the
            // sender waits, its window below one segment)
            long maxWin = Math.min(rcv.hiwat(), (long) TcpProtocol.TCP_MAXWIN << rcvScale);
            if (adv > 0 && ((advertised == 0 && adv >= maxseg) || adv >= 2L * maxseg || 2 * adv >= maxWin)) {
                send = true;
                winUpdate = true;
            }
        }
        if ((flags & F_ACKNOW) != 0) {
            send = true;
        }
        if ((thflags & TcpHeader.SYN) != 0) {
            send = true;
        }
        if (fin) {
            send = true;
        }
        if (!send) {
            if (avail > off && !rexmtTimer.pending() && rexmtDeadline == 0 && state.haveEstablished()) {
                rxtshift = 0;
                armPersist();
            }
            return false;
        }
        if (len == 0 && (thflags & (TcpHeader.SYN | TcpHeader.FIN)) == 0 && !persistMode && Seq.lt(sndNxt, sndMax)) {
            // an ACK without data carries the next new sequence number, not the one a
            // retransmission went back to (tcp_output's snd_max): the peer may hold it all
            // and would take SND.NXT for an old duplicate, answering each with an ACK of its
            // own. In persist SND.MAX may lie past the window edge, so there SND.NXT stays.
            transmitAck(sndMax);
        } else {
            transmit(thflags, len, off);
        }
        if (winUpdate && len == 0 && (flags & F_ACKNOW) == 0) {
            stats.sndwinup.increment();
        }
        return true;
    }

    private int effectiveMss() {
        int eff = maxseg + (tsOk() ? TSOPT_LEN : 0);
        return Math.max(eff, 64);
    }

    private int optionsLength(int thflags) {
        if ((thflags & TcpHeader.SYN) != 0) {
            return 20;
        }
        int n = tsOk() ? TSOPT_LEN : 0;
        if ((flags & F_SACK_PERMIT) != 0 && (dsackPending || !reass.isEmpty())) {
            int blocks = Math.min(reass.segments() + (dsackPending ? 1 : 0), (40 - n - 2) / 8);
            n += 4 + 8 * Math.min(blocks, TcpOptions.MAX_SACK_BLOCKS);
        }
        return n;
    }

    /**
     * Whether segments to the peer leave through the loopback interface, looked up once: if
     * the route changes, the core computes the checksum at the other interface anyway.
     */
    private boolean loopbackRoute() {
        if (routeChecked != faddr) {
            Route r = faddr == 0 ? null : ctx.routeLookup(faddr);
            loopRoute = r != null && r.ifp() != null && r.ifp().isLoopback();
            routeChecked = faddr;
        }
        return loopRoute;
    }

    /** Builds one segment at {@code snd_nxt} with {@code len} bytes of the send buffer from {@code off}. */
    private void transmit(int thflags, int len, int off) {
        transmit(thflags, len, off, sndNxt);
    }

    /**
     * A segment without data, SYN or FIN at sequence {@code seq} (a pure ACK at SND.MAX, a
     * keepalive probe below SND.UNA): nothing of the send sequence space moves.
     */
    private void transmitAck(int seq) {
        transmit(TcpHeader.ACK, 0, 0, seq);
    }

    /** One segment: {@code len} bytes from {@code off} of the send buffer, its header numbered {@code seq}. */
    private void transmit(int thflags, int len, int off, int seq) {
        byte[] ob = optBuf;
        int optlen = 0;
        boolean syn = (thflags & TcpHeader.SYN) != 0;
        if (syn) {
            optlen += TcpOptions.writeMss(ob, optlen, ourMss);
            boolean offerWs = (flags & F_REQ_SCALE) != 0 && (state == TcpState.SYN_SENT || (flags & F_RCVD_SCALE) != 0);
            if (offerWs) {
                optlen += TcpOptions.writeNop(ob, optlen);
                optlen += TcpOptions.writeWindowScale(ob, optlen, requestRcvScale);
            }
            boolean offerSack = (flags & F_REQ_SACK) != 0 && (state == TcpState.SYN_SENT || (flags & F_SACK_PERMIT) != 0);
            boolean offerTs = (flags & F_REQ_TSTMP) != 0 && (state == TcpState.SYN_SENT || (flags & F_RCVD_TSTMP) != 0);
            if (offerSack) {
                if (!offerTs) {
                    optlen += TcpOptions.writeNop(ob, optlen);
                    optlen += TcpOptions.writeNop(ob, optlen);
                }
                optlen += TcpOptions.writeSackPermitted(ob, optlen);
            } else if (offerTs) {
                optlen += TcpOptions.writeNop(ob, optlen);
                optlen += TcpOptions.writeNop(ob, optlen);
            }
            if (offerTs) {
                optlen += TcpOptions.writeTimestamp(ob, optlen, tsNow(), state == TcpState.SYN_RECEIVED ? tsRecent : 0);
            }
        } else {
            if (tsOk()) {
                optlen += TcpOptions.writeNop(ob, optlen);
                optlen += TcpOptions.writeNop(ob, optlen);
                optlen += TcpOptions.writeTimestamp(ob, optlen, tsNow(), tsRecent);
            }
            if ((flags & F_SACK_PERMIT) != 0 && (dsackPending || !reass.isEmpty())) {
                int max = Math.min((40 - optlen - 2) / 8, TcpOptions.MAX_SACK_BLOCKS);
                int d = 0;
                if (dsackPending && max > 0) {
                    sackOut[0] = dsackLeft;
                    sackOut[1] = dsackRight;
                    d = 1;
                    dsackPending = false;
                    stats.dsackSent.increment();
                }
                int n = reass.sackBlocks(sackOut, d, max);
                if (n + d > 0) {
                    optlen += TcpOptions.writeNop(ob, optlen);
                    optlen += TcpOptions.writeNop(ob, optlen);
                    optlen += TcpOptions.writeSack(ob, optlen, sackOut, n + d);
                    stats.sackSndBlocks.add(n);
                }
            }
        }
        optlen = TcpOptions.pad(ob, 0, optlen);
        int hlen = TcpHeader.MIN_LENGTH + optlen;

        long win = rcvSpace();
        if (win < (rcv == null ? 0 : rcv.hiwat()) / 4 && win < maxseg) {
            win = 0;
        }
        long advertised = rcvAdv - rcvNxt;
        if (win < advertised) {
            win = advertised;
        }
        if (!syn) {
            // rounded up to what the scale can say: rounding down would take the right edge
            // back from what was offered, and a sender that filled it would see a window
            // closing under data in flight and resend what already arrived
            long unit = (1L << rcvScale) - 1;
            win = (win + unit) & ~unit;
        }
        int wfield = syn ? (int) Math.min(win, TcpProtocol.TCP_MAXWIN)
                : (int) Math.min(win >> rcvScale, TcpProtocol.TCP_MAXWIN);

        Packet p = ctx.allocate(hlen + len);
        byte[] b = p.array();
        int o = p.offset();
        System.arraycopy(ob, 0, b, o + TcpHeader.MIN_LENGTH, optlen);
        if (len > 0) {
            snd.copyOut(off, b, o + hlen, len);
        }
        boolean ack = (thflags & TcpHeader.ACK) != 0;
        if (len > 0 && (off + len == (snd == null ? 0 : snd.cc()))) {
            thflags |= TcpHeader.PSH;
        }
        TcpHeader th = oth.wrap(b, o, hlen + len);
        th.setSrcPort(lport).setDstPort(fport).setSeq(seq).setAck(ack ? rcvNxt : 0).setHeaderLength(hlen)
                .setFlags(thflags).setWindow(wfield).setUrgentPointer(0).setChecksum(0);
        if (loopbackRoute()) {
            // lo0 offloads the checksum: the core fills it in if a capture or pipe needs it
            p.addFlags(Packet.M_CSUM_PENDING);
        } else {
            th.fillChecksum(laddr, faddr);
        }

        // bookkeeping before the packet leaves (a loopback peer may answer at once)
        boolean rexmit = Seq.lt(sndNxt, sndMax);
        if (len > 0) {
            if (rexmit) {
                stats.sndrexmitpack.increment();
                stats.sndrexmitbyte.add(len);
                totalRexmits++;
            } else {
                stats.sndpack.increment();
                stats.sndbyte.add(len);
            }
            if ((flags & F_FORCEDATA) != 0 && sndWnd == 0) {
                stats.sndprobe.increment();
            }
        } else if (syn || (thflags & TcpHeader.FIN) != 0) {
            stats.sndctrl.increment();
        } else {
            stats.sndacks.increment();
        }
        stats.sndtotal.increment();
        int startSeq = sndNxt;
        if (syn) {
            sndNxt++;
        }
        sndNxt += len;
        if ((thflags & TcpHeader.FIN) != 0) {
            sndNxt++;
        }
        if (Seq.gt(sndNxt, sndMax)) {
            sndMax = sndNxt;
            if ((flags & F_RTTING) == 0 && !tsOk()) {
                flags |= F_RTTING;
                rtseq = startSeq;
                rttStart = System.nanoTime();
                stats.segstimed.increment();
            }
        }
        if (sndNxt != sndUna && (len > 0 || syn || (thflags & TcpHeader.FIN) != 0)
                && (rexmtDeadline == 0 || persistMode) && !((flags & F_FORCEDATA) != 0 && sndWnd == 0)) {
            armRexmt();
        }
        if (win > 0 && Seq.gt(rcvNxt + (int) win, rcvAdv)) {
            rcvAdv = rcvNxt + (int) win;
        }
        rcvWnd = win;
        if (ack) {
            lastAckSent = rcvNxt;
        }
        flags &= ~(F_ACKNOW | F_DELACK);
        if (delackDeadline != 0) {
            delackDeadline = 0;
            delackTimer.stop();
        }
        lastSend = System.nanoTime();
        try {
            ctx.ipOutput(p, laddr, faddr, IPPROTO_TCP, -1, 0, ipFlags());
        } catch (SocketException e) {
            // lost like any segment: the retransmission timer covers it
            stats.outerrors.increment();
        }
    }

    // ==== CcVars ==============================================================================

    @Override
    public long cwnd() {
        return cwnd;
    }

    @Override
    public void setCwnd(long cwnd) {
        this.cwnd = cwnd;
    }

    @Override
    public long ssthresh() {
        return ssthresh;
    }

    @Override
    public void setSsthresh(long ssthresh) {
        this.ssthresh = ssthresh;
    }

    @Override
    public int maxseg() {
        return maxseg;
    }

    @Override
    public long bytesThisAck() {
        return bytesThisAck;
    }

    @Override
    public long flightSize() {
        return sndMax - sndUna;
    }

    @Override
    public long sndWnd() {
        return sndWnd;
    }

    @Override
    public long maxWindow() {
        return (long) TcpProtocol.TCP_MAXWIN << sndScale;
    }

    @Override
    public long srttMicros() {
        return srtt;
    }

    @Override
    public long rttSampleMicros() {
        return rttThisAck;
    }

    @Override
    public long rounds() {
        return rounds;
    }

    @Override
    public boolean hystartAllowed() {
        return tcp.hystart.get() != 0;
    }

    @Override
    public int rxtShift() {
        return rxtshift;
    }

    @Override
    public boolean inRecovery() {
        // after a timeout the window grows again by slow start, so only fast recovery counts
        return (flags & F_FASTRECOVERY) != 0;
    }

    @Override
    public long nowMicros() {
        return System.nanoTime() / 1000;
    }

    @Override
    public Object data() {
        return ccData;
    }

    @Override
    public void setData(Object data) {
        this.ccData = data;
    }

    // ==== helpers ===========================================================================

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

    @Override
    public String toString() {
        return "tcp " + new InAddr(laddr) + ":" + lport + " -> " + new InAddr(faddr) + ":" + fport + " " + state;
    }
}
