package org.protosw.internal.socket;

import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Function;

import org.protosw.internal.kern.DirectDispatch;
import org.protosw.internal.sw.ProtoDescriptor;
import org.protosw.internal.sw.ProtoInstance;
import org.protosw.socket.Errno;
import org.protosw.socket.Poller;
import org.protosw.socket.SockOpt;
import org.protosw.socket.SocketConstants;
import org.protosw.socket.SocketException;
import org.protosw.spi.Pcb;
import org.protosw.spi.ProtoContext;
import org.protosw.spi.ProtoSocket;
import org.protosw.spi.SockBuf;

/**
 * The socket as its protocol sees it ({@code struct socket}): the two socket buffers, the
 * connection state ({@code so_state}), the pending error, the socket-level options, the
 * listen queues ({@link ListenQueue}, while listening) and the knotes of pollers, with the
 * upcalls protocols make and the waits of connect, accept and close. It exists before the
 * pcb (the protocol's {@code attach} receives it) and is wrapped by the application's
 * {@link SocketImpl}.
 *
 * <p>State transitions and listen queues take this socket's own lock; data moves under the
 * socket buffers' locks. No global lock is taken here.
 */
final class ProtoSocketImpl implements ProtoSocket {
    static final int SS_ISCONNECTED = 0x0002;
    static final int SS_ISCONNECTING = 0x0004;
    static final int SS_ISDISCONNECTING = 0x0008;
    static final int SS_ISDISCONNECTED = 0x2000;

    /** Buffer limits of a socket whose protocol does not call {@link #soreserve}. */
    static final int DEFAULT_SPACE = 64 * 1024;
    /** BSD's default send low-water mark ({@code MCLBYTES}). */
    static final int DEFAULT_SND_LOWAT = 2048;

    private static final Knote[] NO_KNOTES = new Knote[0];
    private static final Knote[] CLOSED_KNOTES = new Knote[0];

    final SocketLayer layer;
    final ProtoInstance pi;
    /** The protocol's context; replaced by the new revision's in a live upgrade. */
    volatile ProtoContext ctx;
    final int domain;
    final int type;
    final int protocol;
    final int prflags;
    final String protoName;
    final SockBufImpl rcv;
    final SockBufImpl snd;

    /** SOCK_LOCK: connection state changes, listen queues, connect/accept/linger waits. */
    final ReentrantLock lock = new ReentrantLock();
    private final Condition stateChanged = lock.newCondition();
    private volatile int stateWaiters;

    volatile int state;
    final AtomicReference<Errno> error = new AtomicReference<>();
    /** Boolean SOL_SOCKET options, by their BSD bit values (the {@link SockOpt#name()}). */
    volatile int options;
    volatile int linger = -1;
    volatile int sndTimeo;
    volatile int rcvTimeo;
    /**
     * Data were sent since the last receive: a wait for data expects an answer and may poll
     * ({@link SoReceive}). Plain: a stale value costs one poll more or less, never a wake-up.
     */
    boolean sentSinceReceive;
    volatile boolean nbio;

    /** Non-null while listening; guarded by {@link #lock}. */
    volatile ListenQueue listen;
    /** The listener whose queue holds this connection; guarded by this socket's lock. */
    ProtoSocketImpl head;
    /** Which of the listener's queues holds it; guarded by the listener's lock. */
    int queue = ListenQueue.Q_NONE;

    /**
     * Made by {@code sonewconn} with the listener's buffer limits: the protocol's
     * {@link #soreserve} during attach then keeps them (BSD's attach reserves only when
     * nothing is reserved yet).
     */
    private final boolean inherited;

    /** The application's handle, set once attach returned a pcb. */
    volatile SocketImpl socket;
    /** Set for a socket another protocol opened inside the stack: wake-ups become its upcalls. */
    volatile KernSocketImpl kern;
    /** The protocol that opened it inside the stack, or null for an application's socket. */
    volatile String owner;

    final AtomicReference<Knote[]> rknotes = new AtomicReference<>(NO_KNOTES);
    final AtomicReference<Knote[]> wknotes = new AtomicReference<>(NO_KNOTES);

    ProtoSocketImpl(SocketLayer layer, ProtoInstance pi, ProtoContext ctx, int type, int protocol) {
        this.layer = layer;
        this.pi = pi;
        this.ctx = ctx;
        ProtoDescriptor d = pi.entry().descriptor();
        this.domain = d.domain();
        this.type = type;
        this.protocol = protocol;
        this.prflags = d.flags();
        this.protoName = d.name();
        int space = Math.min(DEFAULT_SPACE, layer.maxSockBuf());
        this.rcv = new SockBufImpl(space, 1);
        this.snd = new SockBufImpl(space, Math.min(DEFAULT_SND_LOWAT, space));
        this.inherited = false;
    }

    /** A connection's socket made by {@code sonewconn}: it inherits the listener's settings. */
    ProtoSocketImpl newConnection() {
        return new ProtoSocketImpl(this);
    }

    private ProtoSocketImpl(ProtoSocketImpl listener) {
        this.layer = listener.layer;
        this.pi = listener.pi;
        this.ctx = listener.ctx;
        this.domain = listener.domain;
        this.type = listener.type;
        this.protocol = listener.protocol;
        this.prflags = listener.prflags;
        this.protoName = listener.protoName;
        this.rcv = new SockBufImpl(listener.rcv.hiwat(), listener.rcv.lowat());
        this.snd = new SockBufImpl(listener.snd.hiwat(), listener.snd.lowat());
        this.rcv.inheritUserSized(listener.rcv);
        this.snd.inheritUserSized(listener.snd);
        this.inherited = true;
        options = listener.options;
        linger = listener.linger;
        sndTimeo = listener.sndTimeo;
        rcvTimeo = listener.rcvTimeo;
        nbio = listener.nbio;
    }

    boolean has(int prflag) {
        return (prflags & prflag) != 0;
    }

    boolean isConnectedState() {
        return (state & SS_ISCONNECTED) != 0;
    }

    boolean isListening() {
        return listen != null;
    }

    // ---- ProtoSocket ---------------------------------------------------------------------

    @Override
    public int domain() {
        return domain;
    }

    @Override
    public int type() {
        return type;
    }

    @Override
    public int protocol() {
        return protocol;
    }

    @Override
    public ProtoContext context() {
        return ctx;
    }

    @Override
    public SockBuf rcv() {
        return rcv;
    }

    @Override
    public SockBuf snd() {
        return snd;
    }

    @Override
    public void soreserve(int sndcc, int rcvcc) {
        if (inherited && socket == null) {
            return;
        }
        // later calls (TCP's buffer autotuning grows so_snd/so_rcv with them) leave a limit
        // the application set with SO_SNDBUF/SO_RCVBUF as it is
        int max = layer.maxSockBuf();
        if (!snd.userSized()) {
            snd.setHiwat(Math.max(1, Math.min(sndcc, max)));
            if (socket == null) {
                // during attach; afterwards SO_SNDLOWAT is the application's
                snd.setLowat(Math.min(DEFAULT_SND_LOWAT, snd.hiwat()));
            }
        }
        if (!rcv.userSized()) {
            rcv.setHiwat(Math.max(1, Math.min(rcvcc, max)));
        }
    }

    @Override
    public boolean option(SockOpt<Boolean> option) {
        if (option.level() != SocketConstants.SOL_SOCKET) {
            return false;
        }
        if (option.name() == SockOpt.SO_ACCEPTCONN.name()) {
            return listen != null;
        }
        return (options & option.name()) != 0;
    }

    @Override
    public int linger() {
        return linger;
    }

    @Override
    public void soisconnecting() {
        lock.lock();
        try {
            state = (state & ~(SS_ISCONNECTED | SS_ISDISCONNECTING | SS_ISDISCONNECTED)) | SS_ISCONNECTING;
        } finally {
            lock.unlock();
        }
        wakeState();
    }

    @Override
    public void soisconnected() {
        ProtoSocketImpl h;
        lock.lock();
        try {
            state = (state & ~(SS_ISCONNECTING | SS_ISDISCONNECTING | SS_ISDISCONNECTED)) | SS_ISCONNECTED;
            h = head;
        } finally {
            lock.unlock();
        }
        ListenQueue hq = h != null ? h.listen : null;
        if (hq != null) {
            hq.connected(this);
        }
        wakeState();
        sorwakeup();
        sowwakeup();
    }

    @Override
    public void soisdisconnecting() {
        lock.lock();
        try {
            state = (state & ~SS_ISCONNECTING) | SS_ISDISCONNECTING;
        } finally {
            lock.unlock();
        }
        rcv.setCantMore();
        snd.setCantMore();
        wakeState();
        sorwakeup();
        sowwakeup();
    }

    @Override
    public void soisdisconnected() {
        ProtoSocketImpl h;
        lock.lock();
        try {
            state = (state & ~(SS_ISCONNECTING | SS_ISCONNECTED | SS_ISDISCONNECTING)) | SS_ISDISCONNECTED;
            h = head;
        } finally {
            lock.unlock();
        }
        // a datagram socket's association ends without ending the socket (BSD's
        // udp_disconnect only clears SS_ISCONNECTED); a connection's end ends both directions
        if (has(ProtoDescriptor.PR_CONNREQUIRED)) {
            rcv.setCantMore();
            snd.setCantMore();
        }
        wakeState();
        sorwakeup();
        sowwakeup();
        ListenQueue hq = h != null ? h.listen : null;
        if (hq != null) {
            SocketImpl embryo = hq.dropIncomplete(this);
            if (embryo != null) {
                embryo.abortByCore();
            }
        }
    }

    @Override
    public void socantrcvmore() {
        rcv.setCantMore();
        sorwakeup();
    }

    @Override
    public void socantsendmore() {
        snd.setCantMore();
        sowwakeup();
    }

    @Override
    public void setError(Errno error) {
        this.error.set(Objects.requireNonNull(error, "error"));
        wakeAll();
        KernSocketImpl k = kern;
        if (k != null) {
            k.readable();
        }
    }

    @Override
    public void sorwakeup() {
        rcv.wakeup();
        activate(rknotes.get());
        KernSocketImpl k = kern;
        if (k != null) {
            k.readable();
        }
    }

    @Override
    public void sowwakeup() {
        snd.wakeup();
        activate(wknotes.get());
        KernSocketImpl k = kern;
        if (k != null) {
            k.writable();
        }
    }

    @Override
    public ProtoSocket sonewconn(Function<ProtoSocket, Pcb> attach) {
        SocketImpl listener = socket;
        ListenQueue q = listen;
        if (listener == null || q == null || listener.isClosed()) {
            return null;
        }
        return q.sonewconn(listener, attach);
    }

    // ---- listening -----------------------------------------------------------------------

    void startListening(int qlimit) {
        lock.lock();
        try {
            ListenQueue q = listen;
            if (q == null) {
                listen = new ListenQueue(this, qlimit);
            } else {
                q.setLimit(qlimit);
            }
        } finally {
            lock.unlock();
        }
    }

    /** A connection completed on this listener's queue: accept(2) waiters and pollers learn it. */
    void wakeAcceptors() {
        wakeState();
        activate(rknotes.get());
    }

    /** A queued connection was detached: it leaves its listener's queue. */
    void leaveListener() {
        ProtoSocketImpl h;
        lock.lock();
        try {
            h = head;
            head = null;
        } finally {
            lock.unlock();
        }
        if (h != null) {
            h.lock.lock();
            try {
                ListenQueue q = h.listen;
                if (q != null) {
                    q.remove(this);
                }
                queue = ListenQueue.Q_NONE;
            } finally {
                h.lock.unlock();
            }
        }
    }

    /** The listener closes or is aborted: the connections on its queues, to be aborted. */
    List<SocketImpl> stopListening() {
        ListenQueue q = listen;
        return q == null ? List.of() : q.close();
    }

    /** accept(2)'s wait: the first completed connection, taken off the queue. */
    SocketImpl takeConnection(boolean nonBlocking, boolean timed, long deadline) throws SocketException {
        SocketImpl me = socket;
        lock.lock();
        try {
            for (;;) {
                me.checkAlive();
                ListenQueue q = listen;
                if (q == null) {
                    throw new SocketException(Errno.EINVAL, "accept: socket is not listening");
                }
                Errno err = error.getAndSet(null);
                if (err != null) {
                    throw new SocketException(err, "accept");
                }
                SocketImpl c = q.dequeue();
                if (c != null) {
                    return c;
                }
                if (nonBlocking) {
                    throw SocketException.wouldBlock("accept: no connection is ready");
                }
                if (!awaitState(timed, deadline)) {
                    throw SocketException.wouldBlock("accept: timed out (SO_RCVTIMEO)");
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new SocketException(Errno.EINTR, "accept interrupted");
        } finally {
            lock.unlock();
        }
    }

    /** Connections ready for accept (the read filter's data on a listener). */
    int completedConnections() {
        ListenQueue q = listen;
        return q == null ? 0 : q.completed();
    }

    long listenOverflows() {
        ListenQueue q = listen;
        return q == null ? 0 : q.overflows();
    }

    // ---- state waits ---------------------------------------------------------------------

    /** Waits (lock held) for a state change; false when the deadline passed. */
    boolean awaitState(boolean timed, long deadline) throws InterruptedException {
        DirectDispatch.handOff();
        stateWaiters++;
        try {
            if (!timed) {
                stateChanged.await();
                return true;
            }
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                return false;
            }
            stateChanged.awaitNanos(left);
            return true;
        } finally {
            stateWaiters--;
        }
    }

    void wakeState() {
        if (stateWaiters > 0) {
            lock.lock();
            try {
                stateChanged.signalAll();
            } finally {
                lock.unlock();
            }
        }
    }

    /**
     * Wakes every blocked caller and every poller watching this socket. The changes that call
     * it (a pending error, an abort, a close) are made outside the buffers' and the socket's
     * locks, so the wake-ups take those locks: no waiter can be caught between its check and
     * its sleep.
     */
    void wakeAll() {
        rcv.wakeupLocked();
        snd.wakeupLocked();
        lock.lock();
        try {
            if (stateWaiters > 0) {
                stateChanged.signalAll();
            }
        } finally {
            lock.unlock();
        }
        activate(rknotes.get());
        activate(wknotes.get());
    }

    void clearConnected() {
        lock.lock();
        try {
            state &= ~(SS_ISCONNECTED | SS_ISCONNECTING);
        } finally {
            lock.unlock();
        }
    }

    void markConnected() {
        lock.lock();
        try {
            state = (state & ~(SS_ISCONNECTING | SS_ISDISCONNECTED)) | SS_ISCONNECTED;
        } finally {
            lock.unlock();
        }
    }

    // ---- knotes --------------------------------------------------------------------------

    private static void activate(Knote[] knotes) {
        for (Knote k : knotes) {
            k.poller.activate(k);
        }
    }

    private AtomicReference<Knote[]> knotes(int filter) {
        return filter == Poller.EVFILT_READ ? rknotes : wknotes;
    }

    /** Attaches a knote; false when the socket was closed (its knotes are gone for good). */
    boolean addKnote(Knote k) {
        AtomicReference<Knote[]> ref = knotes(k.filter);
        for (;;) {
            Knote[] cur = ref.get();
            if (cur == CLOSED_KNOTES) {
                return false;
            }
            Knote[] next = Arrays.copyOf(cur, cur.length + 1);
            next[cur.length] = k;
            if (ref.compareAndSet(cur, next)) {
                return true;
            }
        }
    }

    void removeKnote(Knote k) {
        AtomicReference<Knote[]> ref = knotes(k.filter);
        for (;;) {
            Knote[] cur = ref.get();
            int i = Arrays.asList(cur).indexOf(k);
            if (i < 0) {
                return;
            }
            Knote[] next = new Knote[cur.length - 1];
            System.arraycopy(cur, 0, next, 0, i);
            System.arraycopy(cur, i + 1, next, i, cur.length - i - 1);
            if (ref.compareAndSet(cur, next)) {
                return;
            }
        }
    }

    /** close(2) removes the descriptor's knotes from every poller. */
    void closeKnotes() {
        for (Knote k : rknotes.getAndSet(CLOSED_KNOTES)) {
            k.poller.forget(k);
        }
        for (Knote k : wknotes.getAndSet(CLOSED_KNOTES)) {
            k.poller.forget(k);
        }
    }

    @Override
    public String toString() {
        SocketImpl s = socket;
        return s != null ? s.describe() : protoName + " socket (attaching)";
    }
}
