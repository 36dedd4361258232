package org.protosw.siftr.internal;

import org.protosw.tcp.trace.TcpTraceHook;

/**
 * Makes siftr's hook known to TCP and takes it back: as an OSGi service in the runtime, by a
 * direct call on a stack embedded without OSGi (the tests).
 */
@FunctionalInterface
interface HookPublisher {
    /** Publishes {@code hook}; closing the result withdraws it. */
    AutoCloseable publish(TcpTraceHook hook) throws Exception;
}
