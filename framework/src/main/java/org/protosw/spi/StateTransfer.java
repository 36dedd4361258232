package org.protosw.spi;

import org.osgi.annotation.versioning.ConsumerType;
import org.protosw.socket.SocketException;

/**
 * The optional state-transfer facet of a protocol switch entry, for live upgrade
 * (DESIGN.md, socket lifecycle point 5): the {@link ProtoSw} service object implements it
 * beside {@code ProtoSw}. Without it, replacing the protocol's bundle is an unload.
 *
 * <p><b>Old revision.</b> When its bundle is updated, the core freezes the protocol: new
 * calls wait at a gate, no thread is inside the protocol's user requests, input or timers
 * (inbound packets of its protocol numbers are held by the core, its {@link Callout}s
 * paused, {@link Callout#remaining} tells what each had left). Then, per stack instance, it
 * calls {@link #exportPcb} for every attached pcb and {@link #exportProtocol} once, on the
 * upgrading thread. After a successful export every exported pcb gets its one
 * {@link Pcb#detach()} (an "exported" detach: the connection lives on in the next revision,
 * so the pcb must not tell its peer anything), then {@link Protocol#destroy()} runs. An
 * exception from an export aborts the upgrade before anything was detached: the sockets
 * are then aborted through their old pcbs, as in an unload.
 *
 * <p><b>New revision.</b> When it registers (within {@code net.protosw.upgrade_wait_ms}),
 * the core calls {@link ProtoSw#init} per instance (its timers start paused and its input
 * registrations wait behind the held packets), {@link #importProtocol} with that
 * instance's state, then {@link #importPcb} for every socket. Only when every import in
 * every instance succeeded are the sockets re-linked to their new pcbs, the held packets
 * delivered in order and the timers started. A {@link SocketException} or RuntimeException
 * from any import (an unknown format or version included) abandons the new revision's
 * instances (each imported pcb is detached, each instance destroyed) and aborts the sockets
 * with ECONNABORTED, and the core sends each peer what {@link #peerNotices} prepared (TCP:
 * a RST); the reason is logged and shown by {@code net:diag}.
 *
 * <p>Snapshots hold JDK values only ({@link Snapshot}). What the core keeps for the socket
 * (socket buffers with their queued data, socket-level options, the listen queue) is not
 * part of them: the socket stays, only its pcb is replaced.
 *
 * @since 1.3
 */
@ConsumerType
public interface StateTransfer {
    /** The name of the snapshot format this revision writes and reads. */
    String snapshotFormat();

    /** The format version this revision writes. */
    int snapshotVersion();

    /**
     * One pcb's state: addresses, options, sequence space, timers' remaining time, queues...
     *
     * @param protocol the instance (returned by this revision's {@code init}) the pcb belongs to
     */
    Snapshot exportPcb(Protocol protocol, Pcb pcb) throws SocketException;

    /** The instance's own state (tables aside from the pcbs, secrets, caches, orphans), after its pcbs. */
    Snapshot exportProtocol(Protocol protocol) throws SocketException;

    /**
     * What the core sends in this instance's name if the upgrade fails after the export (no
     * new revision in time, a refused snapshot, a failed import): for a connection-oriented
     * protocol, a reset to each peer, made from the state just exported (nothing moves while
     * frozen, so the sequence numbers are still right when they are sent). Called once per
     * instance right after {@link #exportProtocol}. The default: nothing, the peers learn of
     * the abort from their next segment.
     *
     * @param protocol the instance (returned by this revision's {@code init})
     */
    default java.util.List<PeerNotice> peerNotices(Protocol protocol) {
        return java.util.List.of();
    }

    /**
     * Takes an instance's state, before any of its pcbs.
     *
     * @param protocol what this revision's {@code init} just returned for that instance
     * @throws SocketException to refuse the snapshot (e.g. EPROTONOSUPPORT for a version it cannot read)
     */
    void importProtocol(Protocol protocol, Snapshot state) throws SocketException;

    /**
     * Builds the pcb that continues an exported one for the socket {@code so}; it must not
     * call upcalls that change the socket's state (the socket already is in it).
     *
     * @throws SocketException to refuse it; the whole upgrade then fails
     */
    Pcb importPcb(Protocol protocol, ProtoSocket so, Snapshot state) throws SocketException;
}
