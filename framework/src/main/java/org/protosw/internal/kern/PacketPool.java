package org.protosw.internal.kern;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.Arrays;
import java.util.concurrent.atomic.LongAdder;

import org.protosw.spi.Packet;

/**
 * Packet buffers handed back by the one place that knows a packet has no other holder: the
 * socket buffer that consumed it (the reader copied the bytes out, or the peer acknowledged
 * them). The next {@link #allocate} of a size that fits takes one of them instead of a new
 * array, so a steady flow recycles its buffers instead of leaving two bytes of garbage for
 * every byte it moves (issue 12).
 *
 * <p>Only packets this pool handed out come back ({@link #M_POOLED}): a packet wrapped
 * around somebody else's array ({@link Packet#wrap}) may still be that array's owner's,
 * and a packet a protocol took with {@code takeRecord} is the protocol's. A buffer that is
 * never given back is an ordinary object for the collector: forgetting to recycle costs
 * garbage, never correctness. Giving back a packet that somebody still holds would be a
 * use after free, which is why there are so few call sites.
 *
 * <p>Sizes come in classes a quarter of a power of two apart (256, 320, 384, 448, 512,
 * 640 ... 256 KiB), so a buffer is at most a quarter larger than asked for. Each class is
 * a small stack shared by every thread: the thread that frees a flow's buffers (the reader,
 * or the one processing ACKs) is seldom the one that allocates them. The stack is guarded
 * by a try-only flag, never waited on: a thread that finds it busy allocates (or drops the
 * buffer to the collector) instead, so the pool never blocks the data path.
 */
public final class PacketPool {
    /**
     * Set on packets this pool handed out. The core's own bit, far above the SPI's
     * {@code M_*} flags; a protocol that replaces the flags only loses the recycling.
     */
    public static final int M_POOLED = 1 << 30;

    private static final int MIN_SHIFT = 8;
    private static final int MAX_SHIFT = 18;
    private static final int MIN_SIZE = 1 << MIN_SHIFT;
    private static final int MAX_SIZE = 1 << MAX_SHIFT;
    private static final int CLASSES = 1 + (MAX_SHIFT - MIN_SHIFT) * 4;
    /**
     * Bytes a class may hold idle: a reader that drains a full autotuned receive buffer at
     * once frees that much before the sender allocates again.
     */
    private static final int BYTES_PER_CLASS = 4 << 20;
    private static final int MAX_SLOTS = 1024;
    private static final int MIN_SLOTS = 4;

    private static final Stack[] STACKS = new Stack[CLASSES];
    private static final LongAdder HITS = new LongAdder();
    private static final LongAdder MISSES = new LongAdder();
    private static final LongAdder RECYCLED = new LongAdder();

    static {
        for (int c = 0; c < CLASSES; c++) {
            int size = classSize(c);
            STACKS[c] = new Stack(Math.clamp(BYTES_PER_CLASS / size, MIN_SLOTS, MAX_SLOTS));
        }
    }

    private PacketPool() {
    }

    /** A packet of {@code len} zero bytes after {@code headroom} bytes of room, as {@link Packet#allocate(int, int)}. */
    public static Packet allocate(int headroom, int len) {
        int need = headroom + len;
        if (headroom < 0 || len < 0 || need > MAX_SIZE || need < 0) {
            return Packet.allocate(headroom, len);
        }
        int c = classOf(need);
        Packet p = STACKS[c].pop();
        if (p == null) {
            MISSES.increment();
            p = Packet.allocate(headroom, classSize(c) - headroom);
            p.setLength(len);
        } else {
            HITS.increment();
            reset(p, headroom, len);
        }
        p.setFlags(M_POOLED);
        return p;
    }

    /**
     * Gives back a packet nobody else holds. Only this pool's packets of an unchanged array
     * are kept; the rest are left to the collector.
     */
    public static void recycle(Packet p) {
        if (p == null || (p.flags() & M_POOLED) == 0) {
            return;
        }
        int size = p.array().length;
        if (size < MIN_SIZE || size > MAX_SIZE) {
            return;
        }
        int c = classOf(size);
        if (classSize(c) != size) {
            // prepend or setLength replaced the array: not one of the class sizes
            return;
        }
        // a second recycle of the same packet would hand its array to two owners
        p.setFlags(p.flags() & ~M_POOLED);
        p.setTag(null);
        p.setRcvif(null);
        if (STACKS[c].push(p)) {
            RECYCLED.increment();
        }
    }

    /** Allocations served from the pool. */
    public static long hits() {
        return HITS.sum();
    }

    /** Allocations that found no buffer of their class and made a new one. */
    public static long misses() {
        return MISSES.sum();
    }

    /** Packets given back and kept. */
    public static long recycled() {
        return RECYCLED.sum();
    }

    static int classOf(int need) {
        if (need <= MIN_SIZE) {
            return 0;
        }
        int e = 31 - Integer.numberOfLeadingZeros(need - 1);
        int quarter = 1 << (e - 2);
        int q = (need - (1 << e) + quarter - 1) >>> (e - 2);
        return 1 + (e - MIN_SHIFT) * 4 + (q - 1);
    }

    static int classSize(int c) {
        if (c == 0) {
            return MIN_SIZE;
        }
        int e = MIN_SHIFT + (c - 1) / 4;
        int q = 1 + (c - 1) % 4;
        return (4 + q) << (e - 2);
    }

    /**
     * Turns a recycled packet into a fresh one through the SPI's own moves (the core cannot
     * set a packet's offset directly), then zeroes what the new owner may read.
     */
    private static void reset(Packet p, int headroom, int len) {
        p.setLength(0);
        int off = p.offset();
        if (off > headroom) {
            p.prepend(off - headroom);
        } else if (off < headroom) {
            p.setLength(headroom - off);
            p.adj(headroom - off);
        }
        p.setLength(len);
        Arrays.fill(p.array(), 0, headroom + len, (byte) 0);
    }

    /** One class's idle buffers; {@link #busy} is tried, never waited for. */
    private static final class Stack {
        private static final VarHandle BUSY;

        static {
            try {
                BUSY = MethodHandles.lookup().findVarHandle(Stack.class, "busy", int.class);
            } catch (ReflectiveOperationException e) {
                throw new ExceptionInInitializerError(e);
            }
        }

        private final Packet[] items;
        private int n;
        @SuppressWarnings("unused") // through BUSY
        private volatile int busy;

        Stack(int slots) {
            items = new Packet[slots];
        }

        Packet pop() {
            if (!BUSY.compareAndSet(this, 0, 1)) {
                return null;
            }
            try {
                if (n == 0) {
                    return null;
                }
                Packet p = items[--n];
                items[n] = null;
                return p;
            } finally {
                BUSY.setRelease(this, 0);
            }
        }

        boolean push(Packet p) {
            if (!BUSY.compareAndSet(this, 0, 1)) {
                return false;
            }
            try {
                if (n == items.length) {
                    return false;
                }
                items[n++] = p;
                return true;
            } finally {
                BUSY.setRelease(this, 0);
            }
        }
    }
}
