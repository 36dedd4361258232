package org.protosw.internal.socket;

import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.channels.ByteChannel;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReferenceArray;

import org.protosw.internal.sw.AttachedSocket;
import org.protosw.internal.sw.UpgradeGate;
import org.protosw.internal.kern.DirectDispatch;
import org.protosw.internal.sw.ProtoDescriptor;
import org.protosw.internal.sw.ProtoFaults;
import org.protosw.socket.Errno;
import org.protosw.socket.NetStack;
import org.protosw.socket.RecvInfo;
import org.protosw.socket.SockAddr;
import org.protosw.socket.SockOpt;
import org.protosw.socket.Socket;
import org.protosw.socket.SocketConstants;
import org.protosw.socket.SocketException;
import org.protosw.spi.Pcb;

/**
 * A socket as the application holds it: the {@link ProtoSocketImpl} half the protocol sees,
 * and the pcb the protocol's {@code attach} returned, which is final and never null.
 *
 * <p><b>The lifecycle.</b> Every user request runs inside a reference: {@link #enter()}
 * counts it in (and fails with EBADF after close, ECONNABORTED after an abort),
 * {@link #exit(int)} counts it out. The count and the CLOSED/ABORTED flags share one
 * atomic word, so "no call in flight and closing" is decided in one place: whoever drops
 * the count to zero on a closing socket detaches the pcb, and a compare-and-set makes that
 * happen exactly once. {@link #close()} is the application's orderly close
 * ({@code pru_close}); {@link #abortByCore()} is the core's teardown ({@code pru_abort});
 * only one of the two reaches the pcb, and both end in the one {@code detach}.
 */
public final class SocketImpl implements Socket, AttachedSocket {
    private static final int CLOSED = 1 << 30;
    private static final int ABORTED = 1 << 29;
    private static final int COUNT = ABORTED - 1;
    /** Threads tracked per socket for the unload diagnostics; more callers go untracked. */
    private static final int TRACKED_CALLERS = 4;

    final ProtoSocketImpl so;
    /** Whether the application had closed it when the core marked it aborted. */
    private volatile boolean closedBeforeAbort;
    /**
     * The pcb the protocol's attach returned, never null. It changes only during a live
     * upgrade, while the instance's gate is closed and no thread is inside it (then it is the
     * next revision's pcb), and after the detach (the core's {@link DeadPcb}, so an aborted
     * socket the application never closes pins nothing of the protocol's bundle).
     */
    volatile Pcb pcb;
    /** Threads inside this socket's pcb right now (see {@link #pcbEnter()}). */
    private final AtomicInteger inPcb = new AtomicInteger();
    final long id;
    /** Bytes the application handed to this socket and took from it (net:systat's connection rates). */
    final java.util.concurrent.atomic.LongAdder sndBytes = new java.util.concurrent.atomic.LongAdder();
    final java.util.concurrent.atomic.LongAdder rcvBytes = new java.util.concurrent.atomic.LongAdder();
    private final AtomicInteger ref = new AtomicInteger();
    private final AtomicBoolean detached = new AtomicBoolean();
    private final AtomicReferenceArray<Thread> callers = new AtomicReferenceArray<>(TRACKED_CALLERS);
    private volatile SocketStreams streams;

    SocketImpl(ProtoSocketImpl so, Pcb pcb) {
        this.so = Objects.requireNonNull(so, "so");
        this.pcb = Objects.requireNonNull(pcb, "pcb");
        this.id = so.layer.nextSocketId();
        so.socket = this;
    }

    // ---- the gate in front of the pcb (live upgrade) ---------------------------------------

    /**
     * Enters the pcb for one call: counts the thread in, and while the protocol is frozen
     * for an upgrade counts it out again and waits at the gate. Returns the pcb to call,
     * which stays valid until {@link #pcbExit()}. Blocking waits of the core (a reader
     * waiting for data) happen outside, so they never hold an upgrade up.
     *
     * @throws SocketException EINTR when interrupted at the gate
     */
    Pcb pcbEnter() throws SocketException {
        UpgradeGate g = so.pi.gate();
        for (;;) {
            inPcb.incrementAndGet();
            if (!g.isClosed()) {
                return pcb;
            }
            pcbExit();
            if (!g.awaitOpen(true)) {
                throw new SocketException(Errno.EINTR, "interrupted while " + so.protoName + " was being upgraded");
            }
        }
    }

    /** {@link #pcbEnter()} without waiting: null while the gate is closed (netstat). */
    Pcb pcbTryEnter() {
        inPcb.incrementAndGet();
        if (!so.pi.gate().isClosed()) {
            return pcb;
        }
        pcbExit();
        return null;
    }

    /** {@link #pcbEnter()} for close, abort and detach, which wait at the gate uninterruptibly. */
    Pcb pcbEnterQuietly() {
        UpgradeGate g = so.pi.gate();
        for (;;) {
            inPcb.incrementAndGet();
            if (!g.isClosed()) {
                return pcb;
            }
            pcbExit();
            g.awaitOpen(false);
        }
    }

    void pcbExit() {
        if (inPcb.decrementAndGet() == 0) {
            UpgradeGate g = so.pi.gate();
            if (g.isClosed()) {
                g.left();
            }
        }
    }

    @Override
    public boolean outOfProtocol() {
        return inPcb.get() == 0;
    }

    @Override
    public Pcb pcb() {
        return pcb;
    }

    @Override
    public boolean pcbDetached() {
        // detach() sets it before it leaves the pcb, and only after that leaves the set
        return isDetached() && pcb == DeadPcb.INSTANCE;
    }

    @Override
    public org.protosw.spi.ProtoSocket protoSocket() {
        return so;
    }

    @Override
    public void detachExported() {
        Pcb old = pcb;
        pcb = DeadPcb.INSTANCE;
        try {
            old.detach();
        } catch (RuntimeException | LinkageError e) {
            faults().report(ProtoFaults.Where.TEARDOWN, "detach after export", describe(), e);
        }
    }

    @Override
    public void relink(Pcb next, org.protosw.spi.ProtoContext ctx) {
        pcb = Objects.requireNonNull(next, "pcb");
        so.ctx = ctx;
        KernSocketImpl k = so.kern;
        if (k != null) {
            k.relinked();
        }
    }

    // ---- references ----------------------------------------------------------------------

    /**
     * Counts a user request in. Returns the caller's tracking slot for {@link #exit(int)}.
     *
     * @throws SocketException EBADF after close, ECONNABORTED after an abort
     */
    int enter() throws SocketException {
        int v = ref.getAndIncrement();
        if ((v & (CLOSED | ABORTED)) != 0) {
            release();
            throw dead(v);
        }
        so.pi.callEntered();
        DirectDispatch.enter();
        Thread t = Thread.currentThread();
        for (int i = 0; i < TRACKED_CALLERS; i++) {
            if (callers.get(i) == null && callers.compareAndSet(i, null, t)) {
                return i;
            }
        }
        return -1;
    }

    /** Counts a user request out; the last one out of a closing socket detaches it. */
    void exit(int slot) {
        if (slot >= 0) {
            callers.set(slot, null);
        }
        so.pi.callLeft();
        release();
        // the protocol has returned and released its locks: what this call sent to lo0 or an
        // epair is processed here, in this thread
        DirectDispatch.exit();
    }

    /** Enters without throwing; -2 when the socket is closing. For netstat and pollers. */
    int tryEnter() {
        try {
            return enter();
        } catch (SocketException e) {
            return -2;
        }
    }

    private void release() {
        int v = ref.decrementAndGet();
        if ((v & COUNT) == 0 && (v & (CLOSED | ABORTED)) != 0) {
            detach();
        }
    }

    /** Throws EBADF or ECONNABORTED when the socket is closed or aborted. */
    void checkAlive() throws SocketException {
        int v = ref.get();
        if ((v & (CLOSED | ABORTED)) != 0) {
            throw dead(v);
        }
    }

    private SocketException dead(int v) {
        if ((v & CLOSED) != 0) {
            return new SocketException(Errno.EBADF, "socket is closed");
        }
        return new SocketException(Errno.ECONNABORTED, so.protoName + " socket aborted by the stack (protocol unloaded or stack instance removed)");
    }

    /**
     * Once the core aborted the socket, a call that was in flight reports ECONNABORTED
     * whatever it failed with (a protocol's EPIPE because the peer was torn down first, say):
     * DESIGN.md promises that callers of an aborted socket wake with ECONNABORTED.
     */
    SocketException asAborted(SocketException e) {
        int v = ref.get();
        if ((v & ABORTED) != 0 && (v & CLOSED) == 0 && e.errno() != Errno.ECONNABORTED) {
            SocketException a = dead(v);
            a.addSuppressed(e);
            return a;
        }
        return e;
    }

    boolean isAborted() {
        return (ref.get() & ABORTED) != 0;
    }

    boolean isDetached() {
        return detached.get();
    }

    /** pru_detach, exactly once, with no call in flight. */
    private void detach() {
        if (!detached.compareAndSet(false, true)) {
            return;
        }
        Pcb p = pcbEnterQuietly();
        try {
            p.detach();
        } catch (RuntimeException | LinkageError e) {
            faults().report(ProtoFaults.Where.TEARDOWN, "detach", describe(), e);
        } finally {
            // nothing calls it again: let the protocol's classes go even if the application
            // keeps the aborted socket
            pcb = DeadPcb.INSTANCE;
            pcbExit();
        }
        // data arriving for a detached socket are discarded; the protocol may keep using
        // the send buffer (a closing connection drains it), so that one stays
        so.rcv.setCantMore();
        so.rcv.flush();
        so.leaveListener();
        so.layer.remove(this);
        so.pi.detached(this);
        KernSocketImpl k = so.kern;
        if (k != null) {
            k.detached();
        }
    }

    /** A pcb request that returns nothing. */
    @FunctionalInterface
    interface PcbCall {
        void run(Pcb p) throws SocketException;
    }

    /** A pcb request that returns a value. */
    @FunctionalInterface
    interface PcbGet<T> {
        T run(Pcb p) throws SocketException;
    }

    /** Runs one request inside the gate ({@link #pcbEnter()}). */
    void call(PcbCall c) throws SocketException {
        Pcb p = pcbEnter();
        try {
            c.run(p);
        } finally {
            pcbExit();
        }
    }

    <T> T get(PcbGet<T> c) throws SocketException {
        Pcb p = pcbEnter();
        try {
            return c.run(p);
        } finally {
            pcbExit();
        }
    }

    /**
     * A user request threw what a protocol must not throw: the caller gets EIO (as a kernel
     * returns it for a failed device), the failure is counted for its protocol and logged with
     * the bundle's name, at most once a second per protocol ({@link ProtoFaults}).
     */
    SocketException protoFailure(String request, Throwable e) {
        faults().report(ProtoFaults.Where.REQUEST, request, describe(), e);
        return new SocketException(Errno.EIO, "protocol " + so.protoName + " failed in " + request + ": " + e, e);
    }

    ProtoFaults faults() {
        return so.pi.entry().faults();
    }

    boolean nonBlocking(int flags) {
        return so.nbio || (flags & SocketConstants.MSG_DONTWAIT) != 0;
    }

    static long deadline(int timeoutMillis) {
        return timeoutMillis > 0 ? System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMillis) : 0;
    }

    // ---- AttachedSocket ------------------------------------------------------------------

    @Override
    public void abortByCore() {
        if (markAborted()) {
            completeAbort();
        }
    }

    @Override
    public boolean markAborted() {
        int v;
        do {
            v = ref.get();
            if ((v & ABORTED) != 0) {
                return false;
            }
        } while (!ref.compareAndSet(v, (v | ABORTED) + 1));
        closedBeforeAbort = (v & CLOSED) != 0;
        so.wakeAll();
        return true;
    }

    @Override
    public void completeAbort() {
        try {
            if (!closedBeforeAbort) {
                for (SocketImpl c : so.stopListening()) {
                    c.abortByCore();
                }
                Pcb p = pcbEnterQuietly();
                try {
                    p.abort();
                } catch (RuntimeException | LinkageError e) {
                    faults().report(ProtoFaults.Where.TEARDOWN, "abort", describe(), e);
                } finally {
                    pcbExit();
                }
                so.rcv.setCantMore();
                so.snd.setCantMore();
            }
            so.wakeAll();
        } finally {
            release();
        }
        KernSocketImpl k = so.kern;
        if (k != null) {
            k.aborted();
        }
    }

    @Override
    public boolean inStack() {
        return so.kern != null;
    }

    @Override
    public String describe() {
        return so.protoName + " socket #" + id + " in vnet " + so.layer.vnet();
    }

    @Override
    public List<Thread> threadsInFlight() {
        List<Thread> out = new ArrayList<>();
        for (int i = 0; i < TRACKED_CALLERS; i++) {
            Thread t = callers.get(i);
            if (t != null) {
                out.add(t);
            }
        }
        return out;
    }

    // ---- Socket --------------------------------------------------------------------------

    @Override
    public int domain() {
        return so.domain;
    }

    @Override
    public int type() {
        return so.type;
    }

    @Override
    public int protocol() {
        return so.protocol;
    }

    @Override
    public NetStack stack() {
        return so.layer.stack();
    }

    SocketLayer layer() {
        return so.layer;
    }

    @Override
    public void bind(SockAddr addr) throws SocketException {
        int slot = enter();
        try {
            if (addr == null) {
                throw new SocketException(Errno.EINVAL, "bind: no address");
            }
            call(p -> p.bind(addr));
        } catch (RuntimeException | LinkageError e) {
            throw protoFailure("bind", e);
        } finally {
            exit(slot);
        }
    }

    @Override
    public void listen(int backlog) throws SocketException {
        int slot = enter();
        try {
            if ((so.state & (ProtoSocketImpl.SS_ISCONNECTED | ProtoSocketImpl.SS_ISCONNECTING
                    | ProtoSocketImpl.SS_ISDISCONNECTING)) != 0) {
                throw new SocketException(Errno.EINVAL, "listen: socket is connected");
            }
            call(p -> p.listen(backlog));
            int max = so.layer.somaxconn();
            so.startListening(backlog < 0 || backlog > max ? max : backlog);
        } catch (RuntimeException | LinkageError e) {
            throw protoFailure("listen", e);
        } finally {
            exit(slot);
        }
    }

    @Override
    public Socket accept() throws SocketException {
        int slot = enter();
        try {
            boolean nb = so.nbio;
            int timeo = so.rcvTimeo;
            SocketImpl child = so.takeConnection(nb, timeo > 0, deadline(timeo));
            // ECONNABORTED when the connection was aborted while it waited on the queue
            int cslot = child.enter();
            boolean ok = false;
            try {
                child.call(p -> p.accept());
                ok = true;
            } catch (RuntimeException | LinkageError e) {
                throw child.protoFailure("accept", e);
            } finally {
                child.exit(cslot);
                if (!ok) {
                    child.close();
                }
            }
            return child;
        } finally {
            exit(slot);
        }
    }

    @Override
    public void connect(SockAddr addr) throws SocketException {
        int slot = enter();
        try {
            if (addr == null) {
                throw new SocketException(Errno.EINVAL, "connect: no address");
            }
            if (so.isListening()) {
                throw new SocketException(Errno.EOPNOTSUPP, "connect: socket is listening");
            }
            boolean connreq = so.has(ProtoDescriptor.PR_CONNREQUIRED);
            int st = so.state;
            if ((st & (ProtoSocketImpl.SS_ISCONNECTED | ProtoSocketImpl.SS_ISCONNECTING)) != 0) {
                if (connreq) {
                    if ((st & ProtoSocketImpl.SS_ISCONNECTED) != 0) {
                        throw new SocketException(Errno.EISCONN, "connect");
                    }
                    throw new SocketException(Errno.EALREADY, "connect: a connection attempt is in progress");
                }
                // a datagram socket moves its association: dissolve the old one first
                try {
                    call(Pcb::disconnect);
                } catch (SocketException e) {
                    throw new SocketException(Errno.EISCONN, "connect: cannot dissolve the current association", e);
                }
                so.clearConnected();
            }
            so.error.set(null);
            call(p -> p.connect(addr));
            // a handshake over lo0 or an epair completes here, before any wait
            DirectDispatch.run();
            if (!connreq) {
                so.markConnected();
                return;
            }
            awaitConnected();
        } catch (RuntimeException | LinkageError e) {
            throw protoFailure("connect", e);
        } finally {
            exit(slot);
        }
    }

    private void awaitConnected() throws SocketException {
        so.lock.lock();
        try {
            for (;;) {
                checkAlive();
                int st = so.state;
                if ((st & ProtoSocketImpl.SS_ISCONNECTED) != 0) {
                    return;
                }
                Errno err = so.error.getAndSet(null);
                if (err != null) {
                    throw new SocketException(err, "connect");
                }
                if ((st & ProtoSocketImpl.SS_ISCONNECTING) == 0) {
                    throw new SocketException(Errno.ECONNREFUSED, "connect: the connection attempt ended");
                }
                if (so.nbio) {
                    throw new SocketException(Errno.EINPROGRESS, "connect");
                }
                so.awaitState(false, 0);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new SocketException(Errno.EINTR, "connect interrupted (the attempt goes on)");
        } finally {
            so.lock.unlock();
        }
    }

    @Override
    public void disconnect() throws SocketException {
        int slot = enter();
        try {
            if (!so.isConnectedState()) {
                throw new SocketException(Errno.ENOTCONN, "disconnect");
            }
            call(Pcb::disconnect);
            if (!so.has(ProtoDescriptor.PR_CONNREQUIRED)) {
                so.clearConnected();
            }
        } catch (RuntimeException | LinkageError e) {
            throw protoFailure("disconnect", e);
        } finally {
            exit(slot);
        }
    }

    @Override
    public int send(ByteBuffer src, int flags) throws SocketException {
        return sendto(src, flags, null);
    }

    @Override
    public int sendto(ByteBuffer src, int flags, SockAddr to) throws SocketException {
        return SoSend.sosend(this, src, flags, to, false);
    }

    @Override
    public int recv(ByteBuffer dst, int flags) throws SocketException {
        return SoReceive.soreceive(this, dst, flags, null, false);
    }

    @Override
    public RecvInfo recvfrom(ByteBuffer dst, int flags) throws SocketException {
        SoReceive.Meta meta = new SoReceive.Meta();
        int n = SoReceive.soreceive(this, dst, flags, meta, false);
        return new RecvInfo(n, meta.from, meta.flags, meta.ifname);
    }

    @Override
    public void shutdown(int how) throws SocketException {
        int slot = enter();
        try {
            if (how != SocketConstants.SHUT_RD && how != SocketConstants.SHUT_WR && how != SocketConstants.SHUT_RDWR) {
                throw new SocketException(Errno.EINVAL, "shutdown: how must be SHUT_RD, SHUT_WR or SHUT_RDWR, got " + how);
            }
            boolean notConnected = (so.state & (ProtoSocketImpl.SS_ISCONNECTED | ProtoSocketImpl.SS_ISCONNECTING
                    | ProtoSocketImpl.SS_ISDISCONNECTING)) == 0;
            // FreeBSD: ENOTCONN, but a datagram socket (and a listener) is still shut down,
            // which applications use to wake a thread blocked in recv
            if (notConnected && so.type != SocketConstants.SOCK_DGRAM && !so.isListening()) {
                throw new SocketException(Errno.ENOTCONN, "shutdown");
            }
            if (so.isListening()) {
                if (how != SocketConstants.SHUT_WR) {
                    so.setError(Errno.ECONNABORTED);
                }
            } else {
                if (how != SocketConstants.SHUT_WR) {
                    so.rcv.setCantMore();
                    so.rcv.flush();
                    so.sorwakeup();
                }
                if (how != SocketConstants.SHUT_RD) {
                    so.snd.setCantMore();
                    so.sowwakeup();
                    try {
                        call(Pcb::shutdown);
                    } catch (SocketException e) {
                        // the socket's side is done; a protocol without pru_shutdown has nothing to tell a peer
                        if (e.errno() != Errno.EOPNOTSUPP) {
                            throw e;
                        }
                    }
                }
            }
            if (notConnected) {
                throw new SocketException(Errno.ENOTCONN, "shutdown");
            }
        } catch (RuntimeException | LinkageError e) {
            throw protoFailure("shutdown", e);
        } finally {
            exit(slot);
        }
    }

    @Override
    public <T> void setOption(SockOpt<T> option, T value) throws SocketException {
        int slot = enter();
        try {
            if (option == null) {
                throw new SocketException(Errno.EINVAL, "setsockopt: no option");
            }
            if (option.level() == SocketConstants.SOL_SOCKET) {
                SoOptions.set(this, option, value);
            } else {
                if (value == null || !option.type().isInstance(value)) {
                    throw new SocketException(Errno.EINVAL, "setsockopt " + option.label() + ": value must be a " + option.type().getSimpleName());
                }
                call(p -> p.setOption(option, value));
            }
        } catch (RuntimeException | LinkageError e) {
            throw protoFailure("setsockopt " + option.label(), e);
        } finally {
            exit(slot);
        }
    }

    @Override
    public <T> T getOption(SockOpt<T> option) throws SocketException {
        int slot = enter();
        try {
            if (option == null) {
                throw new SocketException(Errno.EINVAL, "getsockopt: no option");
            }
            if (option.level() == SocketConstants.SOL_SOCKET) {
                return SoOptions.get(this, option);
            }
            T v = get(p -> p.getOption(option));
            if (v == null || !option.type().isInstance(v)) {
                throw new SocketException(Errno.EINVAL, "getsockopt " + option.label() + ": protocol " + so.protoName
                        + " answered " + v + " for a " + option.type().getSimpleName() + " option");
            }
            return v;
        } catch (RuntimeException | LinkageError e) {
            throw protoFailure("getsockopt " + option.label(), e);
        } finally {
            exit(slot);
        }
    }

    @Override
    public SockAddr localAddress() throws SocketException {
        int slot = enter();
        try {
            return get(Pcb::sockaddr);
        } catch (RuntimeException | LinkageError e) {
            throw protoFailure("getsockname", e);
        } finally {
            exit(slot);
        }
    }

    @Override
    public SockAddr peerAddress() throws SocketException {
        int slot = enter();
        try {
            if (!so.isConnectedState() && so.has(ProtoDescriptor.PR_CONNREQUIRED)) {
                throw new SocketException(Errno.ENOTCONN, "getpeername");
            }
            return get(Pcb::peeraddr);
        } catch (RuntimeException | LinkageError e) {
            throw protoFailure("getpeername", e);
        } finally {
            exit(slot);
        }
    }

    @Override
    public void setNonBlocking(boolean nonBlocking) throws SocketException {
        int slot = enter();
        try {
            so.nbio = nonBlocking;
        } finally {
            exit(slot);
        }
    }

    @Override
    public boolean isNonBlocking() {
        return so.nbio;
    }

    @Override
    public boolean isConnected() {
        return so.isConnectedState() && !isClosed();
    }

    @Override
    public boolean isClosed() {
        return (ref.get() & (CLOSED | ABORTED)) != 0;
    }

    /** Closed by the application (not only aborted). */
    boolean isClosedByApp() {
        return (ref.get() & CLOSED) != 0;
    }

    @Override
    public InputStream inputStream() {
        return streams().in;
    }

    @Override
    public OutputStream outputStream() {
        return streams().out;
    }

    @Override
    public ByteChannel channel() {
        return streams().channel;
    }

    private SocketStreams streams() {
        SocketStreams s = streams;
        if (s == null) {
            synchronized (this) {
                s = streams;
                if (s == null) {
                    s = new SocketStreams(this);
                    streams = s;
                }
            }
        }
        return s;
    }

    @Override
    public void close() {
        int v;
        do {
            v = ref.get();
            if ((v & CLOSED) != 0) {
                return;
            }
        } while (!ref.compareAndSet(v, (v | CLOSED) + 1));
        DirectDispatch.enter();
        try {
            so.closeKnotes();
            // blocked callers wake and fail with EBADF; the last one out detaches
            so.wakeAll();
            if ((v & ABORTED) == 0) {
                for (SocketImpl c : so.stopListening()) {
                    c.abortByCore();
                }
                Pcb p = pcbEnterQuietly();
                try {
                    p.close();
                } catch (RuntimeException | LinkageError e) {
                    faults().report(ProtoFaults.Where.TEARDOWN, "close", describe(), e);
                } finally {
                    pcbExit();
                }
                so.rcv.setCantMore();
                so.rcv.flush();
                linger();
            }
        } finally {
            release();
            DirectDispatch.exit();
        }
    }

    /**
     * SO_LINGER with a time on a connection: close waits (bounded) until the protocol
     * reports the connection gone, as BSD's {@code soclose} does for blocking sockets.
     */
    private void linger() {
        int secs = so.linger;
        if (secs <= 0 || so.nbio || !so.has(ProtoDescriptor.PR_CONNREQUIRED)) {
            return;
        }
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(secs);
        so.lock.lock();
        try {
            while ((so.state & (ProtoSocketImpl.SS_ISCONNECTED | ProtoSocketImpl.SS_ISDISCONNECTING)) != 0
                    && !isAborted()) {
                if (!so.awaitState(true, deadline)) {
                    return;
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            so.lock.unlock();
        }
    }

    @Override
    public String toString() {
        return describe();
    }
}
