package org.protosw.internal.socket;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

import org.protosw.internal.sw.ProtoDescriptor;
import org.protosw.socket.Errno;
import org.protosw.socket.PollEvent;
import org.protosw.socket.Poller;
import org.protosw.socket.Socket;
import org.protosw.socket.SocketException;

/**
 * A kqueue: knotes attached to sockets, a ready list fed by the sockets' wake-ups, and a
 * re-check of each filter when {@link #poll} takes it (so a level-triggered knote is
 * reported as long as its condition holds, an {@link #EV_CLEAR} one once per wake-up, an
 * {@link #EV_ONESHOT} one once). The ready list is intrusive (no allocation per wake-up)
 * and guarded by this poller's own lock; no global lock is involved.
 */
final class PollerImpl implements Poller {
    private record Key(SocketImpl socket, int filter) {
    }

    private final SocketLayer layer;
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition ready = lock.newCondition();
    // guarded by lock
    private final Map<Key, Knote> knotes = new HashMap<>();
    private Knote head;
    private Knote tail;
    private int queued;
    private int waiting;
    private boolean woken;
    private boolean closed;

    PollerImpl(SocketLayer layer) {
        this.layer = layer;
    }

    @Override
    public void change(Socket socket, int filter, int flags, Object udata) throws SocketException {
        if (!(socket instanceof SocketImpl s) || s.layer() != layer) {
            throw new SocketException(Errno.EBADF, "kevent: not a socket of this stack instance");
        }
        if (filter != EVFILT_READ && filter != EVFILT_WRITE) {
            throw new SocketException(Errno.EINVAL, "kevent: filter must be EVFILT_READ or EVFILT_WRITE, got " + filter);
        }
        if (s.isClosedByApp()) {
            throw new SocketException(Errno.EBADF, "kevent: socket is closed");
        }
        lock.lock();
        try {
            if (closed) {
                throw new SocketException(Errno.EBADF, "kevent: poller is closed");
            }
            Key key = new Key(s, filter);
            Knote k = knotes.get(key);
            if ((flags & EV_DELETE) != 0) {
                if (k == null) {
                    throw new SocketException(Errno.ENOENT, "kevent: EV_DELETE of a filter that was not added");
                }
                knotes.remove(key);
                k.deleted = true;
                s.so.removeKnote(k);
                return;
            }
            if (k == null) {
                if ((flags & EV_ADD) == 0) {
                    throw new SocketException(Errno.ENOENT, "kevent: no such filter registered (use EV_ADD)");
                }
                k = new Knote(this, s, filter);
                if (!s.so.addKnote(k)) {
                    throw new SocketException(Errno.EBADF, "kevent: socket is closed");
                }
                knotes.put(key, k);
            }
            if ((flags & EV_ADD) != 0) {
                k.flags = flags & (EV_ONESHOT | EV_CLEAR);
                k.udata = udata;
            }
            if ((flags & EV_DISABLE) != 0) {
                k.enabled = false;
            } else if ((flags & (EV_ENABLE | EV_ADD)) != 0) {
                k.enabled = true;
            }
            if (k.enabled) {
                // the condition may hold already: let poll check it
                activate(k);
            }
        } finally {
            lock.unlock();
        }
    }

    /** A socket woke up: put the knote on the ready list (once). */
    void activate(Knote k) {
        if (!k.enabled || k.deleted || !k.markQueued()) {
            return;
        }
        lock.lock();
        try {
            if (k.deleted || closed) {
                k.clearQueued();
                return;
            }
            append(k);
            if (waiting > 0) {
                ready.signal();
            }
        } finally {
            lock.unlock();
        }
    }

    /** The socket was closed: the knote goes away without a trace. */
    void forget(Knote k) {
        lock.lock();
        try {
            k.deleted = true;
            knotes.remove(new Key(k.socket, k.filter), k);
        } finally {
            lock.unlock();
        }
    }

    // lock held
    private void append(Knote k) {
        k.next = null;
        if (tail == null) {
            head = k;
        } else {
            tail.next = k;
        }
        tail = k;
        queued++;
    }

    // lock held
    private Knote take() {
        Knote k = head;
        head = k.next;
        if (head == null) {
            tail = null;
        }
        k.next = null;
        queued--;
        return k;
    }

    @Override
    public List<PollEvent> poll(int maxEvents, long timeoutMillis) throws SocketException {
        if (maxEvents <= 0) {
            throw new SocketException(Errno.EINVAL, "kevent: maxEvents must be positive, got " + maxEvents);
        }
        long deadline = timeoutMillis > 0 ? System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMillis) : 0;
        List<PollEvent> out = new ArrayList<>();
        lock.lock();
        try {
            for (;;) {
                if (closed) {
                    throw new SocketException(Errno.EBADF, "kevent: poller is closed");
                }
                scan(out, maxEvents);
                if (!out.isEmpty() || woken) {
                    woken = false;
                    return out;
                }
                if (timeoutMillis == 0) {
                    return out;
                }
                waiting++;
                try {
                    if (timeoutMillis < 0) {
                        ready.await();
                    } else {
                        long left = deadline - System.nanoTime();
                        if (left <= 0) {
                            return out;
                        }
                        ready.awaitNanos(left);
                    }
                } finally {
                    waiting--;
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new SocketException(Errno.EINTR, "kevent interrupted");
        } finally {
            lock.unlock();
        }
    }

    /** Takes each knote that was ready when the scan began (at most once), checks its filter. */
    private void scan(List<PollEvent> out, int maxEvents) {
        int n = queued;
        while (n-- > 0 && out.size() < maxEvents) {
            Knote k = take();
            // from here on a wake-up queues it again
            k.clearQueued();
            if (k.deleted || !k.enabled) {
                continue;
            }
            PollEvent ev = evaluate(k);
            if (ev == null) {
                continue;
            }
            out.add(ev);
            if ((k.flags & EV_ONESHOT) != 0) {
                k.deleted = true;
                knotes.remove(new Key(k.socket, k.filter), k);
                k.socket.so.removeKnote(k);
            } else if ((k.flags & EV_CLEAR) == 0 && k.markQueued()) {
                // level-triggered: stays ready until a later scan finds the condition gone
                append(k);
            }
        }
    }

    /** {@code filt_soread}/{@code filt_sowrite}: the event, or null when the condition does not hold. */
    private static PollEvent evaluate(Knote k) {
        SocketImpl s = k.socket;
        ProtoSocketImpl so = s.so;
        boolean aborted = s.isAborted();
        Errno err = so.error.get();
        int flags = 0;
        long data;
        boolean on;
        if (k.filter == EVFILT_READ) {
            if (so.isListening()) {
                data = so.completedConnections();
                on = data > 0;
            } else {
                SockBufImpl sb = so.rcv;
                data = sb.cc();
                on = data >= Math.max(1, sb.lowat()) || (data > 0 && sb.cantMore());
                if (!on && so.has(ProtoDescriptor.PR_ATOMIC)) {
                    on = hasRecord(sb);
                }
                if (sb.cantMore()) {
                    flags |= EV_EOF;
                    on = true;
                }
            }
        } else {
            SockBufImpl sb = so.snd;
            data = sb.space();
            if (sb.cantMore()) {
                flags |= EV_EOF;
                on = true;
            } else if (so.isListening()) {
                on = false;
            } else if (!so.isConnectedState() && so.has(ProtoDescriptor.PR_CONNREQUIRED)) {
                on = false;
            } else {
                on = data >= Math.max(1, sb.lowat());
            }
        }
        if (aborted) {
            flags |= EV_EOF;
            on = true;
        }
        if (err != null) {
            flags |= EV_ERROR;
            data = err.number();
            on = true;
        }
        return on ? new PollEvent(s, k.filter, flags, data, k.udata) : null;
    }

    private static boolean hasRecord(SockBufImpl sb) {
        sb.lock.lock();
        try {
            return sb.entries() > 0;
        } finally {
            sb.lock.unlock();
        }
    }

    @Override
    public void wakeup() {
        lock.lock();
        try {
            woken = true;
            ready.signalAll();
        } finally {
            lock.unlock();
        }
    }

    @Override
    public void close() {
        List<Knote> all;
        lock.lock();
        try {
            if (closed) {
                return;
            }
            closed = true;
            all = new ArrayList<>(knotes.values());
            knotes.clear();
            head = null;
            tail = null;
            queued = 0;
            ready.signalAll();
        } finally {
            lock.unlock();
        }
        for (Knote k : all) {
            k.deleted = true;
            k.socket.so.removeKnote(k);
        }
    }
}
