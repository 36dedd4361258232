package org.protosw.spi;

import org.osgi.annotation.versioning.ProviderType;
import org.protosw.socket.SockAddr;

/**
 * A socket buffer ({@code struct sockbuf}) with a byte limit ({@code sb_hiwat}). The receive
 * buffer is filled by the protocol and drained by the application; the send buffer the
 * other way round. Appends do not wake anyone: call {@link ProtoSocket#sorwakeup()} after.
 */
@ProviderType
public interface SockBuf {
    /** The limit in bytes (SO_RCVBUF / SO_SNDBUF). */
    int hiwat();

    /** Bytes held. */
    int cc();

    /** Room left before the limit ({@code sbspace}); never negative. */
    int space();

    /**
     * {@code sbappendaddr}: queues one datagram with its sender's address.
     *
     * @param ifname the receiving interface's name, or null
     * @return false when it does not fit (the caller counts the drop; the packet is not kept)
     */
    boolean appendAddr(Packet data, SockAddr from, String ifname);

    /**
     * {@code sbappendrecord}: queues one record (a SOCK_SEQPACKET message, or a part of one)
     * ignoring the limit: a reliable protocol checks {@link #space()} itself before it
     * accepts a message from its peer (and tells the peer to wait, as RNR does), and the
     * socket layer has waited for space before it handed a send to the protocol.
     *
     * @param from the sender's address, or null on a connected socket
     * @param flags {@code MSG_EOR} when this part ends the record (the receiver sees it in
     *        {@code RecvInfo.flags()}); records without it are continued by the next
     * @since SPI 1.2
     */
    void appendRecord(Packet data, SockAddr from, int flags);

    /**
     * Takes the first record off the buffer (the send buffer of a record protocol holds
     * what the application sent and the peer has not acknowledged yet). Call
     * {@link ProtoSocket#sowwakeup()} after, so blocked senders see the space.
     *
     * @return its packet, or null when the buffer holds no record
     * @since SPI 1.2
     */
    Packet takeRecord();

    /**
     * Records (or datagrams) queued.
     *
     * @since SPI 1.2
     */
    int records();

    /** {@code sbappendstream}: adds bytes to a stream buffer, ignoring the limit. */
    void appendStream(Packet data);

    /** Copies {@code len} bytes starting {@code offset} bytes into a stream buffer. */
    void copyOut(int offset, byte[] dst, int dstOff, int len);

    /** {@code sbdrop}: removes the first {@code len} bytes of a stream buffer. */
    void drop(int len);

    /** No more data will be added ({@code SBS_CANTRCVMORE} / {@code SBS_CANTSENDMORE}). */
    boolean cantMore();
}
