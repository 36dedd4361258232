package org.protosw.internal.kern;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * A bounded lock-free queue for many producers and one consumer (after Dmitry Vyukov's
 * bounded queue): each slot carries a sequence number, so producers claim slots with one
 * CAS and the consumer never takes a lock. Used for the input workers' queues, where a
 * lock per packet would serialise every sender of a stack instance. The consumer may change
 * from one thread to another when they hand over through a lock or an atomic flag (the input
 * workers' {@code busy}); {@link #isEmpty} may be asked by any thread.
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
    /** Written by the consumer only; read by any thread in {@link #isEmpty}. */
    private volatile long head;

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

    /** About how many elements are queued (exact only when no thread offers or polls meanwhile). */
    int size() {
        long n = (long) TAIL.getVolatile(this) - head;
        return (int) Math.max(0, Math.min(n, mask + 1));
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

    /** Null when empty. One consumer at a time. */
    @SuppressWarnings("unchecked")
    E poll() {
        long h = head;
        int idx = (int) (h & mask);
        long s = (long) SEQ.getAcquire(seq, idx);
        if (s != h + 1) {
            return null;
        }
        E e = (E) ITEM.getAcquire(items, idx);
        ITEM.setRelease(items, idx, null);
        SEQ.setRelease(seq, idx, h + mask + 1);
        head = h + 1;
        return e;
    }

    boolean isEmpty() {
        long h = head;
        return (long) SEQ.getAcquire(seq, (int) (h & mask)) != h + 1;
    }
}
