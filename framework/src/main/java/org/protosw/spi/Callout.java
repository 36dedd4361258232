package org.protosw.spi;

import java.util.concurrent.TimeUnit;

import org.osgi.annotation.versioning.ProviderType;

/**
 * A timer in the stack's hashed timing wheel ({@code struct callout}). Its task runs on the
 * stack's timer thread and must be short; take the pcb's own lock inside it.
 */
@ProviderType
public interface Callout {
    /** Arms (or re-arms) the timer to fire once after the delay ({@code callout_reset}). */
    void reset(long delay, TimeUnit unit);

    /** Disarms it; true when it was pending ({@code callout_stop}). */
    boolean stop();

    boolean pending();

    /**
     * Time left until the timer fires, in {@code unit}; 0 when it is due, -1 when it is not
     * armed. While the core has the protocol's timers paused for a live upgrade, the time
     * left when they were paused (what a {@link StateTransfer} export records).
     *
     * @since 1.3
     */
    default long remaining(TimeUnit unit) {
        return pending() ? 0 : -1;
    }
}
