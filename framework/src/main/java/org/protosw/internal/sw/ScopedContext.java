package org.protosw.internal.sw;

import org.protosw.spi.ProtoContext;
import org.protosw.spi.Protocol;

/** A {@link ProtoContext} owned by one protocol instance, undone as a whole by {@link #close()}. */
public interface ScopedContext extends ProtoContext, AutoCloseable {
    /**
     * Tells the context which protocol instance it serves, so ICMP errors for the protocol
     * numbers it registered reach {@link Protocol#ctlinput}.
     */
    void bindProtocol(Protocol protocol);

    /**
     * The state of the protocol's domain in this instance, handed out by
     * {@link ProtoContext#domainState(Class)}.
     */
    void bindDomainState(Object state);

    @Override
    void close();
}
