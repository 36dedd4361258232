package org.protosw.spi;

import java.util.function.Function;

import org.osgi.annotation.versioning.ProviderType;
import org.protosw.socket.Errno;
import org.protosw.socket.SockOpt;

/**
 * The socket as its protocol sees it: the socket buffers, the socket-level options the core
 * keeps, and the state and wake-up upcalls of BSD's socket layer ({@code soisconnected},
 * {@code socantrcvmore}, {@code sorwakeup}...). Safe to call from any thread.
 *
 * <p>The upcalls only change state and wake waiters (application threads, pollers, the
 * {@link SoUpcall} of an in-stack socket); they never call back into the pcb, so a protocol
 * may call them while holding its own locks.
 */
@ProviderType
public interface ProtoSocket {
    /**
     * The socket's address family: the {@link Domain#family()} of its switch entry.
     *
     * @since SPI 1.2
     */
    int domain();

    int type();

    int protocol();

    /** The stack instance the socket lives in. */
    ProtoContext context();

    /** The receive buffer ({@code so_rcv}). */
    SockBuf rcv();

    /** The send buffer ({@code so_snd}). */
    SockBuf snd();

    /**
     * {@code soreserve}: sets the send and receive buffer limits a protocol starts its
     * sockets with (its sendspace/recvspace tunables). Called again later, it raises or lowers
     * the limits (buffer autotuning), but leaves a limit alone that the application set with
     * SO_SNDBUF or SO_RCVBUF.
     */
    void soreserve(int sndcc, int rcvcc);

    /** Whether a boolean socket-level option (SO_REUSEADDR, SO_BROADCAST...) is on. */
    boolean option(SockOpt<Boolean> option);

    /** SO_LINGER seconds, or -1 when off. */
    int linger();

    void soisconnecting();

    void soisconnected();

    void soisdisconnecting();

    void soisdisconnected();

    /** Nothing more will arrive: readers see end of stream once the buffer is empty. */
    void socantrcvmore();

    /** Nothing more may be sent: senders get EPIPE. */
    void socantsendmore();

    /** Sets the pending error ({@code so_error}) and wakes readers and writers. */
    void setError(Errno error);

    /** Wakes readers and read pollers. */
    void sorwakeup();

    /** Wakes writers and write pollers. */
    void sowwakeup();

    /**
     * {@code sonewconn}: on a listening socket, creates the socket of a new connection, lets
     * {@code attach} build its pcb, and queues it as incomplete until {@link #soisconnected()}
     * is called on it. Returns null when the listen queue is full (the caller drops).
     */
    ProtoSocket sonewconn(Function<ProtoSocket, Pcb> attach);
}
