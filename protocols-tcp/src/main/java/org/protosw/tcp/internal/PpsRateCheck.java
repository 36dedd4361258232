package org.protosw.tcp.internal;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;

/**
 * {@code ppsratecheck(9)}: allows at most {@code maxPerSecond} events in each second, so a
 * flood cannot flood the log too. Lock-free; at a second's boundary a few extra events may
 * slip through, which is fine for logging.
 */
final class PpsRateCheck {
    private final int maxPerSecond;
    private final LongSupplier nanoClock;
    private final AtomicLong second = new AtomicLong(Long.MIN_VALUE);
    private final AtomicInteger count = new AtomicInteger();

    PpsRateCheck(int maxPerSecond, LongSupplier nanoClock) {
        this.maxPerSecond = maxPerSecond;
        this.nanoClock = nanoClock;
    }

    PpsRateCheck(int maxPerSecond) {
        this(maxPerSecond, System::nanoTime);
    }

    /** True when one more event may happen now. */
    boolean check() {
        long now = Math.floorDiv(nanoClock.getAsLong(), 1_000_000_000L);
        long seen = second.get();
        if (now != seen && second.compareAndSet(seen, now)) {
            count.set(0);
        }
        return count.incrementAndGet() <= maxPerSecond;
    }
}
