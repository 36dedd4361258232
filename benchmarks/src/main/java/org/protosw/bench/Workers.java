package org.protosw.bench;

import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.LongSupplier;

/**
 * The threads of one side of a case: they run until {@link #stop}, and the calling thread
 * meters what they count, once a second, after a warm-up that lets the JIT compile both
 * stacks' paths.
 */
final class Workers {
    private static final long WARMUP_NS = 2_000_000_000L;

    interface Task {
        void run() throws Exception;
    }

    interface Unblock {
        void run() throws Exception;
    }

    private final AtomicBoolean stop = new AtomicBoolean();
    private final AtomicReference<Throwable> failure = new AtomicReference<>();
    private final List<Thread> threads = new ArrayList<>();
    private double allocatedPerCount = Double.NaN;

    boolean running() {
        return !stop.get();
    }

    void start(String name, Task task) {
        threads.add(Thread.ofPlatform().name(name).daemon().start(() -> {
            try {
                task.run();
            } catch (Throwable e) {
                // once stopping, closed sockets make blocked calls fail: that is how they end
                if (!stop.get()) {
                    failure.compareAndSet(null, e);
                }
            }
        }));
    }

    /**
     * Waits out the warm-up, then for {@code seconds} prints the rate of {@code count} each
     * second, as {@code scale * count per second} in {@code format}; returns the scaled
     * rate over the measured time.
     */
    double measure(double seconds, PrintStream progress, LongSupplier count, double scale, String format) throws Exception {
        Thread.sleep(WARMUP_NS / 1_000_000);
        check();
        long allocated = allocatedBytes();
        long start = System.nanoTime();
        long first = count.getAsLong();
        long end = start + (long) (seconds * 1e9);
        long last = first;
        long lastT = start;
        long now = start;
        while (now < end) {
            long next = Math.min(lastT + 1_000_000_000L, end);
            while ((now = System.nanoTime()) < next) {
                Thread.sleep(java.time.Duration.ofNanos(next - now));
            }
            check();
            long c = count.getAsLong();
            progress.printf(Locale.ROOT, "  %5.1f s: " + format + "%n", (now - start) / 1e9, scale * (c - last) / ((now - lastT) / 1e9));
            last = c;
            lastT = now;
        }
        allocatedPerCount = (allocatedBytes() - allocated) / (double) Math.max(1, last - first);
        return scale * (last - first) / ((lastT - start) / 1e9);
    }

    /**
     * Heap bytes every thread of the JVM allocated during the measured time (the stack's
     * workers and timers as well as these threads, and this meter's own lines), per unit
     * of the count {@link #measure} was given: what the path allocates per round trip or
     * per byte moved.
     */
    double allocatedPerCount() {
        return allocatedPerCount;
    }

    private static long allocatedBytes() {
        return ((com.sun.management.ThreadMXBean) java.lang.management.ManagementFactory.getThreadMXBean()).getTotalThreadAllocatedBytes();
    }

    /** Stops the workers; {@code unblock} closes what they may wait on. Rethrows a worker's failure. */
    void stop(Unblock unblock) throws Exception {
        stop.set(true);
        unblock.run();
        for (Thread t : threads) {
            t.join(10_000);
            if (t.isAlive()) {
                throw new IllegalStateException("bench thread " + t.getName() + " did not stop");
            }
        }
        check();
    }

    private void check() throws Exception {
        Throwable e = failure.get();
        if (e != null) {
            throw new IllegalStateException("bench thread failed: " + e, e);
        }
    }
}
