package org.protosw.internal.sw;

import java.time.Duration;

/**
 * Runs a protocol's teardown code ({@code Protocol.destroy()}) on a thread of its own and waits
 * for it a bounded time: code of a bundle that blocks there (on a lock its own stuck thread
 * holds, on a peer that never answers) must not hold the core's unload, upgrade, the bundle's
 * stop or the runtime's shutdown.
 */
final class BoundedCall {
    private BoundedCall() {
    }

    /**
     * Runs {@code body} on a virtual thread named {@code name}, waiting up to {@code waitMillis}.
     *
     * @return null when it returned in time, else the thread's name and where it is, for the log
     */
    static String run(String name, long waitMillis, Runnable body) {
        Thread t = Thread.ofVirtual().name(name).start(body);
        boolean returned;
        try {
            returned = t.join(Duration.ofMillis(Math.max(1, waitMillis)));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            returned = false;
        }
        if (returned) {
            return null;
        }
        StringBuilder where = new StringBuilder("thread \"").append(t.getName()).append('"');
        for (StackTraceElement el : t.getStackTrace()) {
            where.append("\n      at ").append(el);
        }
        return where.toString();
    }
}
