package org.protosw.internal.kern;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * A bounded lock-free queue for many producers and one consumer (after Dmitry Vyukov's
 * bounded queue): each slot carries a sequence number, so producers claim slots with one
 * CAS and the consumer never takes a lock. Used for the input workers' queues, where a
 * lock per packet would serialise every sender of a stack instance.
 */
final class MpscRing<E> {
    private static final VarHandle TAIL;
    private static final VarHandle SEQ = MethodHandles.arrayElementVarHandle(long[].class);
    private static final VarHandle ITEM = MethodHandles.arrayElementVarHandle(Object[].class);

    static {
        try {
            TAIL = MethodHandles.lookup().findVarHandle(MpscRing.class, "tail", long.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    private final int mask;
    private final long[] seq;
    private final Object[] items;
    @SuppressWarnings("unused")
    private volatile long tail;
    private long head;

    MpscRing(int capacity) {
        int cap = Integer.highestOneBit(Math.max(2, capacity - 1) << 1);
        mask = cap - 1;
        seq = new long[cap];
        items = new Object[cap];
        for (int i = 0; i < cap; i++) {
            seq[i] = i;
        }
    }

    int capacity() {
        return mask + 1;
    }

    /** False when full. */
    boolean offer(E e) {
        long pos = (long) TAIL.getVolatile(this);
        for (;;) {
            int idx = (int) (pos & mask);
            long s = (long) SEQ.getAcquire(seq, idx);
            long dif = s - pos;
            if (dif == 0) {
                if (TAIL.compareAndSet(this, pos, pos + 1)) {
                    ITEM.setRelease(items, idx, e);
                    SEQ.setRelease(seq, idx, pos + 1);
                    return true;
                }
                pos = (long) TAIL.getVolatile(this);
            } else if (dif < 0) {
                return false;
            } else {
                pos = (long) TAIL.getVolatile(this);
            }
        }
    }

    /** Null when empty. Single consumer only. */
    @SuppressWarnings("unchecked")
    E poll() {
        int idx = (int) (head & mask);
        long s = (long) SEQ.getAcquire(seq, idx);
        if (s != head + 1) {
            return null;
        }
        E e = (E) ITEM.getAcquire(items, idx);
        ITEM.setRelease(items, idx, null);
        SEQ.setRelease(seq, idx, head + mask + 1);
        head++;
        return e;
    }

    boolean isEmpty() {
        int idx = (int) (head & mask);
        return (long) SEQ.getAcquire(seq, idx) != head + 1;
    }
}
