package org.protosw.spi;

import org.osgi.annotation.versioning.ConsumerType;

/**
 * A module that joins every stack instance without offering sockets (an input handler
 * registered with {@link ProtoContext#ipprotoRegister}, a packet filter): register it as an
 * OSGi service and the core calls {@link #attach} for each instance, present and future.
 */
@ConsumerType
public interface NetModule {
    /**
     * Joins one stack instance. Closing the result leaves it; the core also removes
     * everything registered through {@code ctx} when the module leaves.
     */
    AutoCloseable attach(ProtoContext ctx) throws Exception;
}
