package org.protosw.internal.kern;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.protosw.spi.Callout;

/**
 * The wheel's count of armed timers ({@code net:vnet list -v}'s TIMERS, and what lets the
 * wheel thread park with nothing to do) stays exact while timers are reset, stopped, fire,
 * re-arm themselves and are purged with their owner (an unload) from several threads at once:
 * once every timer is stopped the count comes back to 0, never below. SoakIT saw it go to -3.
 */
class CalloutCountStressTest {
    private final CalloutWheel wheel = new CalloutWheel("count-stress");

    @AfterEach
    void close() {
        wheel.close();
    }

    @Test
    void theArmedCountComesBackToZeroAfterResetsStopsFiresAndPurges() throws Exception {
        int rounds = Integer.getInteger("stress.rounds", 30);
        for (int round = 0; round < rounds; round++) {
            Object owner = new Object();
            List<Callout> timers = new ArrayList<>();
            for (int i = 0; i < 64; i++) {
                Callout[] self = new Callout[1];
                boolean rearms = i % 4 == 0;
                self[0] = wheel.newCallout(() -> {
                    if (rearms) {
                        self[0].reset(1, TimeUnit.MILLISECONDS);
                    }
                }, i % 2 == 0 ? owner : null);
                timers.add(self[0]);
            }
            Thread[] threads = new Thread[3];
            for (int t = 0; t < threads.length; t++) {
                long seed = round * 31L + t;
                threads[t] = new Thread(() -> {
                    SplittableRandom r = new SplittableRandom(seed);
                    for (int k = 0; k < 20_000; k++) {
                        Callout c = timers.get(r.nextInt(timers.size()));
                        switch (r.nextInt(4)) {
                            case 0, 1 -> c.reset(r.nextInt(3), TimeUnit.MILLISECONDS);
                            case 2 -> c.stop();
                            default -> c.reset(r.nextInt(50), TimeUnit.MILLISECONDS);
                        }
                    }
                });
                threads[t].start();
            }
            for (int k = 0; k < 20; k++) {
                wheel.purge(owner);
                Thread.sleep(1);
            }
            for (Thread t : threads) {
                t.join();
            }
            wheel.purge(owner);
            // self-re-arming tasks may run once more after a stop: stop until they stay stopped
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            do {
                timers.forEach(Callout::stop);
                Thread.sleep(20);
                assertThat(wheel.armedCount()).as("armed count in round %d", round).isGreaterThanOrEqualTo(0);
            } while (wheel.armedCount() != 0 && System.nanoTime() < deadline);
            assertThat(wheel.armedCount()).as("armed count once every timer is stopped, round %d", round).isZero();
        }
    }
}
