package org.protosw.spi;

import java.nio.ByteBuffer;

import org.osgi.annotation.versioning.ProviderType;
import org.protosw.socket.RecvInfo;
import org.protosw.socket.SockAddr;
import org.protosw.socket.SockOpt;
import org.protosw.socket.SocketException;

/**
 * A socket that a protocol opened inside the stack, of another protocol of the same stack
 * instance (FreeBSD's in-kernel {@code socreate}/{@code sosend}/{@code soreceive}), see
 * {@link ProtoContext#socreate}. It is a socket like any other for the lower protocol: the
 * port it binds is reserved in the lower protocol's table, {@code netstat} lists it with the
 * protocol that owns it, and it is counted, aborted and detached by the same rules.
 *
 * <p>No call blocks: {@link #send} hands the packet to the lower protocol at once (or
 * fails), {@link #recv} answers EAGAIN when nothing is queued. Every method may be called
 * from any thread, also from an upcall or a {@link TunnelInput}.
 *
 * <p>Opening one tells the core that the owner uses the lower protocol: unloading or
 * draining the lower one aborts the owner's sockets first, then this socket (with
 * {@link SoUpcall#aborted}), then the lower protocol's own sockets.
 *
 * @since SPI 1.2
 */
@ProviderType
public interface KernSocket extends AutoCloseable {
    int domain();

    int type();

    int protocol();

    /** The name of the lower protocol serving this socket (e.g. {@code udp}). */
    String protocolName();

    void bind(SockAddr addr) throws SocketException;

    void connect(SockAddr addr) throws SocketException;

    /** {@code pru_listen}, for lower protocols that take connections. */
    void listen(int backlog) throws SocketException;

    /**
     * {@code sosend} without a copy: the lower protocol owns {@code data} from now on (leave
     * {@link Packet#DEFAULT_HEADROOM} in front for its headers: use
     * {@link ProtoContext#allocate}). A record protocol takes it whole (EMSGSIZE when it
     * exceeds the send buffer's limit); nothing waits for space.
     *
     * @param to the destination, or null on a connected socket
     * @param flags MSG_* flags
     * @throws SocketException what the lower protocol's send throws; ECONNABORTED once the
     *         socket was aborted
     */
    void send(Packet data, SockAddr to, int flags) throws SocketException;

    /**
     * {@code soreceive} without waiting: one datagram (or stream bytes) copied into
     * {@code dst}.
     *
     * @throws SocketException EAGAIN when nothing is queued, the pending error, ECONNABORTED
     *         once aborted
     */
    RecvInfo recv(ByteBuffer dst, int flags) throws SocketException;

    <T> void setOption(SockOpt<T> option, T value) throws SocketException;

    <T> T getOption(SockOpt<T> option) throws SocketException;

    SockAddr localAddress() throws SocketException;

    SockAddr peerAddress() throws SocketException;

    /**
     * Hands every datagram for this socket to {@code tunnel} before it would be queued to
     * the receive buffer ({@code udp_set_kernel_tunneling}); null removes the tunnel.
     *
     * @throws SocketException EOPNOTSUPP when the lower protocol has no tunnelling
     *         ({@link TunnelPcb})
     */
    void setTunnel(TunnelInput tunnel) throws SocketException;

    /** True once the core aborted the socket (its protocol left or the instance goes away). */
    boolean isAborted();

    /** Closes the socket (idempotent). The core also closes it when its owner leaves. */
    @Override
    void close();
}
