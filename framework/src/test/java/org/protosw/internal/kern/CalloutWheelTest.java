package org.protosw.internal.kern;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.protosw.spi.Callout;

class CalloutWheelTest {
    private final CalloutWheel wheel = new CalloutWheel("test");

    @AfterEach
    void close() {
        wheel.close();
    }

    @Test
    void firesOnceAfterTheDelay() throws Exception {
        CountDownLatch fired = new CountDownLatch(1);
        AtomicLong at = new AtomicLong();
        Callout c = wheel.newCallout(() -> {
            at.set(System.nanoTime());
            fired.countDown();
        });
        long start = System.nanoTime();
        c.reset(30, TimeUnit.MILLISECONDS);
        assertThat(c.pending()).isTrue();
        assertThat(fired.await(5, TimeUnit.SECONDS)).isTrue();
        assertThat(at.get() - start).isGreaterThanOrEqualTo(TimeUnit.MILLISECONDS.toNanos(30));
        assertThat(c.pending()).isFalse();
    }

    /**
     * A timer armed again and again before the wheel has placed it (the wheel sleeps until an
     * earlier timer and is not woken for a later one) is placed once, with its latest
     * deadline: no move is queued for it, which cost a queue node per re-arm (a delayed ACK
     * re-armed each round trip), and it still fires once, not before its last deadline.
     */
    @Test
    void reArmsBeforeThePlacementQueueNoMoves() throws Exception {
        Callout early = wheel.newCallout(() -> {
        });
        early.reset(300, TimeUnit.MILLISECONDS);
        Thread.sleep(30);
        AtomicInteger runs = new AtomicInteger();
        AtomicLong at = new AtomicLong();
        Callout c = wheel.newCallout(() -> {
            at.set(System.nanoTime());
            runs.incrementAndGet();
        });
        long before = wheel.movesQueued.sum();
        long last = 0;
        for (int i = 0; i < 10_000; i++) {
            last = System.nanoTime();
            c.reset(400, TimeUnit.MILLISECONDS);
        }
        assertThat(wheel.movesQueued.sum() - before).isLessThan(10);
        Thread.sleep(700);
        assertThat(runs.get()).isEqualTo(1);
        assertThat(at.get() - last).isGreaterThanOrEqualTo(TimeUnit.MILLISECONDS.toNanos(400));
    }

    /**
     * Re-armed earlier while the wheel places it: either the re-arm sees the placement and
     * queues a move, or the placement sees the new deadline. Each round arms a timer far
     * out and at once again 10 ms out, as the wheel thread (woken by the first) places it.
     */
    @Test
    void anEarlierReArmDuringThePlacementIsNeverLost() throws Exception {
        for (int round = 0; round < 150; round++) {
            CountDownLatch fired = new CountDownLatch(1);
            Callout c = wheel.newCallout(fired::countDown);
            c.reset(60, TimeUnit.SECONDS);
            Thread.onSpinWait();
            c.reset(10, TimeUnit.MILLISECONDS);
            assertThat(fired.await(5, TimeUnit.SECONDS)).as("round " + round).isTrue();
        }
    }

    /**
     * Armed while the wheel sleeps for a later timer (so it is left in pending, unwoken),
     * then re-armed to come before that: the wheel must wake for it, not place it when it
     * wakes for the later one. The move that is no longer queued for an unplaced timer used
     * to be what woke it (SpuriousRtoTest's retransmission timeout came 300 ms late).
     */
    @Test
    void anUnplacedTimerReArmedEarlierWakesTheWheel() throws Exception {
        Callout later = wheel.newCallout(() -> {
        });
        later.reset(800, TimeUnit.MILLISECONDS);
        Thread.sleep(30);
        CountDownLatch fired = new CountDownLatch(1);
        AtomicLong at = new AtomicLong();
        Callout c = wheel.newCallout(() -> {
            at.set(System.nanoTime());
            fired.countDown();
        });
        c.reset(1000, TimeUnit.MILLISECONDS);
        long start = System.nanoTime();
        c.reset(20, TimeUnit.MILLISECONDS);
        assertThat(fired.await(5, TimeUnit.SECONDS)).isTrue();
        assertThat(TimeUnit.NANOSECONDS.toMillis(at.get() - start)).as("ms to fire a 20 ms timer (asleep, the wheel wakes at 800)").isLessThan(400);
    }

    @Test
    void stopPreventsFiring() throws Exception {
        AtomicInteger runs = new AtomicInteger();
        Callout c = wheel.newCallout(runs::incrementAndGet);
        c.reset(20, TimeUnit.MILLISECONDS);
        assertThat(c.stop()).isTrue();
        assertThat(c.stop()).isFalse();
        Thread.sleep(80);
        assertThat(runs.get()).isZero();
        assertThat(wheel.armedCount()).isZero();
    }

    @Test
    void resetToLaterAndEarlierDeadlines() throws Exception {
        CountDownLatch fired = new CountDownLatch(1);
        AtomicLong at = new AtomicLong();
        Callout c = wheel.newCallout(() -> {
            at.set(System.nanoTime());
            fired.countDown();
        });
        long start = System.nanoTime();
        c.reset(10, TimeUnit.SECONDS);
        Thread.sleep(20);
        // moving it earlier must not wait for the old slot
        c.reset(20, TimeUnit.MILLISECONDS);
        assertThat(fired.await(3, TimeUnit.SECONDS)).isTrue();
        assertThat(at.get() - start).isLessThan(TimeUnit.SECONDS.toNanos(3));

        CountDownLatch second = new CountDownLatch(1);
        AtomicLong at2 = new AtomicLong();
        Callout d = wheel.newCallout(() -> {
            at2.set(System.nanoTime());
            second.countDown();
        });
        long s2 = System.nanoTime();
        d.reset(10, TimeUnit.MILLISECONDS);
        d.reset(120, TimeUnit.MILLISECONDS);
        assertThat(second.await(5, TimeUnit.SECONDS)).isTrue();
        assertThat(at2.get() - s2).isGreaterThanOrEqualTo(TimeUnit.MILLISECONDS.toNanos(120));
    }

    @Test
    void manyTimersFromManyThreadsEachFireExactlyOnce() throws Exception {
        int n = 2000;
        AtomicInteger runs = new AtomicInteger();
        CountDownLatch all = new CountDownLatch(n);
        Thread[] threads = new Thread[4];
        for (int t = 0; t < threads.length; t++) {
            threads[t] = new Thread(() -> {
                for (int i = 0; i < n / threads.length; i++) {
                    Callout c = wheel.newCallout(() -> {
                        runs.incrementAndGet();
                        all.countDown();
                    });
                    // re-armed earlier before the first deadline can pass (a timer re-armed
                    // after it fired rightly fires again, as callout_reset does)
                    c.reset(2_000 + (i % 50), TimeUnit.MILLISECONDS);
                    c.reset(1 + (i % 30), TimeUnit.MILLISECONDS);
                }
            });
            threads[t].start();
        }
        for (Thread t : threads) {
            t.join();
        }
        assertThat(all.await(10, TimeUnit.SECONDS)).isTrue();
        Thread.sleep(60);
        assertThat(runs.get()).isEqualTo(n);
        assertThat(wheel.armedCount()).isZero();
    }

    @Test
    void aTaskMayRearmItself() throws Exception {
        CountDownLatch three = new CountDownLatch(3);
        Callout[] self = new Callout[1];
        self[0] = wheel.newCallout(() -> {
            three.countDown();
            if (three.getCount() > 0) {
                self[0].reset(5, TimeUnit.MILLISECONDS);
            }
        });
        self[0].reset(5, TimeUnit.MILLISECONDS);
        assertThat(three.await(5, TimeUnit.SECONDS)).isTrue();
    }
}
