package org.protosw.launcher;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

import ch.qos.logback.classic.Level;

/**
 * The runtime's most recent log entries, in memory, for {@code log:display} and
 * {@code log:tail} (Karaf's log buffer): bounded, the oldest entry leaving when a new one comes,
 * each entry numbered so a follower asks for what came after the last one it printed.
 */
final class LogRing {
    /** The runtime's ring, fed by {@link LogRingAppender}. */
    static final LogRing RUNTIME = new LogRing(Integer.getInteger("protosw.log.ring", 2000));

    /** One entry: its number, level and the text as the log file has it (stack trace lines included). */
    record Entry(long seq, Level level, String text) {
    }

    private final int capacity;
    private final ArrayDeque<Entry> entries = new ArrayDeque<>();
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition added = lock.newCondition();
    private long next = 1;

    LogRing(int capacity) {
        this.capacity = Math.max(1, capacity);
    }

    void add(Level level, String text) {
        lock.lock();
        try {
            if (entries.size() == capacity) {
                entries.removeFirst();
            }
            entries.addLast(new Entry(next++, level, text));
            added.signalAll();
        } finally {
            lock.unlock();
        }
    }

    /** The last {@code max} entries at {@code min} or above (all of them for max &lt; 0), oldest first. */
    List<Entry> last(Level min, int max) {
        lock.lock();
        try {
            List<Entry> out = new ArrayList<>();
            for (Entry e : entries) {
                if (e.level().isGreaterOrEqual(min)) {
                    out.add(e);
                }
            }
            return max < 0 || out.size() <= max ? out : out.subList(out.size() - max, out.size());
        } finally {
            lock.unlock();
        }
    }

    /**
     * The entries after number {@code after} at {@code min} or above, waiting up to
     * {@code timeoutMs} for one when there is none yet (an empty list then).
     */
    List<Entry> after(long after, Level min, long timeoutMs) throws InterruptedException {
        lock.lock();
        try {
            long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMs);
            while (true) {
                List<Entry> out = new ArrayList<>();
                for (Entry e : entries) {
                    if (e.seq() > after && e.level().isGreaterOrEqual(min)) {
                        out.add(e);
                    }
                }
                if (!out.isEmpty()) {
                    return out;
                }
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    return out;
                }
                added.awaitNanos(left);
            }
        } finally {
            lock.unlock();
        }
    }

    /** The number of the newest entry (0 before the first). */
    long newest() {
        lock.lock();
        try {
            return next - 1;
        } finally {
            lock.unlock();
        }
    }

    /** Whether {@code t} waits in {@link #after} (for tests that must act only once a follower waits). */
    boolean hasWaiter(Thread t) {
        lock.lock();
        try {
            return lock.hasWaiters(added) && (t.getState() == Thread.State.WAITING || t.getState() == Thread.State.TIMED_WAITING);
        } finally {
            lock.unlock();
        }
    }
}
