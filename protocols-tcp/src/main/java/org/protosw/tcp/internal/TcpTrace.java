package org.protosw.tcp.internal;

import java.util.concurrent.atomic.LongAdder;

import org.protosw.spi.PpsRateCheck;
import org.protosw.tcp.trace.TcpTraceHook;
import org.protosw.tcp.trace.TcpTraceHook.Direction;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The trace hooks registered now ({@link TcpTraceHook} services), shared by every stack
 * instance's TCP. The data path reads {@link #hooks} once per segment, a volatile read, and
 * calls nothing while it is null: registering and unregistering replace the array (copy on
 * write), which happens when a tool starts or stops tracing, not per segment.
 */
final class TcpTrace {
    private static final Logger LOG = LoggerFactory.getLogger(TcpTrace.class);
    private static final TcpTraceHook[] NONE = new TcpTraceHook[0];

    /** Null while no hook is registered: the one read a segment costs then. */
    volatile TcpTraceHook[] hooks;
    final LongAdder failures = new LongAdder();
    private final PpsRateCheck failureLog = new PpsRateCheck(1);

    synchronized void add(TcpTraceHook hook) {
        TcpTraceHook[] old = hooks == null ? NONE : hooks;
        TcpTraceHook[] n = java.util.Arrays.copyOf(old, old.length + 1);
        n[old.length] = hook;
        hooks = n;
    }

    synchronized void remove(TcpTraceHook hook) {
        TcpTraceHook[] old = hooks;
        if (old == null) {
            return;
        }
        TcpTraceHook[] n = java.util.Arrays.stream(old).filter(h -> h != hook).toArray(TcpTraceHook[]::new);
        hooks = n.length == 0 ? null : n;
    }

    /** How many hooks are registered (for tests and diagnostics). */
    int count() {
        TcpTraceHook[] h = hooks;
        return h == null ? 0 : h.length;
    }

    /** Calls each hook; one that throws is counted and logged (at most once a second), never the caller's problem. */
    void call(TcpTraceHook[] hs, Direction dir, TcpCb tp, int seq, int ack, int flags, int len, boolean rexmit) {
        for (TcpTraceHook h : hs) {
            try {
                h.segment(dir, tp, seq, ack, flags, len, rexmit);
            } catch (RuntimeException | LinkageError e) {
                failures.increment();
                if (failureLog.check()) {
                    LOG.warn("tcp trace hook {} failed on {}", h.getClass().getName(), tp, e);
                }
            }
        }
    }
}
