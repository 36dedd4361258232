package org.protosw.spi;

import java.util.Map;

import org.osgi.annotation.versioning.ConsumerType;
import org.protosw.socket.Errno;
import org.protosw.socket.SockAddr;
import org.protosw.socket.SockOpt;
import org.protosw.socket.SocketException;

/**
 * A socket's protocol control block. Its methods are the user requests
 * ({@code pr_usrreqs}); those a protocol does not implement answer EOPNOTSUPP as BSD's
 * {@code pru_*_notsupp} do.
 *
 * <p>The core calls them only while the socket is alive and counts each call in flight;
 * {@link #detach()} is called exactly once, after {@link #close()} or {@link #abort()} and
 * when no other call of this pcb is running. Calls for one socket may come from several
 * threads at once (a reader and a writer): guard the pcb's own state.
 *
 * <h2>The rules a protocol author relies on</h2>
 * <ul>
 * <li><b>Threads.</b> User requests run on the application's thread (a blocked receive
 * waits in the socket layer, never inside the pcb). Input ({@link IpInput}, a
 * {@link TunnelInput}) runs on the thread processing the flow's input queue: the stack's
 * input worker, or (direct dispatch on lo0 and epair) the thread that sent the packet, once
 * its own call into the stack has returned and it holds no protocol lock. One flow is
 * processed by one thread at a time, in order; different flows run at once. Timers ({@link Callout}) run on the stack's timer
 * thread. {@link #abort()} for an unload or a vnet removal runs on the thread doing it (an
 * OSGi or shell thread). So input, timers and user requests of one pcb may overlap.</li>
 * <li><b>close and abort race with input and timers, never with detach.</b> While
 * {@code close} or {@code abort} runs, the pcb's input handler and callouts may still fire
 * (they are the protocol's, not the core's); other user requests of the socket may still be
 * in flight when {@code abort} runs (they are woken with ECONNABORTED and leave). Exactly one
 * of {@code close} and {@code abort} is called: when the application closes a socket the
 * core is aborting, or the other way round, the first one wins. {@code detach} follows only
 * after every call in flight left.</li>
 * <li><b>What detach may keep alive.</b> After {@code detach} the core never calls the pcb
 * again and forgets it; the socket buffers may no longer be read by the application. The
 * protocol may keep its own connection state (TCP keeps its pcb through FIN_WAIT and
 * TIME_WAIT, listed by {@link Protocol#orphans()}), but must not call the
 * {@link ProtoSocket} upcalls expecting anyone to listen, and must let it all go in
 * {@link Protocol#destroy()}.</li>
 * <li><b>Exceptions.</b> A {@link SocketException} from a request reaches the application
 * as it is. A RuntimeException (or LinkageError) from a request becomes EIO for the
 * caller, is logged with the protocol's name, and leaves the socket alive; from
 * {@code attach} it refuses the socket with EPROTO; from {@code close}, {@code abort} or
 * {@code detach} it is logged and the socket is detached anyway; from input or an upcall
 * it is counted and logged (rate limited), the packet dropped.</li>
 * </ul>
 */
@ConsumerType
public interface Pcb {
    /** {@code pru_bind}. */
    default void bind(SockAddr addr) throws SocketException {
        throw notsupp("bind");
    }

    /** {@code pru_listen}. */
    default void listen(int backlog) throws SocketException {
        throw notsupp("listen");
    }

    /** {@code pru_connect}: start connecting (stream) or set the default peer (datagram). */
    default void connect(SockAddr addr) throws SocketException {
        throw notsupp("connect");
    }

    /** {@code pru_disconnect}. */
    default void disconnect() throws SocketException {
        throw notsupp("disconnect");
    }

    /** {@code pru_shutdown}: the application will send no more. */
    default void shutdown() throws SocketException {
        throw notsupp("shutdown");
    }

    /**
     * {@code pru_send}: the packet holds the application's bytes (with room for headers in
     * front); the pcb owns it from now on. Datagram protocols send it; stream protocols
     * append it to {@link ProtoSocket#snd()} and output what they may.
     *
     * @param to the destination given to sendto, or null
     * @param flags MSG_* flags
     */
    default void send(Packet data, SockAddr to, int flags) throws SocketException {
        throw notsupp("send");
    }

    /** {@code pru_rcvd}: the application took data from the receive buffer (PR_WANTRCVD). */
    default void rcvd(int flags) {
    }

    /** {@code pru_accept}: the peer address of a connection taken from the listen queue. */
    default SockAddr accept() throws SocketException {
        throw notsupp("accept");
    }

    /** {@code pru_sockaddr}: the local address. */
    default SockAddr sockaddr() throws SocketException {
        throw notsupp("getsockname");
    }

    /** {@code pru_peeraddr}: the peer address; ENOTCONN when there is none. */
    default SockAddr peeraddr() throws SocketException {
        throw notsupp("getpeername");
    }

    /** {@code pr_ctloutput} (set) for options of the protocol's level or IP's. */
    default <T> void setOption(SockOpt<T> option, T value) throws SocketException {
        throw new SocketException(Errno.ENOPROTOOPT, option.label());
    }

    /** {@code pr_ctloutput} (get). */
    default <T> T getOption(SockOpt<T> option) throws SocketException {
        throw new SocketException(Errno.ENOPROTOOPT, option.label());
    }

    /**
     * {@code pru_close}: the application closed the socket. {@link #detach()} follows when
     * the last call in flight left. A connection-oriented protocol may linger (send what is
     * left, FIN) after detach with state of its own.
     */
    default void close() {
    }

    /**
     * {@code pru_abort}: the core (unload, listen overflow) or the protocol tears the socket
     * down; a connection-oriented protocol tells its peer (RST). {@link #detach()} follows.
     */
    default void abort() {
    }

    /** {@code pru_detach}: release the pcb. Called exactly once, with no other call running. */
    void detach();

    /** The state shown by {@code netstat} (e.g. ESTABLISHED); empty when it has none. */
    default String state() {
        return "";
    }

    /**
     * What {@code netstat -T} shows of this connection besides its state, in display order:
     * short lower-case names to values with their units (TCP shows its {@code tcp_info}:
     * rtt, cwnd, retransmits...). Empty when there is nothing more to say.
     *
     * @since 1.1
     */
    default Map<String, String> details() {
        return Map.of();
    }

    /** The EOPNOTSUPP answer of a request a protocol does not implement. */
    static SocketException notsupp(String request) {
        return new SocketException(Errno.EOPNOTSUPP, request);
    }
}
