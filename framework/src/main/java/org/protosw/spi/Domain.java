package org.protosw.spi;

import org.osgi.annotation.versioning.ConsumerType;
import org.protosw.socket.SockAddr;
import org.protosw.socket.SocketException;

/**
 * A communication domain (FreeBSD's {@code struct domain} and {@code domain_add}): an
 * address family with its name, its socket-address type and a per-stack-instance state
 * that all of its protocol switch entries share. Register it as an OSGi service; the core
 * picks it up like a {@link ProtoSw} (whiteboard).
 *
 * <p>Rules the core keeps:
 * <ul>
 * <li>A family is served by one domain. A second domain for a taken family is refused with
 *     EEXIST and a log line naming both bundles; {@code net:diag} lists the refusal.</li>
 * <li>A {@link ProtoSw} whose {@link ProtoSwEntry#domain()} names a family no domain serves
 *     waits (it is listed by {@code net:diag} as waiting for that family) and starts as soon
 *     as the domain registers; the order in which a bundle's services appear does not
 *     matter.</li>
 * <li>For each stack instance the core calls {@link #init} once, before any switch entry of
 *     the domain runs its {@link ProtoSw#init} there; the entries reach the result with
 *     {@link ProtoContext#domainState(Class)}. When the instance goes away, or the domain
 *     leaves, every entry of the domain is torn down first (sockets aborted, pcbs detached,
 *     {@link Protocol#destroy()}), then {@link #destroy(Object)} runs.</li>
 * <li>When the domain leaves, its switch entries go back to waiting; they run again when a
 *     domain for the family returns.</li>
 * </ul>
 * {@code inet} ({@code AF_INET}) is registered by the core, {@code divert} by the divert
 * bundle, each as any third-party domain would be.
 *
 * @since SPI 1.2
 */
@ConsumerType
public interface Domain {
    /** The address family, e.g. {@code AF_INET}; at least 1. */
    int family();

    /**
     * The short lower-case name shown by {@code net:protocols}, {@code netstat} and
     * {@code net:diag} instead of {@code afNN} (e.g. {@code inet}, {@code ib}).
     */
    String name();

    /** The socket-address type of the domain (its {@code struct sockaddr_*}). */
    Class<? extends SockAddr> addressType();

    /**
     * Parses an address as a user types it in the shell (or gives it to
     * {@code NetStack.parseAddress}).
     *
     * @throws IllegalArgumentException with a one-line message saying what was wrong and what
     *         is accepted (it is shown to the user as it is)
     */
    SockAddr parseAddress(String text);

    /** An address as {@code netstat} shows it; the default is its {@code toString()}. */
    default String formatAddress(SockAddr addr) {
        return String.valueOf(addr);
    }

    /**
     * {@code dom_init} for one stack instance: the state all switch entries of the domain
     * share there (a table of ports or service IDs, a device model...). May return null.
     * Runs on an OSGi or shell thread, never on the data path.
     *
     * @param ctx a context of the domain's own in that instance: what is registered through
     *        it is undone when the domain leaves the instance
     * @throws SocketException to refuse the instance; its switch entries then do not run
     *         there (logged)
     */
    default Object init(ProtoContext ctx) throws SocketException {
        return null;
    }

    /**
     * The stack instance goes away or the domain leaves: called after every switch entry of
     * the domain in that instance was destroyed.
     */
    default void destroy(Object state) {
    }
}
