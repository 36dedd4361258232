package org.protosw.internal.kern;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.api.Test;

class MpscRingTest {
    @Test
    void fifoAndFull() {
        MpscRing<Integer> q = new MpscRing<>(4);
        assertThat(q.capacity()).isEqualTo(4);
        for (int i = 0; i < 4; i++) {
            assertThat(q.offer(i)).isTrue();
        }
        assertThat(q.offer(99)).isFalse();
        for (int i = 0; i < 4; i++) {
            assertThat(q.poll()).isEqualTo(i);
        }
        assertThat(q.poll()).isNull();
        assertThat(q.isEmpty()).isTrue();
    }

    @Test
    void manyProducersLoseNothingAndKeepPerProducerOrder() throws Exception {
        MpscRing<long[]> q = new MpscRing<>(1024);
        int producers = 3;
        int each = 100_000;
        AtomicInteger rejected = new AtomicInteger();
        Thread[] ts = new Thread[producers];
        for (int p = 0; p < producers; p++) {
            int id = p;
            ts[p] = new Thread(() -> {
                for (int i = 0; i < each; i++) {
                    while (!q.offer(new long[] {id, i})) {
                        rejected.incrementAndGet();
                        Thread.onSpinWait();
                    }
                }
            });
            ts[p].start();
        }
        long[] last = {-1, -1, -1};
        int got = 0;
        long deadline = System.nanoTime() + 30_000_000_000L;
        while (got < producers * each && System.nanoTime() < deadline) {
            long[] e = q.poll();
            if (e == null) {
                Thread.onSpinWait();
                continue;
            }
            assertThat(e[1]).isGreaterThan(last[(int) e[0]]);
            last[(int) e[0]] = e[1];
            got++;
        }
        for (Thread t : ts) {
            t.join();
        }
        assertThat(got).isEqualTo(producers * each);
    }
}
