package org.protosw.tcp.internal;

import java.util.Map;
import java.util.concurrent.locks.ReentrantLock;

import org.protosw.socket.Errno;
import org.protosw.socket.InAddr;
import org.protosw.socket.SockAddr;
import org.protosw.socket.SockOpt;
import org.protosw.socket.SocketException;
import org.protosw.spi.Callout;
import org.protosw.spi.InPcb;
import org.protosw.spi.InPcbTable;
import org.protosw.spi.Packet;
import org.protosw.spi.Pcb;
import org.protosw.spi.ProtoContext;
import org.protosw.spi.ProtoSocket;
import org.protosw.spi.SockBuf;
import org.protosw.tcp.cc.CcVars;
import org.protosw.tcp.cc.CongestionControl;
import org.protosw.tcp.trace.TcpTraceState;
import org.protosw.wire.TcpHeader;
import org.protosw.wire.TcpOptions;

/**
 * One TCP connection: FreeBSD's {@code struct tcpcb} with its {@code inpcb}
 * ({@code tcp_var.h}): the sequence variables, windows, timers' deadlines, the {@code t_flags}
 * bits, the lock and the small predicates every part of TCP asks ({@link #tsOk()},
 * {@link #socketAlive()}...). What TCP does with it lives beside it, in classes named after
 * FreeBSD's files: {@link TcpUsrReq} ({@code tcp_usrreq.c}), {@link TcpInput}
 * ({@code tcp_input.c}), {@link TcpOutput} ({@code tcp_output.c}), {@link TcpTimer}
 * ({@code tcp_timer.c}), {@link TcpSack} ({@code tcp_sack.c}), {@link TcpSubr}
 * ({@code tcp_subr.c}) and {@link SynCache} ({@code tcp_syncache.c}).
 *
 * <p><b>Why static functions over the control block.</b> Those classes hold static methods
 * that take the control block as their first argument, as FreeBSD's functions take
 * {@code struct tcpcb *tp}: a call is one {@code invokestatic} the JIT inlines as it did the
 * private methods they were, with no helper object per connection to allocate, no extra
 * field load on the way to the state, and no second object to keep consistent. The fields
 * are package-private for them; nothing outside this package sees the class.
 *
 * <p><b>Locking.</b> Everything runs under {@link #lock}; a function that needs it says
 * {@code assert tp.lockHeld()} (FreeBSD's {@code INP_WLOCK_ASSERT}), checked in the tests
 * and free when assertions are off. The socket upcalls made under it only take
 * socket-buffer or socket locks, which never call back into a pcb; the one that can
 * (soisdisconnected on a connection still on a listen queue makes the core abort it) is
 * deferred until the lock is released ({@link #unlock()}).
 *
 * <p><b>After the socket.</b> A closed connection lives on in the table (FIN_WAIT, CLOSING,
 * LAST_ACK, TIME_WAIT) after the core detached the socket: it then keeps only the send
 * buffer it still has to deliver, and in TIME_WAIT not even that.
 */
final class TcpCb implements Pcb, CcVars, TcpTraceState {
    static final int HANDLED = 0;
    static final int NOSOCKET = 1;
    static final int RELOOKUP = 2;

    static final int TCP_MAXRXTSHIFT = 12;
    static final long RTO_MAX_US = 64_000_000L;
    static final int TSOPT_LEN = 12;
    /** RFC 7323 §5.5: timestamps older than 24 days no longer protect against wrapping. */
    static final long PAWS_IDLE_MS = 24L * 24 * 3600 * 1000;

    // t_flags
    static final int F_ACKNOW = 1;
    static final int F_DELACK = 1 << 1;
    static final int F_NEEDFIN = 1 << 2;
    static final int F_NODELAY = 1 << 3;
    /** SS_NOFDREF: the application closed the socket (or the stack aborted it). */
    static final int F_SOCKCLOSED = 1 << 4;
    static final int F_DETACHED = 1 << 5;
    static final int F_FORCEDATA = 1 << 6;
    static final int F_REQ_SCALE = 1 << 7;
    static final int F_REQ_TSTMP = 1 << 8;
    static final int F_REQ_SACK = 1 << 9;
    static final int F_RCVD_SCALE = 1 << 10;
    static final int F_RCVD_TSTMP = 1 << 11;
    static final int F_SACK_PERMIT = 1 << 12;
    static final int F_FASTRECOVERY = 1 << 13;
    static final int F_CONGRECOVERY = 1 << 14;
    static final int F_RTTING = 1 << 15;
    static final int F_RECOVER_VALID = 1 << 16;
    /** The window before the first timeout is saved, for undoing it (FreeBSD's TF_PREVVALID). */
    static final int F_PREVVALID = 1 << 17;
    static final int F_WASFRECOVERY = 1 << 18;
    static final int F_WASCRECOVERY = 1 << 19;
    /**
     * Exported to the next revision in a live upgrade: its detach (or the protocol's destroy)
     * only lets it go, and tells the peer nothing, since the connection lives on.
     */
    static final int F_EXPORTED = 1 << 20;

    final TcpProtocol tcp;
    final ProtoContext ctx;
    final TcpStats stats;
    final InPcbTable<TcpCb> table;
    final InPcb<TcpCb> inp;
    final ReentrantLock lock = new ReentrantLock();
    final Callout rexmtTimer;
    final Callout delackTimer;
    final Callout msl2Timer;
    final Callout keepTimer;
    final TcpHeader oth = new TcpHeader();
    final byte[] optBuf = new byte[40];
    final int[] sackOut = new int[2 * TcpOptions.MAX_SACK_BLOCKS];
    /** A duplicate segment to report in the first SACK block of the next ACK (RFC 2883), once. */
    boolean dsackPending;
    int dsackLeft;
    int dsackRight;

    ProtoSocket so;
    SockBuf snd;
    SockBuf rcv;
    TcpReass reass = new TcpReass();
    /** The algorithm (volatile for listings; the data path reads {@link #cc}) and whether its init ran. */
    volatile CcAlgo ccAlgo;
    CongestionControl cc;
    boolean ccInited;
    Object ccData;

    volatile TcpState state = TcpState.CLOSED;
    int flags;
    boolean pendingDisconnect;

    int laddr;
    int lport;
    int faddr;
    int fport;

    int iss;
    int irs;
    int sndUna;
    int sndNxt;
    int sndMax;
    long sndWnd;
    int sndWl1;
    int sndWl2;
    long maxSndWnd;
    int rcvNxt;
    int rcvAdv;
    long rcvWnd;
    int lastAckSent;
    int recover;
    int sndScale;
    int rcvScale;
    int requestRcvScale;

    int tsOffset;
    int tsRecent;
    long tsRecentAge;

    /** Our MSS (what we announce), the peer's, and the payload of a full segment. */
    int ourMss;
    int userMss;
    int peerMss;
    int maxseg;

    long cwnd;
    long ssthresh = Long.MAX_VALUE / 4;
    long bytesThisAck;
    /** The RTT sample of the ACK being processed in microseconds, -1 when it gave none. */
    long rttThisAck = -1;
    /** Send rounds ended, and the sequence whose acknowledgment ends the current one. */
    long rounds;
    int roundEnd;
    int dupacks;
    /** What the first timeout of a episode overwrote, restored if it proves spurious. */
    long cwndPrev;
    long ssthreshPrev;
    int recoverPrev;
    /**
     * An ACK echoing a timestamp older than this (the retransmission's own), or without
     * timestamps arriving before it (ms, half an RTT after the retransmission), acknowledges
     * the original transmission: the timeout was spurious (FreeBSD's t_badrxtwin).
     */
    int badRxtWin;
    /** Segments limited transmit sent since the first duplicate ACK (FreeBSD's snd_limited). */
    int sndLimited;

    int rxtshift;
    long srtt;
    long rttvar;
    long rto;
    int rtseq;
    long rttStart;
    long connStart;
    long lastSend;
    long rexmtDeadline;
    boolean persistMode;
    long delackDeadline;
    long msl2Deadline;
    long keepDeadline;
    /** When the last segment arrived (nanoTime, FreeBSD's t_rcvtime): keepalive idles from here. */
    long rcvTime;
    /** TCP_KEEPIDLE, TCP_KEEPINTVL in ms and TCP_KEEPCNT; 0 means the sysctl's value. */
    long keepIdleMs;
    long keepIntvlMs;
    int keepCnt;
    /** The path MTU learned from ICMP (RFC 1191), or 0 while the route's MTU holds. */
    int pathMtu;
    /** When {@link #pathMtu} expires and the full MSS is tried again (nanoTime). */
    long pathMtuExpires;
    /** The MSS both ends agreed on in the handshake (before timestamps), the ceiling a raised path MTU returns to. */
    int negotiatedMss;

    long totalRexmits;
    long sackBlocksSeen;
    final SackScoreboard sackBoard = new SackScoreboard();
    final DsackUndo dsackUndo = new DsackUndo();
    /** RACK-TLP's state (RFC 8985), or null: the peer has no SACK, or RACK was off at the handshake. */
    TcpRack rack;
    /** What {@link #rexmtTimer} is armed for: the retransmission or persist timeout, RACK's reordering timer or a loss probe. */
    byte lossTimer;
    /** The ACK being processed carried a D-SACK and no other SACK information. */
    boolean dsackOnlyAck;
    final int[] holeOut = new int[2];
    /** Receive buffer autotuning: when the current measurement began (ns) and the bytes since. */
    long rfbufTs;
    long rfbufCnt;
    /** The peer address {@link #loopRoute} was looked up for (0: not yet). */
    int routeChecked;
    boolean loopRoute;
    /** The core detached this control block ({@link #detach()}); only {@link #alive} reads it. */
    private boolean coreDetached;

    TcpCb(TcpProtocol tcp, ProtoSocket so) {
        this(tcp, so, so.snd());
    }

    /** With {@code so} null: a connection without a socket (an orphan carried by a live upgrade). */
    private TcpCb(TcpProtocol tcp, ProtoSocket so, SockBuf snd) {
        this.tcp = tcp;
        this.ctx = tcp.context();
        this.stats = tcp.stats();
        this.table = tcp.table();
        this.so = so;
        this.snd = snd;
        this.rcv = so == null ? null : so.rcv();
        this.inp = table.alloc(this);
        this.rexmtTimer = ctx.newCallout(() -> TcpTimer.tcpTimerRexmt(this));
        this.delackTimer = ctx.newCallout(() -> TcpTimer.tcpTimerDelack(this));
        this.msl2Timer = ctx.newCallout(() -> TcpTimer.tcpTimer2msl(this));
        this.keepTimer = ctx.newCallout(() -> TcpTimer.tcpTimerKeep(this));
        this.rto = tcp.rexmitInitial.get() * 1000L;
        if (so != null) {
            tcp.pcbsAttached.increment();
        }
        // under the lock: the table already lists this connection, so an algorithm leaving
        // now waits for the choice below and then moves it
        lock.lock();
        try {
            TcpSubr.ccAttach(this, TcpSubr.defaultCc(this));
        } finally {
            lock.unlock();
        }
    }

    /**
     * The connection of socket {@code so} continued from an exported one
     * ({@link TcpCbTransfer}), in this revision's table again.
     */
    static TcpCb restore(TcpProtocol tcp, ProtoSocket so, Map<String, Object> m) throws SocketException {
        return restored(new TcpCb(tcp, so), m);
    }

    /** A connection that had outlived its socket, with the send bytes it still owes. */
    static TcpCb restoreOrphan(TcpProtocol tcp, Map<String, Object> m) throws SocketException {
        SockBuf snd = null;
        if (m.containsKey("sndBytes")) {
            byte[] bytes = TcpTransfer.bytes(m, "sndBytes");
            snd = tcp.context().newStreamBuffer(Math.max(TcpTransfer.integer(m, "sndHiwat"), Math.max(1, bytes.length)));
            if (bytes.length > 0) {
                snd.appendStream(Packet.wrap(bytes, 0, bytes.length));
            }
        }
        return restored(new TcpCb(tcp, null, snd), m);
    }

    private static TcpCb restored(TcpCb tp, Map<String, Object> m) throws SocketException {
        tp.lock.lock();
        try {
            TcpCbTransfer.restore(tp, m);
            int[] e = TcpCbTransfer.tableEntry(m);
            if (e[3] != 0) {
                tp.table.insertConnected(tp.inp, e[0], e[1], e[2], e[3]);
            } else if (e[1] != 0) {
                // the socket's SO_REUSEPORT is the core's; REUSEADDR lets a listener share its
                // port with the TIME_WAIT entries imported before it, as it could before
                tp.table.bind(tp.inp, new org.protosw.socket.InetSockAddr(new InAddr(e[0]), e[1]), true,
                        tp.so != null && tp.so.option(SockOpt.SO_REUSEPORT));
            }
            return tp;
        } catch (SocketException | RuntimeException x) {
            TcpTimer.tcpTimerStop(tp);
            tp.table.remove(tp.inp);
            if (tp.so != null) {
                // never handed to the core, so never detached
                tp.tcp.pcbsAttached.decrement();
            }
            throw x;
        } finally {
            tp.lock.unlock();
        }
    }

    /**
     * Whether this thread holds the connection's lock: what every function that reads or
     * changes the connection asserts ({@code INP_WLOCK_ASSERT}).
     */
    boolean lockHeld() {
        return lock.isHeldByCurrentThread();
    }

    CcAlgo ccAlgo() {
        return ccAlgo;
    }


    void unlock() {
        boolean disc = pendingDisconnect;
        pendingDisconnect = false;
        ProtoSocket s = so;
        boolean live = (flags & F_DETACHED) == 0;
        lock.unlock();
        if (disc && s != null && live) {
            s.soisdisconnected();
        }
    }

    boolean socketAlive() {
        return so != null && (flags & F_DETACHED) == 0;
    }

    @Override
    public void bind(SockAddr addr) throws SocketException {
        alive("bind");
        try {
            TcpUsrReq.tcpUsrBind(this, addr);
        } finally {
            alive("bind (on the way out)");
        }
    }

    @Override
    public void listen(int backlog) throws SocketException {
        alive("listen");
        try {
            TcpUsrReq.tcpUsrListen(this, backlog);
        } finally {
            alive("listen (on the way out)");
        }
    }

    @Override
    public void connect(SockAddr addr) throws SocketException {
        alive("connect");
        try {
            TcpUsrReq.tcpUsrConnect(this, addr);
        } finally {
            alive("connect (on the way out)");
        }
    }

    @Override
    public void disconnect() throws SocketException {
        throw new SocketException(Errno.EOPNOTSUPP, "disconnect: a TCP connection ends with shutdown or close");
    }

    @Override
    public void shutdown() throws SocketException {
        alive("shutdown");
        try {
            TcpUsrReq.tcpUsrShutdown(this);
        } finally {
            alive("shutdown (on the way out)");
        }
    }

    @Override
    public void send(Packet data, SockAddr to, int msgFlags) throws SocketException {
        alive("send");
        try {
            TcpUsrReq.tcpUsrSend(this, data, to, msgFlags);
        } finally {
            alive("send (on the way out)");
        }
    }

    @Override
    public void rcvd(int msgFlags) {
        alive("rcvd");
        try {
            TcpUsrReq.tcpUsrRcvd(this, msgFlags);
        } finally {
            alive("rcvd (on the way out)");
        }
    }

    @Override
    public SockAddr accept() throws SocketException {
        alive("accept");
        try {
            return TcpUsrReq.tcpUsrAccept(this);
        } finally {
            alive("accept (on the way out)");
        }
    }

    @Override
    public SockAddr sockaddr() {
        alive("sockaddr");
        try {
            return TcpUsrReq.tcpUsrSockaddr(this);
        } finally {
            alive("sockaddr (on the way out)");
        }
    }

    @Override
    public SockAddr peeraddr() throws SocketException {
        alive("peeraddr");
        try {
            return TcpUsrReq.tcpUsrPeeraddr(this);
        } finally {
            alive("peeraddr (on the way out)");
        }
    }

    @Override
    public <T> void setOption(SockOpt<T> option, T value) throws SocketException {
        alive("setOption", option);
        try {
            TcpUsrReq.tcpCtloutputSet(this, option, value);
        } finally {
            alive("setOption (on the way out)", option);
        }
    }

    @Override
    public <T> T getOption(SockOpt<T> option) throws SocketException {
        alive("getOption", option);
        try {
            return TcpUsrReq.tcpCtloutputGet(this, option);
        } finally {
            alive("getOption (on the way out)", option);
        }
    }

    @Override
    public void close() {
        alive("close");
        try {
            TcpUsrReq.tcpUsrClose(this);
        } finally {
            alive("close (on the way out)");
        }
    }

    @Override
    public void abort() {
        alive("abort");
        try {
            TcpUsrReq.tcpUsrAbort(this);
        } finally {
            alive("abort (on the way out)");
        }
    }

    @Override
    public void detach() {
        alive("a second detach");
        // before the request's lock: a call that takes the lock after it sees the flag
        coreDetached = true;
        TcpUsrReq.tcpUsrDetach(this);
        tcp.pcbsDetached.increment();
    }

    /**
     * The core calls a control block only between its attach and its detach (its gate keeps
     * an upgrade's export and detach away from calls in flight): one plain read of a field
     * on the way in and out of every request, counting what should never happen
     * ({@link TcpProtocol#callsAfterDetach}). The read on the way out follows the request's
     * lock, so a detach that slipped in while the call waited for it is seen.
     */
    private void alive(String call) {
        if (coreDetached) {
            tcp.callAfterDetach(call, this);
        }
    }

    private void alive(String call, SockOpt<?> option) {
        if (coreDetached) {
            tcp.callAfterDetach(call + " " + option.label(), this);
        }
    }

    @Override
    public String state() {
        return state.netstatName();
    }

    TcpState tcpState() {
        return state;
    }

    @Override
    public Map<String, String> details() {
        return TcpUsrReq.details(this);
    }

    boolean tsOk() {
        return (flags & (F_REQ_TSTMP | F_RCVD_TSTMP)) == (F_REQ_TSTMP | F_RCVD_TSTMP);
    }

    boolean inSackRecovery() {
        return (flags & (F_FASTRECOVERY | F_SACK_PERMIT)) == (F_FASTRECOVERY | F_SACK_PERMIT);
    }

    static int nowMillis() {
        return (int) (System.nanoTime() / 1_000_000);
    }


    long keepIdle() {
        return keepIdleMs > 0 ? keepIdleMs : tcp.keepidle.get();
    }

    long keepIntvl() {
        return keepIntvlMs > 0 ? keepIntvlMs : tcp.keepintvl.get();
    }

    int keepCount() {
        return keepCnt > 0 ? keepCnt : tcp.keepcnt.getInt();
    }

    /** States whose peer keepalive may probe (FreeBSD: established up to CLOSING). */
    boolean keepState() {
        return switch (state) {
            case ESTABLISHED, CLOSE_WAIT, FIN_WAIT_1, FIN_WAIT_2, CLOSING -> true;
            default -> false;
        };
    }

    int tsNow() {
        return tsAt(System.nanoTime());
    }

    /** The timestamp clock (RFC 7323 TSval, milliseconds) at {@code nanos}, a {@link System#nanoTime()} reading. */
    int tsAt(long nanos) {
        return (int) (nanos / 1_000_000) + tsOffset;
    }

    long rcvSpace() {
        if (rcv == null) {
            return 0;
        }
        return Math.min(rcv.space(), (long) TcpProtocol.TCP_MAXWIN << rcvScale);
    }


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

    // ---- TcpTraceState: what a trace hook reads, under the lock ------------------------------

    @Override
    public String vnet() {
        return ctx.vnet();
    }

    @Override
    public int localAddress() {
        return laddr;
    }

    @Override
    public int localPort() {
        return lport;
    }

    @Override
    public int foreignAddress() {
        return faddr;
    }

    @Override
    public int foreignPort() {
        return fport;
    }

    @Override
    public int fsmState() {
        // TcpState is declared in tcp_fsm.h's order
        return state.ordinal();
    }

    @Override
    public long rcvWnd() {
        return rcvWnd;
    }

    @Override
    public int sndScale() {
        return sndScale;
    }

    @Override
    public int rcvScale() {
        return rcvScale;
    }

    @Override
    public long rttvarMicros() {
        return rttvar;
    }

    @Override
    public long rtoMicros() {
        return rto;
    }

    @Override
    public boolean sackEnabled() {
        return (flags & F_SACK_PERMIT) != 0;
    }

    @Override
    public int tFlags() {
        return flags;
    }

    @Override
    public boolean inFastRecovery() {
        return (flags & F_FASTRECOVERY) != 0;
    }

    @Override
    public int sndBufHiwat() {
        return snd == null ? 0 : snd.hiwat();
    }

    @Override
    public int sndBufUsed() {
        return snd == null ? 0 : snd.cc();
    }

    @Override
    public int rcvBufHiwat() {
        return rcv == null ? 0 : rcv.hiwat();
    }

    @Override
    public int rcvBufUsed() {
        return rcv == null ? 0 : rcv.cc();
    }

    @Override
    public int reassSegments() {
        return reass.segments();
    }

    @Override
    public int sndUna() {
        return sndUna;
    }

    @Override
    public int sndNxt() {
        return sndNxt;
    }

    @Override
    public int rcvNxt() {
        return rcvNxt;
    }

    @Override
    public long totalRetransmits() {
        return totalRexmits;
    }

    @Override
    public String toString() {
        return "tcp " + new InAddr(laddr) + ":" + lport + " -> " + new InAddr(faddr) + ":" + fport + " " + state;
    }
}
