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

    /** {@code pru_close}: the application closed the socket. {@link #detach()} follows. */
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
