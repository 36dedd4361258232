package org.protosw.internal.socket;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * One registration of interest ({@code struct knote}): a poller watching one filter of
 * one socket. The socket activates it on every wake-up; the poller re-checks the filter
 * when it gets to it.
 */
final class Knote {
    private static final VarHandle QUEUED;

    static {
        try {
            QUEUED = MethodHandles.lookup().findVarHandle(Knote.class, "queued", boolean.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    final PollerImpl poller;
    final SocketImpl socket;
    final int filter;
    // guarded by the poller's lock
    int flags;
    Object udata;
    Knote next;
    // read lock-free by the activating socket
    volatile boolean enabled = true;
    volatile boolean deleted;
    @SuppressWarnings("unused") // through QUEUED
    private volatile boolean queued;

    Knote(PollerImpl poller, SocketImpl socket, int filter) {
        this.poller = poller;
        this.socket = socket;
        this.filter = filter;
    }

    /** Claims the right to put it on the ready list; false when it is there already. */
    boolean markQueued() {
        return QUEUED.compareAndSet(this, false, true);
    }

    void clearQueued() {
        QUEUED.setVolatile(this, false);
    }
}
