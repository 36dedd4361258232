package org.protosw.socket;

import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.channels.ByteChannel;

import org.osgi.annotation.versioning.ProviderType;

/**
 * A socket of a protosw stack, with the calls and the errno values of BSD sockets.
 *
 * <p>Calls block by default; a blocking call parks its thread (a virtual thread per
 * connection is fine). In non-blocking mode a call that would block fails with
 * {@link Errno#EAGAIN}, and a {@link Poller} tells when to try again.
 *
 * <p>Receive calls follow POSIX: they return the number of bytes received, 0 at the end
 * of a stream. When the protocol that serves the socket is unloaded, every call fails with
 * {@link Errno#ECONNABORTED}, blocked callers included. Every call after {@link #close()}
 * fails with {@link Errno#EBADF}.
 */
@ProviderType
public interface Socket extends AutoCloseable {
    int domain();

    int type();

    int protocol();

    /** The stack instance this socket lives in. */
    NetStack stack();

    void bind(SockAddr addr) throws SocketException;

    void listen(int backlog) throws SocketException;

    /** Waits for a connection on a listening socket and returns it. */
    Socket accept() throws SocketException;

    void connect(SockAddr addr) throws SocketException;

    /** Dissolves a datagram socket's association (BSD: connect to AF_UNSPEC). */
    void disconnect() throws SocketException;

    /**
     * Sends the bytes between the buffer's position and limit (the position advances).
     *
     * @return bytes taken; a datagram is always taken whole or not at all
     */
    int send(ByteBuffer src, int flags) throws SocketException;

    default int send(ByteBuffer src) throws SocketException {
        return send(src, 0);
    }

    int sendto(ByteBuffer src, int flags, SockAddr to) throws SocketException;

    /** Receives into the buffer from its position (advanced); returns the count, 0 at EOF. */
    int recv(ByteBuffer dst, int flags) throws SocketException;

    default int recv(ByteBuffer dst) throws SocketException {
        return recv(dst, 0);
    }

    /** Receives one datagram (or stream bytes) and tells who sent it. */
    RecvInfo recvfrom(ByteBuffer dst, int flags) throws SocketException;

    /** {@link SocketConstants#SHUT_RD}, {@link SocketConstants#SHUT_WR} or {@link SocketConstants#SHUT_RDWR}. */
    void shutdown(int how) throws SocketException;

    <T> void setOption(SockOpt<T> option, T value) throws SocketException;

    <T> T getOption(SockOpt<T> option) throws SocketException;

    /** getsockname(2). */
    SockAddr localAddress() throws SocketException;

    /** getpeername(2); ENOTCONN when not connected. */
    SockAddr peerAddress() throws SocketException;

    void setNonBlocking(boolean nonBlocking) throws SocketException;

    boolean isNonBlocking();

    /** True after connect (or accept) succeeded and before the connection ended. */
    boolean isConnected();

    /** True once {@link #close()} was called or the core aborted the socket. */
    boolean isClosed();

    /** A blocking stream view: read() returns -1 at end of stream. */
    InputStream inputStream();

    /** A blocking stream view: writes every byte before it returns. */
    OutputStream outputStream();

    /** A channel view, usable in blocking or non-blocking mode (reads return -1 at end of stream). */
    ByteChannel channel();

    /**
     * Closes the socket. Idempotent; never throws for a socket that is already closed or
     * aborted. Stream protocols may finish the connection after this returns.
     */
    @Override
    void close();
}
