package org.protosw.spi;

import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;

/**
 * {@code ppsratecheck(9)}: at most a given number of events per second, so a flood cannot
 * flood the log or the wire with answers (ICMP errors, log lines). Lock-free; at a second's
 * boundary a few extra events may slip through, which is fine for what it limits. A limit of
 * 0 or less means no limit, as FreeBSD's {@code net.inet.icmp.icmplim}.
 */
public final class PpsRateCheck {
    private final LongSupplier maxPerSecond;
    private final LongSupplier nanoClock;
    private final AtomicLong second = new AtomicLong(Long.MIN_VALUE);
    private final AtomicLong count = new AtomicLong();

    /**
     * @param maxPerSecond read at each check, so a tunable can drive it ({@code tunable::get})
     * @param nanoClock {@link System#nanoTime()} or a test's clock
     */
    public PpsRateCheck(LongSupplier maxPerSecond, LongSupplier nanoClock) {
        this.maxPerSecond = maxPerSecond;
        this.nanoClock = nanoClock;
    }

    public PpsRateCheck(long maxPerSecond) {
        this(() -> maxPerSecond, System::nanoTime);
    }

    /** True when one more event may happen now (and counts it). */
    public boolean check() {
        long lim = maxPerSecond.getAsLong();
        if (lim <= 0) {
            return true;
        }
        long now = Math.floorDiv(nanoClock.getAsLong(), 1_000_000_000L);
        long seen = second.get();
        if (now != seen && second.compareAndSet(seen, now)) {
            count.set(0);
        }
        return count.incrementAndGet() <= lim;
    }
}
