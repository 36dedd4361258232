package org.protosw.internal.socket;

import java.util.List;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Records what the core does to a test protocol's pcbs and notes every breach of the
 * lifecycle promise: a pcb call after detach, a second detach, a detach while another call
 * of the same pcb runs, a call after the protocol instance was destroyed, a destroy with
 * pcbs still attached.
 */
public final class PcbLedger {
    public final AtomicInteger attaches = new AtomicInteger();
    public final AtomicInteger detaches = new AtomicInteger();
    public final AtomicInteger closes = new AtomicInteger();
    public final AtomicInteger aborts = new AtomicInteger();
    public final AtomicInteger destroys = new AtomicInteger();
    public final AtomicInteger calls = new AtomicInteger();
    private final Queue<String> violations = new ConcurrentLinkedQueue<>();

    public void violation(String what) {
        violations.add(what);
    }

    public List<String> violations() {
        return List.copyOf(violations);
    }

    public Track track(String name, AtomicBoolean protocolDestroyed) {
        attaches.incrementAndGet();
        return new Track(name, protocolDestroyed);
    }

    /** One pcb's record. */
    public final class Track {
        private final String name;
        private final AtomicBoolean protocolDestroyed;
        private final AtomicInteger inCalls = new AtomicInteger();
        private final AtomicBoolean detached = new AtomicBoolean();
        private final AtomicBoolean closedOrAborted = new AtomicBoolean();

        Track(String name, AtomicBoolean protocolDestroyed) {
            this.name = name;
            this.protocolDestroyed = protocolDestroyed;
        }

        public void in(String request) {
            calls.incrementAndGet();
            inCalls.incrementAndGet();
            if (detached.get()) {
                violation(name + ": " + request + " after detach");
            }
            if (protocolDestroyed.get()) {
                violation(name + ": " + request + " after Protocol.destroy()");
            }
        }

        public void out() {
            inCalls.decrementAndGet();
        }

        public void closeOrAbort(String which) {
            (which.equals("close") ? closes : aborts).incrementAndGet();
            if (!closedOrAborted.compareAndSet(false, true)) {
                violation(name + ": " + which + " after close or abort");
            }
        }

        /** Called at the start of detach; false when this is a second detach. */
        public boolean detach() {
            if (!detached.compareAndSet(false, true)) {
                violation(name + ": detached twice");
                return false;
            }
            if (inCalls.get() != 0) {
                violation(name + ": detached while " + inCalls.get() + " call(s) were running");
            }
            if (!closedOrAborted.get()) {
                violation(name + ": detached without close or abort");
            }
            if (protocolDestroyed.get()) {
                violation(name + ": detached after Protocol.destroy()");
            }
            detaches.incrementAndGet();
            return true;
        }

        public boolean isDetached() {
            return detached.get();
        }
    }
}
