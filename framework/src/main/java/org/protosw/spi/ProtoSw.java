package org.protosw.spi;

import org.osgi.annotation.versioning.ConsumerType;
import org.protosw.socket.SocketException;

/**
 * A protocol switch entry ({@code struct protosw}), registered as an OSGi service with the
 * {@link ProtoSwEntry} properties. The core picks it up at run time (whiteboard), validates
 * it as FreeBSD's {@code protosw_register} does, and from then on calls {@link #init} once
 * for every stack instance, present and future.
 *
 * <p>When the service goes away the core first aborts the sockets of every protocol that
 * runs on this one (declared with {@link ProtoSwEntry#uses()} or learned from their
 * in-stack sockets, see {@link ProtoContext#socreate}), the topmost first, then every socket
 * of the protocol itself, waits for calls in flight, detaches every pcb exactly once and only
 * then calls {@link Protocol#destroy()} on each per-stack half. Draining it aborts the
 * upper protocols' sockets and the in-stack sockets they hold on it the same way.
 *
 * <p>{@code init} runs on an OSGi (or shell) thread, once per stack instance, after the
 * {@link Domain#init} of the entry's domain there; a RuntimeException from it is logged and
 * leaves that instance without the protocol.
 */
@ConsumerType
public interface ProtoSw {
    /**
     * The protocol's per-stack half for one stack instance ({@code pr_init} with VNET).
     *
     * @param ctx what the core offers the protocol in that stack instance
     * @throws SocketException to refuse serving that instance; logged, other instances unaffected
     */
    Protocol init(ProtoContext ctx) throws SocketException;
}
