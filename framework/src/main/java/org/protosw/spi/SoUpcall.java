package org.protosw.spi;

import org.osgi.annotation.versioning.ConsumerType;

/**
 * The upcalls of a socket opened inside the stack ({@code so_upcall} of FreeBSD's in-kernel
 * sockets), see {@link ProtoContext#socreate}. They replace a thread blocked in receive:
 * the owner is called when something happened and then pulls with
 * {@link KernSocket#recv} (which never blocks).
 *
 * <p>Threads: {@link #readable} and {@link #writable} run on the thread where the lower
 * protocol woke the socket: for datagrams arriving from an interface that is the stack's
 * thread processing that flow's input (its input worker, or the sending thread under direct
 * dispatch on lo0 and epair; never two at once for one flow), for an error or a shutdown
 * the thread that caused it. {@link #aborted} runs on the thread that unloads the lower
 * protocol or removes the stack instance (an OSGi or shell thread). Upcalls must not block;
 * a RuntimeException thrown by one is logged (rate limited) and otherwise ignored.
 *
 * @since SPI 1.2
 */
@ConsumerType
public interface SoUpcall {
    /** Data (or an error, or the end of input) can be received ({@code sorwakeup}). */
    default void readable(KernSocket so) {
    }

    /** Send-buffer space was freed ({@code sowwakeup}). */
    default void writable(KernSocket so) {
    }

    /**
     * The core aborted the socket: its protocol is being unloaded or drained, or the stack
     * instance is going away. The socket is dead from now on (every call fails with
     * ECONNABORTED); by the time this runs, the sockets of the protocol that owns it have
     * been aborted already (upper before lower). Open a new one when it is needed again:
     * {@link ProtoContext#socreate} fails with EPROTONOSUPPORT until the lower protocol is
     * back.
     */
    default void aborted(KernSocket so) {
    }
}
