package org.protosw.ib.demo.internal.verbs;

import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

import org.protosw.spi.Callout;

/** A callout on a scheduled executor, as the core's wheel behaves: not pending while its task runs. */
final class TestCallout implements Callout {
    private final ScheduledExecutorService ses;
    private final Runnable task;
    private ScheduledFuture<?> f;

    TestCallout(ScheduledExecutorService ses, Runnable task) {
        this.ses = ses;
        this.task = task;
    }

    @Override
    public synchronized void reset(long delay, TimeUnit unit) {
        if (f != null) {
            f.cancel(false);
        }
        ScheduledFuture<?>[] me = new ScheduledFuture<?>[1];
        me[0] = ses.schedule(() -> {
            synchronized (this) {
                if (f != me[0]) {
                    return;
                }
                f = null;
            }
            task.run();
        }, delay, unit);
        f = me[0];
    }

    @Override
    public synchronized boolean stop() {
        if (f == null) {
            return false;
        }
        f.cancel(false);
        f = null;
        return true;
    }

    @Override
    public synchronized boolean pending() {
        return f != null;
    }
}
