package org.protosw.ib.demo.internal.verbs;

import java.util.Random;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import org.protosw.ib.demo.IbGid;
import org.protosw.spi.Callout;

/**
 * Two HCAs joined by an in-memory link that can lose packets, reorder them (a random delay
 * per packet) or be cut. Each direction delivers on its own thread, as a wire would.
 */
final class MemLink implements AutoCloseable {
    static final IbGid GID_A = IbGid.parse("::ffff:192.0.2.1");
    static final IbGid GID_B = IbGid.parse("::ffff:192.0.2.2");

    final ScheduledExecutorService timers = Executors.newScheduledThreadPool(1);
    private final ScheduledExecutorService toA = Executors.newSingleThreadScheduledExecutor();
    private final ScheduledExecutorService toB = Executors.newSingleThreadScheduledExecutor();
    private final Random rnd;
    volatile double loss;
    volatile boolean reorder;
    volatile boolean cut;
    final AtomicLong dropped = new AtomicLong();
    final Hca a;
    final Hca b;

    MemLink(long seed, IbConfig config) {
        rnd = new Random(seed);
        a = new Hca(new Port(GID_A), config);
        b = new Hca(new Port(GID_B), config);
    }

    private final class Port implements RcPort {
        final IbGid self;

        Port(IbGid self) {
            this.self = self;
        }

        @Override
        public void output(IbGid dst, byte[] buf, int len) {
            Hca to = dst.equals(GID_A) ? a : dst.equals(GID_B) ? b : null;
            if (to == null || cut) {
                dropped.incrementAndGet();
                return;
            }
            long delayUs;
            synchronized (rnd) {
                if (loss > 0 && rnd.nextDouble() < loss) {
                    dropped.incrementAndGet();
                    return;
                }
                delayUs = reorder ? rnd.nextInt(2000) : 0;
            }
            ScheduledExecutorService ex = to == a ? toA : toB;
            ex.schedule(() -> to.input(self, buf, 0, len), delayUs, TimeUnit.MICROSECONDS);
        }

        @Override
        public IbGid sourceFor(IbGid dst) {
            return dst.equals(GID_A) || dst.equals(GID_B) ? self : null;
        }

        @Override
        public Callout newCallout(Runnable task) {
            return new TestCallout(timers, task);
        }
    }

    @Override
    public void close() {
        a.close();
        b.close();
        toA.shutdownNow();
        toB.shutdownNow();
        timers.shutdownNow();
    }
}
