package org.protosw.ib.demo.internal.verbs;

import java.util.ArrayDeque;

/**
 * A completion queue ({@code ibv_cq}) with its completion channel: entries are queued in
 * order and {@link #poll()}ed; the notify callback ({@code ibv_req_notify_cq} armed for
 * good) runs after each entry, on the thread that made it (the input path or a timer), so
 * it must be short: a socket layer appends to its buffer and wakes its readers.
 */
public final class CompletionQueue {
    private final ArrayDeque<WorkCompletion> entries = new ArrayDeque<>();
    private final Runnable notify;

    public CompletionQueue(Runnable notify) {
        this.notify = notify;
    }

    void push(WorkCompletion wc) {
        synchronized (entries) {
            entries.add(wc);
        }
        notify.run();
    }

    /** {@code ibv_poll_cq} for one entry, or null when empty. */
    public WorkCompletion poll() {
        synchronized (entries) {
            return entries.poll();
        }
    }
}
