package org.protosw.internal.kern;

import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.ReentrantLock;

/**
 * A lock that guards a table shared by a whole stack instance or protocol (pcb tables, the
 * routing table, the interface list, the socket table). Every acquisition is counted, so a
 * test can prove that the send and receive paths of established sockets take none:
 * DESIGN.md allows global locks only for insert and remove.
 */
public final class GlobalLock {
    private static final LongAdder ACQUISITIONS = new LongAdder();

    private final String name;
    private final ReentrantLock lock = new ReentrantLock();

    public GlobalLock(String name) {
        this.name = name;
    }

    public void lock() {
        ACQUISITIONS.increment();
        lock.lock();
    }

    public void unlock() {
        lock.unlock();
    }

    public boolean isHeldByCurrentThread() {
        return lock.isHeldByCurrentThread();
    }

    /** All acquisitions of every global lock in this JVM since start. */
    public static long acquisitions() {
        return ACQUISITIONS.sum();
    }

    @Override
    public String toString() {
        return "GlobalLock[" + name + "]";
    }
}
