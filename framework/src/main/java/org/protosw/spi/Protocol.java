package org.protosw.spi;

import java.util.List;
import java.util.Map;

import org.osgi.annotation.versioning.ConsumerType;
import org.protosw.socket.SocketException;

/**
 * A protocol's state in one stack instance (what FreeBSD keeps in VNET variables: pcb
 * tables, statistics, tunables), created by {@link ProtoSw#init}.
 */
@ConsumerType
public interface Protocol {
    /**
     * {@code pru_attach}: a new socket of this protocol. Returns its protocol control block,
     * which stays the socket's pcb for the socket's whole life.
     *
     * @throws SocketException ENOBUFS, EPERM... the socket is then not created
     */
    Pcb attach(ProtoSocket so) throws SocketException;

    /** ICMP errors about packets this protocol sent ({@code pr_ctlinput}). */
    default void ctlinput(IcmpError error) {
    }

    /**
     * Statistics in the manner of {@code netstat -s}: counter descriptions to values, in
     * the order to show them (e.g. "datagrams received" → 12).
     */
    default Map<String, Long> statistics() {
        return Map.of();
    }

    /**
     * Connections this protocol keeps after their socket was detached (TCP delivering the
     * rest of its send buffer and FIN, TIME_WAIT): what {@code netstat} shows after the
     * sockets. Read by management commands, never on the data path.
     */
    default List<ConnectionInfo> orphans() {
        return List.of();
    }

    /**
     * The stack instance goes away or the protocol is unloaded. Called once, after every
     * socket of this protocol in this instance was detached: release timers, threads and
     * registrations here.
     */
    default void destroy() {
    }
}
