package org.protosw.spi;

import java.util.Objects;

/**
 * A segment that tells a peer its connection is gone, prepared by a protocol revision at its
 * export for the core to send if the live upgrade then fails (see
 * {@link StateTransfer#peerNotices}): once exported, the old revision is destroyed, and a new
 * one that never comes, refuses the snapshot or fails its import cannot tell the peers
 * anything, so without these they would learn of the abort only when their next segment
 * found no connection (TCP's RST for a connection that is gone, RFC 9293 §3.10.7.1).
 *
 * <p>JDK values only, as in a {@link Snapshot}: the core keeps nothing of the old bundle.
 *
 * @param src the local IPv4 address (network order as an int, as {@link ProtoContext#ipOutput} takes it)
 * @param dst the peer's IPv4 address
 * @param protocol the IP protocol number (6 for TCP)
 * @param segment the transport header and payload, checksum filled in; the core prepends the IP header
 * @since 1.3
 */
public record PeerNotice(int src, int dst, int protocol, byte[] segment) {
    public PeerNotice {
        Objects.requireNonNull(segment, "segment");
        if (protocol < 0 || protocol > 255) {
            throw new IllegalArgumentException("IP protocol number " + protocol + " (expected 0..255)");
        }
    }
}
