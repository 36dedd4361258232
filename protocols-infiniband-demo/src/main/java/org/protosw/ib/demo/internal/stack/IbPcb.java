package org.protosw.ib.demo.internal.stack;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

import org.protosw.ib.demo.IbGid;
import org.protosw.ib.demo.IbSockAddr;
import org.protosw.ib.demo.internal.verbs.CmAgent;
import org.protosw.ib.demo.internal.verbs.CompletionQueue;
import org.protosw.ib.demo.internal.verbs.QueuePair;
import org.protosw.ib.demo.internal.verbs.RecvQueue;
import org.protosw.ib.demo.internal.verbs.WcStatus;
import org.protosw.ib.demo.internal.verbs.WorkCompletion;
import org.protosw.socket.Errno;
import org.protosw.socket.SockAddr;
import org.protosw.socket.SocketException;
import org.protosw.spi.Callout;
import org.protosw.spi.Pcb;
import org.protosw.spi.ProtoSocket;

/**
 * An AF_IB socket's control block: one RC queue pair with its two completion queues, and
 * the connection it is in, set up and torn down by the vnet's {@link CmAgent}. The two
 * socket types differ only in what a message is ({@link RcPcb}, {@link SdpPcb}).
 *
 * <p><b>Locking.</b> The QP's monitor is the connection lock: the QP takes it for input,
 * timers and posting, and calls the completion queues' notify (below) with it held, so the
 * pcb guards its own fields with the same monitor and never needs a second lock. The CM takes
 * its own lock and then a QP's (REP handling moves the QP to RTR and RTS), so the pcb calls
 * the CM, and destroys its QP, only with no lock held.
 *
 * <p><b>Closing.</b> {@code close} of an established connection lets what was sent be
 * acknowledged first (the pcb outlives its socket, as a TCP connection in FIN_WAIT does,
 * bounded by {@link #LINGER_MILLIS}), then sends DREQ and destroys the QP. {@code abort}
 * (the stack's: UDP left, the vnet goes) does that at once. Whatever happened, the QP is
 * destroyed exactly once, by {@link #finishClose}.
 */
abstract class IbPcb implements Pcb, QueuePair.Events, CmAgent.Handler, CmAgent.Listener, RecvQueue {
    /** How long a closed connection may take to have its last messages acknowledged. */
    static final long LINGER_MILLIS = 30_000;

    enum St {
        IDLE, LISTEN, CONNECTING, ESTABLISHED, CLOSING, CLOSED, FAILED
    }

    final IbProtocol proto;
    final IbVnet vnet;
    final ProtoSocket so;
    final QueuePair qp;
    private final CompletionQueue scq;
    private final CompletionQueue rcq;
    private final AtomicBoolean detached = new AtomicBoolean();
    private final Callout finishSoon;
    private final Callout lingerTimer;

    // guarded by qp
    St st = St.IDLE;
    private IbSockAddr local;
    private IbSockAddr peer;
    private long sid;
    private boolean passive;
    private Errno failure;
    private boolean finished;
    long wrIds;

    IbPcb(IbProtocol proto, ProtoSocket so) {
        this.proto = proto;
        this.vnet = proto.vnet;
        this.so = so;
        this.scq = new CompletionQueue(this::sendCompletions);
        this.rcq = new CompletionQueue(this::recvCompletions);
        vnet.config();
        this.qp = vnet.hca().createQp(scq, rcq, this, this);
        this.finishSoon = proto.ctx.newCallout(this::finishClose);
        this.lingerTimer = proto.ctx.newCallout(this::finishClose);
    }

    // ---- what the socket types define ----

    /** What the CM tells the peer in the private data: RC the largest message, SDP the buffers posted. */
    abstract int cmMaxMessage();

    /** The peer's value of the same (from REQ or REP). */
    abstract void peerLimit(int value);

    /** A send completion (QP lock held); true when send-buffer space was freed. */
    abstract boolean sent(WorkCompletion wc);

    /** A received message (QP lock held); true when readers should be woken. */
    abstract boolean received(byte[] msg);

    /** After the connection came up (QP lock held). */
    void established() {
    }

    /** The application closed an established connection (QP lock held): finish what must go out. */
    void beginClose() {
    }

    /** Everything that must reach the peer before DREQ was acknowledged (QP lock held). */
    abstract boolean drained();

    // ---- user requests ----

    static IbSockAddr ibAddr(SockAddr addr, String what) throws SocketException {
        if (addr instanceof IbSockAddr a) {
            return a;
        }
        throw new SocketException(Errno.EAFNOSUPPORT, what + ": not an AF_IB address (expected [gid]:sid, e.g. [::ffff:192.0.2.2]:0x1000)");
    }

    @Override
    public void bind(SockAddr addr) throws SocketException {
        IbSockAddr a = ibAddr(addr, "bind");
        if (!a.gid().equals(IbSockAddr.ANY_GID) && !vnet.isLocal(a.gid())) {
            throw new SocketException(Errno.EADDRNOTAVAIL, "bind: " + a.gid() + " is not the GID of an address of vnet " + vnet.name());
        }
        synchronized (qp) {
            if (local != null || st != St.IDLE) {
                throw new SocketException(Errno.EINVAL, "bind: the socket is bound already");
            }
        }
        long s = vnet.reserveSid(a.serviceId(), this);
        synchronized (qp) {
            if (local != null) {
                vnet.releaseSid(s, this);
                throw new SocketException(Errno.EINVAL, "bind: the socket is bound already");
            }
            sid = s;
            local = new IbSockAddr(a.gid(), s);
        }
    }

    @Override
    public void listen(int backlog) throws SocketException {
        boolean bound;
        synchronized (qp) {
            if (st == St.LISTEN) {
                return;
            }
            if (st != St.IDLE) {
                throw new SocketException(Errno.EINVAL, "listen: the socket is connected or connecting");
            }
            bound = local != null;
        }
        if (!bound) {
            bind(new IbSockAddr(IbSockAddr.ANY_GID, 0));
        }
        vnet.openPort();
        long s;
        synchronized (qp) {
            s = sid;
        }
        if (!vnet.hca().cm().listen(s, this)) {
            throw new SocketException(Errno.EADDRINUSE, "listen: service ID 0x" + Long.toHexString(s) + " has a listener already");
        }
        synchronized (qp) {
            st = St.LISTEN;
        }
        // a listener needs no queue pair: each connection gets its own
        vnet.hca().destroyQp(qp);
    }

    @Override
    public void connect(SockAddr addr) throws SocketException {
        IbSockAddr a = ibAddr(addr, "connect");
        if (!a.gid().isIpv4Mapped()) {
            throw new SocketException(Errno.ENETUNREACH, "connect: " + a.gid()
                    + " is not an IPv4-mapped GID, the only kind RoCEv2 over IPv4 reaches (::ffff:a.b.c.d)");
        }
        if (a.serviceId() == 0) {
            throw new SocketException(Errno.EINVAL, "connect: service ID 0 names no service");
        }
        IbGid src = vnet.sourceFor(a.gid());
        if (src == null) {
            throw new SocketException(Errno.ENETUNREACH, "connect: no route to " + a.gid() + " in vnet " + vnet.name());
        }
        vnet.openPort();
        synchronized (qp) {
            switch (st) {
                case IDLE -> {
                }
                case CONNECTING -> throw new SocketException(Errno.EALREADY, "connect: a connection attempt is in progress");
                case LISTEN -> throw new SocketException(Errno.EOPNOTSUPP, "connect: the socket is listening");
                default -> throw new SocketException(Errno.EISCONN, "connect: the socket was connected");
            }
            st = St.CONNECTING;
            peer = a;
            local = local == null ? new IbSockAddr(src, 0) : local.gid().equals(IbSockAddr.ANY_GID) ? new IbSockAddr(src, local.serviceId()) : local;
        }
        so.soisconnecting();
        vnet.config();
        if (!vnet.hca().cm().connect(a.gid(), a.serviceId(), qp, so.type(), cmMaxMessage(), this)) {
            synchronized (qp) {
                st = St.FAILED;
                failure = Errno.ENETUNREACH;
            }
            so.soisdisconnected();
            throw new SocketException(Errno.ENETUNREACH, "connect: no route to " + a.gid() + " in vnet " + vnet.name());
        }
    }

    @Override
    public SockAddr accept() throws SocketException {
        synchronized (qp) {
            if (peer == null) {
                throw new SocketException(Errno.ECONNABORTED, "accept: the connection went away");
            }
            return peer;
        }
    }

    @Override
    public SockAddr sockaddr() {
        synchronized (qp) {
            return local != null ? local : new IbSockAddr(IbSockAddr.ANY_GID, 0);
        }
    }

    @Override
    public SockAddr peeraddr() throws SocketException {
        synchronized (qp) {
            if (peer == null || (st != St.ESTABLISHED && st != St.CLOSING)) {
                throw new SocketException(Errno.ENOTCONN, "getpeername");
            }
            return peer;
        }
    }

    /** What a send on a socket that is not (or no longer) connected answers. */
    SocketException notSending() {
        Errno f = failure;
        return switch (st) {
            case IDLE, CONNECTING, LISTEN -> new SocketException(Errno.ENOTCONN, "send");
            case FAILED -> new SocketException(f != null ? f : Errno.EPIPE, "send: the connection failed");
            default -> new SocketException(Errno.EPIPE, "send: the connection is closed");
        };
    }

    @Override
    public void close() {
        St was;
        long s;
        synchronized (qp) {
            was = st;
            s = sid;
            if (st == St.ESTABLISHED) {
                st = St.CLOSING;
                beginClose();
            } else if (st != St.FAILED) {
                st = St.CLOSED;
            }
        }
        switch (was) {
            case LISTEN -> vnet.hca().cm().unlisten(s, this);
            case CONNECTING -> vnet.hca().cm().disconnect(qp);
            case ESTABLISHED -> {
                proto.lingering.add(this);
                lingerTimer.reset(LINGER_MILLIS, TimeUnit.MILLISECONDS);
                synchronized (qp) {
                    if (drained()) {
                        finishSoon.reset(0, TimeUnit.MILLISECONDS);
                    }
                }
            }
            default -> {
            }
        }
    }

    @Override
    public void abort() {
        St was;
        long s;
        synchronized (qp) {
            was = st;
            s = sid;
            st = St.CLOSED;
        }
        proto.aborted.increment();
        if (was == St.LISTEN) {
            vnet.hca().cm().unlisten(s, this);
        }
        // pru_abort tells the peer, as TCP's RST does
        vnet.hca().cm().disconnect(qp, true);
        finishClose();
    }

    @Override
    public void detach() {
        if (!detached.compareAndSet(false, true)) {
            proto.detachedTwice.increment();
            return;
        }
        proto.detached.increment();
        boolean linger;
        synchronized (qp) {
            linger = st == St.CLOSING && !finished;
        }
        if (!linger) {
            finishClose();
        }
    }

    boolean isDetached() {
        return detached.get();
    }

    /** DREQ to the peer (if connected), the QP destroyed, the service ID released: once, no lock held. */
    void finishClose() {
        long s;
        synchronized (qp) {
            if (finished) {
                return;
            }
            finished = true;
            if (st != St.FAILED) {
                st = St.CLOSED;
            }
            s = sid;
        }
        finishSoon.stop();
        lingerTimer.stop();
        vnet.hca().cm().disconnect(qp);
        vnet.hca().destroyQp(qp);
        vnet.releaseSid(s, this);
        proto.lingering.remove(this);
    }

    // ---- the CM's news (input or timer thread, no lock held) ----

    @Override
    public CmAgent.Accept request(CmAgent.Request req) {
        long s;
        synchronized (qp) {
            if (st != St.LISTEN) {
                return null;
            }
            s = sid;
        }
        if (req.sockType() != so.type()) {
            return null;
        }
        IbPcb[] made = new IbPcb[1];
        ProtoSocket child = so.sonewconn(cso -> made[0] = proto.attachChild(cso));
        IbPcb c = made[0];
        if (child == null || c == null) {
            return null;
        }
        IbGid lg = vnet.sourceFor(req.src());
        int max;
        synchronized (c.qp) {
            c.st = St.CONNECTING;
            c.passive = true;
            c.local = new IbSockAddr(lg != null ? lg : IbSockAddr.ANY_GID, s);
            c.peer = new IbSockAddr(req.src(), 0);
            c.peerLimit(req.peerMaxMessage());
            max = c.cmMaxMessage();
        }
        return new CmAgent.Accept(c.qp, max, c);
    }

    @Override
    public void established(int peerMax) {
        boolean wasPassive;
        synchronized (qp) {
            if (st != St.CONNECTING) {
                return;
            }
            st = St.ESTABLISHED;
            peerLimit(peerMax);
            wasPassive = passive;
        }
        (wasPassive ? proto.accepted : proto.connected).increment();
        so.soisconnected();
        synchronized (qp) {
            established();
        }
    }

    @Override
    public void refused(int reason) {
        fail(Errno.ECONNREFUSED);
    }

    @Override
    public void timedOut() {
        fail(Errno.ETIMEDOUT);
    }

    /** A connection attempt ended without a connection. */
    private void fail(Errno e) {
        synchronized (qp) {
            if (st != St.CONNECTING) {
                return;
            }
            st = St.FAILED;
            failure = e;
        }
        (e == Errno.ECONNREFUSED ? proto.refused : proto.timedOut).increment();
        so.setError(e);
        so.soisdisconnected();
    }

    @Override
    public void disconnected(boolean reset) {
        boolean closing;
        Errno e;
        synchronized (qp) {
            if (st != St.ESTABLISHED && st != St.CONNECTING && st != St.CLOSING) {
                return;
            }
            closing = st == St.CLOSING;
            // the peer failed or was aborted (as a TCP reset), or its DREQ overtook our own
            // QP's failure news (the CM's packets are a flow of their own): said as such
            WcStatus f = qp.failure();
            e = f != null && errnoOf(f) != null ? errnoOf(f) : reset ? Errno.ECONNRESET : null;
            st = e != null && !closing ? St.FAILED : St.CLOSED;
            if (e != null) {
                failure = e;
            }
        }
        if (e != null && !closing) {
            (e == Errno.ETIMEDOUT ? proto.timedOut : proto.reset).increment();
            so.setError(e);
        }
        // the peer is gone: readers see the end after what arrived, writers EPIPE
        so.soisdisconnected();
        if (closing) {
            finishClose();
        } else {
            vnet.hca().destroyQp(qp);
        }
    }

    // ---- the QP's news ----

    /** The QP went to ERROR (outside its lock): retries exhausted, or the peer refused a request. */
    @Override
    public void fatal(QueuePair q, WcStatus why) {
        Errno e = errnoOf(why);
        boolean lingering;
        synchronized (qp) {
            if (e == null || (st != St.ESTABLISHED && st != St.CLOSING && st != St.CONNECTING)) {
                return;
            }
            lingering = st == St.CLOSING;
            st = lingering ? St.CLOSED : St.FAILED;
            failure = e;
        }
        (e == Errno.ETIMEDOUT ? proto.timedOut : proto.reset).increment();
        if (!lingering && !detached.get()) {
            so.setError(e);
            so.soisdisconnected();
        }
        // the peer learns it (DREQ saying reset), the CM forgets the connection
        vnet.hca().cm().disconnect(qp, true);
        if (lingering) {
            finishClose();
        }
    }

    /** What the application is told of a QP failure; null for WR_FLUSH_ERR (our own destroy). */
    static Errno errnoOf(WcStatus why) {
        return switch (why) {
            case RETRY_EXC_ERR, RNR_RETRY_EXC_ERR -> Errno.ETIMEDOUT;
            case REM_ACCESS_ERR, REM_INV_REQ_ERR -> Errno.ECONNRESET;
            default -> null;
        };
    }

    /** Send completions, in posting order (QP lock held). */
    private void sendCompletions() {
        WorkCompletion wc;
        boolean freed = false;
        while ((wc = scq.poll()) != null) {
            freed |= sent(wc);
        }
        if (freed) {
            so.sowwakeup();
        }
        if (st == St.CLOSING && drained()) {
            finishSoon.reset(0, TimeUnit.MILLISECONDS);
        }
    }

    /** Receive completions, one message each, in order (QP lock held). */
    private void recvCompletions() {
        WorkCompletion wc;
        boolean wake = false;
        while ((wc = rcq.poll()) != null) {
            if (wc.status() == WcStatus.SUCCESS) {
                wake |= received(wc.data());
            }
        }
        if (wake) {
            so.sorwakeup();
        }
    }

    // ---- what netstat shows ----

    @Override
    public String state() {
        synchronized (qp) {
            return switch (st) {
                case IDLE -> "";
                case FAILED -> "FAILED" + (failure != null ? " (" + failure + ")" : "");
                default -> st.name();
            };
        }
    }

    @Override
    public Map<String, String> details() {
        QueuePair.QpInfo i = qp.info();
        Map<String, String> m = new LinkedHashMap<>();
        m.put("qpn", "0x" + Integer.toHexString(i.qpn()));
        m.put("qp", i.state().name());
        if (i.remoteGid() != null) {
            m.put("peer_qpn", "0x" + Integer.toHexString(i.remoteQpn()));
        }
        m.put("sq_psn", Integer.toString(i.sqPsn()));
        m.put("rq_psn", Integer.toString(i.rqPsn()));
        m.put("retransmits", Long.toString(i.retransmits()));
        m.put("timeouts", Long.toString(i.timeouts()));
        m.put("rnr_naks", i.rnrNaksRcvd() + " in, " + i.rnrNaksSent() + " out");
        m.put("outstanding_wrs", Integer.toString(i.outstandingWrs()));
        return m;
    }

    @Override
    public String toString() {
        return proto.name + " " + sockaddr() + " qp 0x" + Integer.toHexString(qp.qpn);
    }
}
