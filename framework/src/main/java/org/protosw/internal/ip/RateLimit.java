package org.protosw.internal.ip;

import java.util.function.LongSupplier;

import org.protosw.spi.Tunable;

/**
 * At most {@code limit} events per second ({@code ppsratecheck}), the limit read from a
 * tunable each time; a limit of 0 or less means no limit, as FreeBSD's {@code icmplim}.
 * Used off the fast path only (ICMP responses), so a monitor is fine.
 */
final class RateLimit {
    private final Tunable limit;
    private final LongSupplier clock;
    private long second = Long.MIN_VALUE;
    private long count;

    RateLimit(Tunable limit, LongSupplier clock) {
        this.limit = limit;
        this.clock = clock;
    }

    /** True when one more event fits in the current second (and counts it). */
    synchronized boolean allow() {
        long lim = limit.get();
        if (lim <= 0) {
            return true;
        }
        long now = Math.floorDiv(clock.getAsLong(), 1_000_000_000L);
        if (now != second) {
            second = now;
            count = 0;
        }
        if (count >= lim) {
            return false;
        }
        count++;
        return true;
    }
}
