package org.protosw.internal.sw;

import java.util.List;

/**
 * What the registry needs of a socket whose pcb a protocol instance attached: a way to
 * abort it when the protocol or the stack instance goes away, and enough to name it in a
 * log line when it does not go quietly.
 */
public interface AttachedSocket {
    /**
     * {@code soabort}: the core tears the socket down. Blocked callers wake with
     * ECONNABORTED, the pcb's {@code abort} runs once (unless the application closed the
     * socket already) and {@code detach} follows when the last call in flight leaves.
     */
    void abortByCore();

    /**
     * The first half of {@link #abortByCore()}: marks the socket aborted and wakes its
     * callers, without calling the protocol yet. When a whole protocol goes, the core marks
     * every socket first, so a protocol's abort of one socket (which may reset its peer)
     * cannot reach a peer socket before that one is marked: all callers see ECONNABORTED.
     *
     * @return true when this call marked it (then {@link #completeAbort()} must follow)
     */
    boolean markAborted();

    /** The second half: the pcb's {@code abort}, then detach when the last call leaves. */
    void completeAbort();

    /** A short name for log lines, e.g. {@code "udp socket #12 in vnet default"}. */
    String describe();

    /** The threads inside a call of this socket right now (as far as they are tracked). */
    List<Thread> threadsInFlight();

    // ---- live upgrade ---------------------------------------------------------------------

    /** No thread is inside this socket's pcb (callers blocked in the core do not count). */
    boolean outOfProtocol();

    /** The socket's current pcb (for the export; only while frozen). */
    org.protosw.spi.Pcb pcb();

    /**
     * The pcb's detach has run (a close or abort finished): the socket only waits to leave its
     * instance's socket set, and has nothing to export. Between the two it is out of the
     * protocol and still in the set, which an upgrade's freeze can see.
     */
    default boolean pcbDetached() {
        return false;
    }

    /** The socket as its protocol sees it (what the new revision's import gets). */
    org.protosw.spi.ProtoSocket protoSocket();

    /**
     * The "exported" detach: the old revision's pcb is detached (once; it tells no peer),
     * and the socket points at a core-owned placeholder until it is re-linked.
     */
    void detachExported();

    /** The socket continues on {@code pcb} of the new revision, whose context is {@code ctx}. */
    void relink(org.protosw.spi.Pcb pcb, org.protosw.spi.ProtoContext ctx);

    /** True for a socket another protocol opened inside the stack ({@code ProtoContext.socreate}). */
    default boolean inStack() {
        return false;
    }
}
