package org.protosw.internal.socket;

import java.nio.ByteBuffer;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

import org.protosw.internal.kern.DirectDispatch;
import org.protosw.internal.kern.PacketPool;
import org.protosw.socket.SockAddr;
import org.protosw.socket.SocketConstants;
import org.protosw.spi.Packet;
import org.protosw.spi.SockBuf;

/**
 * A socket buffer ({@code struct sockbuf}): a queue of packets with a byte limit, its own
 * lock and a condition for callers blocked on it. Datagram protocols queue records
 * ({@link #appendAddr}: packet, sender, interface); stream protocols queue byte chunks
 * ({@link #appendStream}) that are consumed from the front by offset.
 *
 * <p>The queue is a ring of parallel arrays, so appending and taking allocate nothing once
 * the ring has grown to the buffer's working size. {@link #cc()}, {@link #hiwat()} and the
 * state are volatile and may be read without the lock (pollers, readiness checks).
 * Waking is cheap when nobody waits: the lock is taken to signal only then.
 *
 * <p>{@link #io} is {@code sblock}: it serialises the senders (or the stream readers) of
 * one socket, so two writers' bytes never interleave.
 */
final class SockBufImpl implements SockBuf {
    private static final int INITIAL_SLOTS = 8;

    /** SOCKBUF_LOCK: guards the queue; protocols take it through the SockBuf calls. */
    final ReentrantLock lock = new ReentrantLock();
    /** sblock: one sender (or one stream reader) at a time. */
    final ReentrantLock io = new ReentrantLock();
    private final Condition changed = lock.newCondition();
    private volatile int waiters;
    /** Signals given, written under the lock: what a busy-polling waiter watches. */
    private volatile int changes;

    private volatile int hiwat;
    private volatile int lowat;
    private volatile int cc;
    private volatile boolean cantMore;
    /**
     * The application chose the limit (SO_SNDBUF/SO_RCVBUF): the protocol's later
     * {@code soreserve} calls leave it alone (FreeBSD clears {@code SB_AUTOSIZE}).
     */
    private volatile boolean userSized;

    // the ring, guarded by lock
    private Packet[] pkts = new Packet[INITIAL_SLOTS];
    private int[] used = new int[INITIAL_SLOTS];
    // a stream's buffer never has a sender's address, an interface name or a record flag:
    // these three come with the first record that has one (null before)
    private SockAddr[] froms;
    private String[] ifnames;
    /** Per record: MSG_EOR when it ends a record (datagrams always do). */
    private int[] rflags;
    private int head;
    private int count;
    private boolean skipToEor;
    /** Queued parts that end a record: a SOCK_SEQPACKET reader waits for one. */
    private int eors;

    SockBufImpl(int hiwat, int lowat) {
        this.hiwat = hiwat;
        this.lowat = lowat;
    }

    @Override
    public int hiwat() {
        return hiwat;
    }

    @Override
    public int cc() {
        return cc;
    }

    @Override
    public int space() {
        return Math.max(0, hiwat - cc);
    }

    @Override
    public boolean cantMore() {
        return cantMore;
    }

    @Override
    public boolean appendAddr(Packet data, SockAddr from, String ifname) {
        int len = data.length();
        lock.lock();
        try {
            if (cantMore || cc + len > hiwat || cc + len < 0) {
                return false;
            }
            push(data, from, ifname, SocketConstants.MSG_EOR);
            cc += len;
            return true;
        } finally {
            lock.unlock();
        }
    }

    @Override
    public void appendStream(Packet data) {
        int len = data.length();
        if (len == 0) {
            return;
        }
        lock.lock();
        try {
            // after shutdown(SHUT_RD) or close, arriving bytes are discarded, as BSD does
            if (cantMore) {
                return;
            }
            push(data, null, null, 0);
            cc += len;
        } finally {
            lock.unlock();
        }
    }

    @Override
    public void appendRecord(Packet data, SockAddr from, int flags) {
        int len = data.length();
        lock.lock();
        try {
            if (cantMore) {
                return;
            }
            if (skipToEor) {
                // the rest of a record the reader truncated: discarded as POSIX says
                if ((flags & SocketConstants.MSG_EOR) != 0) {
                    skipToEor = false;
                }
                return;
            }
            push(data, from, null, flags & SocketConstants.MSG_EOR);
            cc += len;
        } finally {
            lock.unlock();
        }
    }

    @Override
    public Packet takeRecord() {
        lock.lock();
        try {
            if (count == 0) {
                return null;
            }
            Packet p = pkts[head];
            int consumed = used[head];
            // the protocol owns it now: not recycled; counted out before its front is cut
            removeHead();
            p.adj(consumed);
            return p;
        } finally {
            lock.unlock();
        }
    }

    @Override
    public int records() {
        return count;
    }

    @Override
    public void copyOut(int offset, byte[] dst, int dstOff, int len) {
        if (offset < 0 || len < 0 || dstOff < 0 || dstOff + len > dst.length) {
            throw new IndexOutOfBoundsException("copyOut offset " + offset + " len " + len + " into " + dst.length + " at " + dstOff);
        }
        lock.lock();
        try {
            if (offset + len > cc) {
                throw new IndexOutOfBoundsException("copyOut " + offset + "+" + len + " beyond the " + cc + " bytes held");
            }
            int skip = offset;
            int i = 0;
            while (len > 0) {
                int slot = (head + i++) & (pkts.length - 1);
                Packet p = pkts[slot];
                int avail = p.length() - used[slot];
                if (skip >= avail) {
                    skip -= avail;
                    continue;
                }
                int n = Math.min(avail - skip, len);
                System.arraycopy(p.array(), p.offset() + used[slot] + skip, dst, dstOff, n);
                skip = 0;
                dstOff += n;
                len -= n;
            }
        } finally {
            lock.unlock();
        }
    }

    @Override
    public void drop(int len) {
        if (len < 0) {
            throw new IllegalArgumentException("drop " + len);
        }
        lock.lock();
        try {
            if (len > cc) {
                throw new IndexOutOfBoundsException("drop " + len + " of the " + cc + " bytes held");
            }
            dropLocked(len);
        } finally {
            lock.unlock();
        }
    }

    // ---- the core's side -------------------------------------------------------------

    int lowat() {
        return lowat;
    }

    boolean userSized() {
        return userSized;
    }

    /** SO_SNDBUF/SO_RCVBUF: the application's limit, which autotuning must not change. */
    void setHiwatByUser(int hiwat) {
        userSized = true;
        setHiwat(hiwat);
    }

    void inheritUserSized(SockBufImpl from) {
        userSized = from.userSized;
    }

    void setLowat(int lowat) {
        this.lowat = lowat;
    }

    void setHiwat(int hiwat) {
        this.hiwat = hiwat;
        if (lowat > hiwat) {
            lowat = hiwat;
        }
    }

    /** Entries queued (records, or stream chunks). Lock held. */
    int entries() {
        return count;
    }

    /** The first record's packet. Lock held, {@link #entries()} > 0. */
    Packet headPacket() {
        return pkts[head];
    }

    SockAddr headFrom() {
        return froms == null ? null : froms[head];
    }

    String headIfname() {
        return ifnames == null ? null : ifnames[head];
    }

    /** Queued parts that end a record. Lock held. */
    int endsOfRecord() {
        return eors;
    }

    /** The first record's MSG_EOR bit. Lock held, {@link #entries()} > 0. */
    int headFlags() {
        return rflags == null ? 0 : rflags[head];
    }

    /**
     * A reader truncated a record whose end has not arrived: the parts still to come up to
     * its MSG_EOR are discarded on arrival. Lock held.
     */
    void skipToEndOfRecord() {
        skipToEor = true;
    }

    /**
     * Removes the first record ({@code sbdroprecord}) after the reader has copied what it
     * wanted: nobody holds its packet any more. Lock held.
     */
    void dropRecord() {
        Packet p = pkts[head];
        removeHead();
        PacketPool.recycle(p);
    }

    private void removeHead() {
        Packet p = pkts[head];
        cc -= p.length() - used[head];
        clear(head);
        head = (head + 1) & (pkts.length - 1);
        count--;
    }

    /**
     * Copies up to {@code max} stream bytes from the front into {@code dst} and, unless
     * {@code peek}, drops them. Lock held. Returns the bytes copied.
     */
    int readStream(ByteBuffer dst, int max, boolean peek) {
        int want = Math.min(max, Math.min(dst.remaining(), cc));
        int done = 0;
        int i = 0;
        while (done < want) {
            int slot = (head + i++) & (pkts.length - 1);
            Packet p = pkts[slot];
            int n = Math.min(p.length() - used[slot], want - done);
            dst.put(p.array(), p.offset() + used[slot], n);
            done += n;
        }
        if (!peek) {
            dropLocked(done);
        }
        return done;
    }

    /** Marks the buffer as getting no more data and wakes its waiters. */
    void setCantMore() {
        lock.lock();
        try {
            cantMore = true;
            if (waiters > 0) {
                signalLocked();
            }
        } finally {
            lock.unlock();
        }
    }

    /** {@code sbflush}: discards everything queued. */
    void flush() {
        lock.lock();
        try {
            while (count > 0) {
                // not recycled: a protocol that posted a queued record to hardware (the IB
                // demo's queue pair) may still be sending from it when the socket closes
                clear(head);
                head = (head + 1) & (pkts.length - 1);
                count--;
            }
            head = 0;
            cc = 0;
        } finally {
            lock.unlock();
        }
    }

    /**
     * {@code sbwait}: waits (lock held) for a change. {@code deadline} is a
     * {@link System#nanoTime()} value, used only when {@code timed}.
     *
     * @return false when the deadline passed
     */
    boolean await(boolean timed, long deadline) throws InterruptedException {
        return await(timed, deadline, 0);
    }

    /**
     * {@code sbwait} that first polls for up to {@code spinNs} without sleeping (Linux's
     * {@code net.core.busy_read}): a reply that comes within that time is taken without the
     * two thread hand-offs (park, and the waker's unpark) that cost more than a whole
     * in-stack round trip. The poller counts as a waiter, so a change signalled meanwhile
     * is seen in {@link #changes}, bumped under the lock by every signal: once the lock is
     * taken again, an unchanged count means no signal came and the real wait cannot miss one.
     * Returns true (a wake-up to re-check) when something changed while polling.
     */
    boolean await(boolean timed, long deadline, long spinNs) throws InterruptedException {
        // what this thread sent and would process itself goes to the input workers first
        DirectDispatch.handOff();
        waiters++;
        try {
            if (spinNs > 0 && poll(timed, deadline, spinNs)) {
                return true;
            }
            if (!timed) {
                changed.await();
                return true;
            }
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                return false;
            }
            changed.awaitNanos(left);
            return true;
        } finally {
            waiters--;
        }
    }

    /** Polls (lock held on entry and return, released meanwhile) until a signal or {@code spinNs}. */
    private boolean poll(boolean timed, long deadline, long spinNs) throws InterruptedException {
        int seen = changes;
        long start = System.nanoTime();
        long end = timed && deadline - start < spinNs ? deadline : start + spinNs;
        lock.unlock();
        try {
            while (changes == seen && System.nanoTime() - end < 0) {
                if (Thread.currentThread().isInterrupted()) {
                    break;
                }
                Thread.onSpinWait();
            }
        } finally {
            lock.lock();
        }
        if (Thread.interrupted()) {
            throw new InterruptedException();
        }
        return changes != seen;
    }

    private void signalLocked() {
        changes++;
        changed.signalAll();
    }

    /**
     * Wakes callers blocked on this buffer after a change made outside its lock (a pending
     * error, an abort, a state change). Takes the lock every time: a waiter checks its
     * conditions under the lock and only then counts itself in {@link #waiters}, so an unlocked
     * look at the count could miss a waiter between the two and leave it asleep forever.
     */
    void wakeupLocked() {
        lock.lock();
        try {
            if (waiters > 0) {
                signalLocked();
            }
        } finally {
            lock.unlock();
        }
    }

    /**
     * Wakes callers blocked on this buffer; nearly free when there are none. Only for changes
     * made under the buffer's lock (appends), which a waiter cannot miss; see {@link #wakeupLocked()}.
     */
    void wakeup() {
        if (waiters > 0) {
            lock.lock();
            try {
                signalLocked();
            } finally {
                lock.unlock();
            }
        }
    }

    /** Takes {@link #io} as a blocking call would: waiting, bounded, or not at all. */
    boolean lockIo(boolean nonBlocking, boolean timed, long deadline) throws InterruptedException {
        if (nonBlocking) {
            return io.tryLock();
        }
        if (io.tryLock()) {
            return true;
        }
        DirectDispatch.handOff();
        if (timed) {
            long left = deadline - System.nanoTime();
            return left > 0 && io.tryLock(left, TimeUnit.NANOSECONDS);
        }
        io.lockInterruptibly();
        return true;
    }

    // lock held
    private void push(Packet p, SockAddr from, String ifname, int flags) {
        if (count == pkts.length) {
            grow();
        }
        int slot = (head + count) & (pkts.length - 1);
        pkts[slot] = p;
        used[slot] = 0;
        if (from != null || froms != null) {
            froms = froms != null ? froms : new SockAddr[pkts.length];
            froms[slot] = from;
        }
        if (ifname != null || ifnames != null) {
            ifnames = ifnames != null ? ifnames : new String[pkts.length];
            ifnames[slot] = ifname;
        }
        if (flags != 0 || rflags != null) {
            rflags = rflags != null ? rflags : new int[pkts.length];
            rflags[slot] = flags;
        }
        if ((flags & SocketConstants.MSG_EOR) != 0) {
            eors++;
        }
        count++;
    }

    // lock held
    private void dropLocked(int len) {
        cc -= len;
        while (len > 0) {
            int avail = pkts[head].length() - used[head];
            if (len < avail) {
                used[head] += len;
                return;
            }
            len -= avail;
            // consumed to the end: read by the application, or acknowledged by the peer
            PacketPool.recycle(pkts[head]);
            clear(head);
            head = (head + 1) & (pkts.length - 1);
            count--;
        }
    }

    private void clear(int slot) {
        if (rflags != null) {
            if ((rflags[slot] & SocketConstants.MSG_EOR) != 0 && pkts[slot] != null) {
                eors--;
            }
            rflags[slot] = 0;
        }
        pkts[slot] = null;
        if (froms != null) {
            froms[slot] = null;
        }
        if (ifnames != null) {
            ifnames[slot] = null;
        }
        used[slot] = 0;
    }

    private void grow() {
        int old = pkts.length;
        int n = old * 2;
        pkts = unrolled(pkts, old, new Packet[n]);
        used = unrolled(used, old, new int[n]);
        froms = froms == null ? null : unrolled(froms, old, new SockAddr[n]);
        ifnames = ifnames == null ? null : unrolled(ifnames, old, new String[n]);
        rflags = rflags == null ? null : unrolled(rflags, old, new int[n]);
        head = 0;
    }

    /** The ring's {@code count} slots of {@code src} (length {@code len}) from {@code head} on, copied to the start of {@code dst}. */
    private <A> A unrolled(A src, int len, A dst) {
        int first = Math.min(count, len - head);
        System.arraycopy(src, head, dst, 0, first);
        System.arraycopy(src, 0, dst, first, count - first);
        return dst;
    }
}
