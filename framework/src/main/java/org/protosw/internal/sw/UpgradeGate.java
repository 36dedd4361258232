package org.protosw.internal.sw;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.BooleanSupplier;

/**
 * The gate in front of one protocol instance's code during a live upgrade. Closed, it makes
 * every new call into a pcb wait (the caller has counted itself in on its socket first,
 * sees the gate closed, counts itself out and waits here), so the upgrade only has to wait
 * for the callers already inside the protocol. Callers blocked in the core (a reader
 * waiting for data, in the socket buffer) are not inside the protocol and do not count.
 *
 * <p>Open, it costs one volatile read per call.
 */
public final class UpgradeGate {
    private volatile boolean closed;
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition changed = lock.newCondition();
    private int waiting;

    public boolean isClosed() {
        return closed;
    }

    void close() {
        closed = true;
    }

    void open() {
        lock.lock();
        try {
            closed = false;
            changed.signalAll();
        } finally {
            lock.unlock();
        }
    }

    /** Callers waiting at the gate now (for tests and diagnostics). */
    public int waiting() {
        lock.lock();
        try {
            return waiting;
        } finally {
            lock.unlock();
        }
    }

    /**
     * Waits until the gate opens (the upgrade ended, well or not). The upgrade is bounded
     * (its wait for the new revision is a tunable), so this wait is too.
     *
     * @param interruptible false for close, abort and detach, which must not be left half done
     * @return false when interrupted (only if interruptible)
     */
    public boolean awaitOpen(boolean interruptible) {
        lock.lock();
        try {
            waiting++;
            boolean interrupted = false;
            try {
                while (closed) {
                    try {
                        changed.await(100, TimeUnit.MILLISECONDS);
                    } catch (InterruptedException e) {
                        if (interruptible) {
                            Thread.currentThread().interrupt();
                            return false;
                        }
                        interrupted = true;
                    }
                }
            } finally {
                waiting--;
                if (interrupted) {
                    Thread.currentThread().interrupt();
                }
            }
            return true;
        } finally {
            lock.unlock();
        }
    }

    /** A caller left the protocol's code while the gate is closed: the upgrade may be waiting for it. */
    public void left() {
        lock.lock();
        try {
            changed.signalAll();
        } finally {
            lock.unlock();
        }
    }

    /** The upgrade waits until {@code quiet} holds (re-checked whenever a caller leaves) or the deadline. */
    boolean awaitQuiet(BooleanSupplier quiet, long deadlineNanos) {
        lock.lock();
        try {
            while (!quiet.getAsBoolean()) {
                long left = deadlineNanos - System.nanoTime();
                if (left <= 0) {
                    return false;
                }
                try {
                    changed.awaitNanos(Math.min(left, TimeUnit.MILLISECONDS.toNanos(10)));
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return false;
                }
            }
            return true;
        } finally {
            lock.unlock();
        }
    }
}
