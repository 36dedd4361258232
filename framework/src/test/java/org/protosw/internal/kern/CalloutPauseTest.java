package org.protosw.internal.kern;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.api.Test;
import org.protosw.internal.sw.ScopedContext;
import org.protosw.spi.Callout;

/**
 * The timer half of a live upgrade: the old revision's timers pause with their remaining
 * time (what its export records), the new revision's timers armed during the import wait
 * for the resume and then run with the delay they were armed with.
 */
class CalloutPauseTest {
    @Test
    void pausedTimersKeepTheirRemainingTimeAndDoNotFire() throws Exception {
        try (CalloutWheel wheel = new CalloutWheel("pause-test")) {
            Object upgrading = new Object();
            AtomicInteger pausedFired = new AtomicInteger();
            Callout paused = wheel.newCallout(pausedFired::incrementAndGet, upgrading);
            CountDownLatch otherFired = new CountDownLatch(1);
            Callout other = wheel.newCallout(otherFired::countDown, new Object());
            paused.reset(500, TimeUnit.MILLISECONDS);
            other.reset(1000, TimeUnit.MILLISECONDS);
            assertThat(paused.remaining(TimeUnit.MILLISECONDS)).isBetween(0L, 500L);
            wheel.pause(upgrading);
            long left = paused.remaining(TimeUnit.MILLISECONDS);
            assertThat(left).as("the time left when paused").isBetween(1L, 500L);
            assertThat(paused.pending()).isFalse();
            assertThat(otherFired.await(10, TimeUnit.SECONDS)).as("another owner's timer runs on").isTrue();
            assertThat(pausedFired.get()).as("due before the other one, but paused").isZero();
            assertThat(paused.remaining(TimeUnit.MILLISECONDS)).as("frozen, not counting down").isEqualTo(left);
            // a reset arms it again from the new delay (long enough not to fire before the check:
            // with 1 ms a loaded machine let it fire first and remaining() said -1)
            paused.reset(60, TimeUnit.SECONDS);
            assertThat(paused.remaining(TimeUnit.SECONDS)).isBetween(1L, 60L);
            assertThat(paused.stop()).isTrue();
        }
    }

    @Test
    void timersArmedWhileDeferredStartAtTheResume() throws Exception {
        try (StandaloneStack s = new StandaloneStack()) {
            ScopedContext ctx = s.stack().newContext("importing revision");
            ctx.deferTimers();
            CountDownLatch fired = new CountDownLatch(1);
            Callout c = ctx.newCallout(fired::countDown);
            c.reset(5, TimeUnit.MILLISECONDS);
            assertThat(c.pending()).isTrue();
            assertThat(c.remaining(TimeUnit.MILLISECONDS)).as("the whole delay: it has not started").isEqualTo(5);
            Callout stopped = ctx.newCallout(() -> {
                throw new AssertionError("a stopped deferred timer ran");
            });
            stopped.reset(1, TimeUnit.MILLISECONDS);
            assertThat(stopped.stop()).isTrue();
            assertThat(fired.getCount()).as("not started before the resume").isEqualTo(1);
            ctx.resumeTimers();
            assertThat(fired.await(10, TimeUnit.SECONDS)).isTrue();
            assertThat(stopped.pending()).isFalse();
            ctx.close();
        }
    }
}
