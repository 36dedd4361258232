package org.protosw.internal.socket;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;

import org.protosw.socket.SocketException;
import org.protosw.spi.Pcb;
import org.protosw.spi.ProtoSocket;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The listen queues of one listening socket, as FreeBSD's {@code sol_incomp} and
 * {@code sol_comp} with the {@code uipc_socket.c} code that moves connections through them:
 * {@code sonewconn} (a new connection joins), the move to the accept queue when its
 * handshake completes ({@code soisconnected}), the embryo's removal when it dies, the
 * dequeue by accept(2) ({@code solisten_dequeue}) and the listener's close, which hands
 * every queued connection back to be aborted.
 *
 * <p>Guarded by the listening socket's lock ({@code SOCK_LOCK}), which every method takes
 * itself; a queued connection's {@code head} and {@code queue} are written with both the
 * listener's and the connection's locks held, listener first. The wake-ups of accept(2)
 * waiters and pollers are the listener's and run after the lock is released.
 */
final class ListenQueue {
    private static final Logger LOG = LoggerFactory.getLogger(ListenQueue.class);

    /** Which of the listener's queues holds a connection ({@link ProtoSocketImpl#queue}). */
    static final int Q_NONE = 0;
    static final int Q_INCOMP = 1;
    static final int Q_COMP = 2;

    private final ProtoSocketImpl listener;
    private final ArrayDeque<SocketImpl> incomp = new ArrayDeque<>();
    private final ArrayDeque<SocketImpl> comp = new ArrayDeque<>();
    /** {@code sol_qlimit}: the backlog, bounded by {@code kern.ipc.somaxconn}. */
    private int qlimit;
    /** The listener closed or was aborted: no connection joins any more. */
    private boolean closed;
    /** Connections refused because the queues were full ({@code sonewconn} overflows). */
    private long overflows;

    ListenQueue(ProtoSocketImpl listener, int qlimit) {
        this.listener = listener;
        this.qlimit = qlimit;
    }

    /** listen(2) again on a listening socket: only the backlog changes. */
    void setLimit(int qlimit) {
        assert listener.lock.isHeldByCurrentThread();
        this.qlimit = qlimit;
    }

    private int qlen() {
        return incomp.size() + comp.size();
    }

    /** FreeBSD's test: a listener takes up to one and a half times its backlog. */
    private boolean full() {
        return qlen() > 3 * qlimit / 2;
    }

    /**
     * {@code sonewconn}: a connection request arrived. Unless the queues are full or closed,
     * makes the connection's socket with the listener's settings, has the protocol attach it
     * ({@code attach}), and queues it: on the accept queue when the protocol already marked
     * it connected, else on the incomplete queue.
     *
     * @return the new connection's socket, or null when it was refused (counted as an overflow
     *         when the queues were full)
     */
    ProtoSocket sonewconn(SocketImpl listenerSocket, Function<ProtoSocket, Pcb> attach) {
        listener.lock.lock();
        try {
            if (closed || full()) {
                overflows++;
                LOG.debug("{}: listen queue overflow ({} queued, backlog {})", listenerSocket.describe(), qlen(), qlimit);
                return null;
            }
        } finally {
            listener.lock.unlock();
        }
        if (!listener.layer.soalloc()) {
            // as FreeBSD's sonewconn when soalloc fails: the connection is refused, the
            // protocol answers as for a full queue
            return null;
        }
        boolean made = false;
        try {
            listener.pi.beginCreate(true);
        } catch (SocketException e) {
            listener.layer.sofree();
            return null;
        }
        try {
            ProtoSocketImpl child = listener.newConnection();
            Pcb pcb;
            try {
                pcb = attach.apply(child);
            } catch (RuntimeException | LinkageError e) {
                listener.pi.entry().faults().report(org.protosw.internal.sw.ProtoFaults.Where.ATTACH, "attach of a new connection",
                        listenerSocket.describe(), e);
                return null;
            }
            if (pcb == null) {
                return null;
            }
            SocketImpl cs = new SocketImpl(child, pcb);
            // from here the socket's detach gives its count back
            made = true;
            // join the protocol's socket set before anyone else can see the socket, so an
            // unload never misses it
            if (!listener.pi.insert(cs)) {
                cs.abortByCore();
                return null;
            }
            int joined = enqueue(child, cs);
            if (joined == Q_NONE) {
                cs.abortByCore();
                return null;
            }
            listener.layer.insert(cs);
            if (joined == Q_COMP) {
                listener.wakeAcceptors();
            }
            return child;
        } finally {
            if (!made) {
                listener.layer.sofree();
            }
            listener.pi.endCreate();
        }
    }

    /** Puts an attached connection on a queue; which one, or {@link #Q_NONE} when refused. */
    private int enqueue(ProtoSocketImpl child, SocketImpl cs) {
        listener.lock.lock();
        try {
            if (listener.listen != this || closed || full()) {
                overflows++;
                return Q_NONE;
            }
            child.lock.lock();
            try {
                child.head = listener;
                if (child.isConnectedState()) {
                    child.queue = Q_COMP;
                    comp.addLast(cs);
                } else {
                    child.queue = Q_INCOMP;
                    incomp.addLast(cs);
                }
                return child.queue;
            } finally {
                child.lock.unlock();
            }
        } finally {
            listener.lock.unlock();
        }
    }

    /** A queued connection completed its handshake: it moves to the accept queue. */
    void connected(ProtoSocketImpl child) {
        boolean moved = false;
        listener.lock.lock();
        try {
            SocketImpl cs = child.socket;
            if (cs != null && child.queue == Q_INCOMP && incomp.remove(cs)) {
                child.queue = Q_COMP;
                comp.addLast(cs);
                moved = true;
            }
        } finally {
            listener.lock.unlock();
        }
        if (moved) {
            listener.wakeAcceptors();
        }
    }

    /** An embryonic connection died: it leaves the incomplete queue; returned for aborting. */
    SocketImpl dropIncomplete(ProtoSocketImpl child) {
        listener.lock.lock();
        try {
            SocketImpl cs = child.socket;
            if (cs != null && child.queue == Q_INCOMP && incomp.remove(cs)) {
                child.queue = Q_NONE;
                return cs;
            }
            return null;
        } finally {
            listener.lock.unlock();
        }
    }

    /** A queued connection was detached: it leaves whichever queue holds it. */
    void remove(ProtoSocketImpl child) {
        assert listener.lock.isHeldByCurrentThread();
        SocketImpl cs = child.socket;
        if (cs != null) {
            incomp.remove(cs);
            comp.remove(cs);
        }
    }

    /**
     * The listener closes or is aborted: the queues close and the connections on them are
     * returned, to be aborted ({@code soabort} of BSD's {@code soclose} on a listener).
     */
    List<SocketImpl> close() {
        listener.lock.lock();
        try {
            closed = true;
            List<SocketImpl> queued = new ArrayList<>(incomp);
            queued.addAll(comp);
            incomp.clear();
            comp.clear();
            return queued;
        } finally {
            listener.lock.unlock();
        }
    }

    /** {@code solisten_dequeue}: the first completed connection, taken off the queue, or null. */
    SocketImpl dequeue() {
        assert listener.lock.isHeldByCurrentThread();
        SocketImpl c = comp.pollFirst();
        if (c != null) {
            ProtoSocketImpl cso = c.so;
            cso.lock.lock();
            try {
                cso.head = null;
                cso.queue = Q_NONE;
            } finally {
                cso.lock.unlock();
            }
        }
        return c;
    }

    /** Connections ready for accept (the read filter's data on a listener). */
    int completed() {
        listener.lock.lock();
        try {
            return comp.size();
        } finally {
            listener.lock.unlock();
        }
    }

    long overflows() {
        listener.lock.lock();
        try {
            return overflows;
        } finally {
            listener.lock.unlock();
        }
    }
}
