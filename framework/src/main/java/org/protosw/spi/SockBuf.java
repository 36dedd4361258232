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

    /** {@code sbappendstream}: adds bytes to a stream buffer, ignoring the limit. */
    void appendStream(Packet data);

    /** Copies {@code len} bytes starting {@code offset} bytes into a stream buffer. */
    void copyOut(int offset, byte[] dst, int dstOff, int len);

    /** {@code sbdrop}: removes the first {@code len} bytes of a stream buffer. */
    void drop(int len);

    /** No more data will be added ({@code SBS_CANTRCVMORE} / {@code SBS_CANTSENDMORE}). */
    boolean cantMore();
}
