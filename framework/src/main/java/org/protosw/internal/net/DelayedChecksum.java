package org.protosw.internal.net;

import org.protosw.spi.Packet;
import org.protosw.wire.Checksum;
import org.protosw.wire.Ipv4Header;
import org.protosw.wire.TcpHeader;
import org.protosw.wire.UdpHeader;

/**
 * {@code in_delayed_cksum}: fills the TCP or UDP checksum a transport left out of a packet
 * marked {@link Packet#M_CSUM_PENDING} (it did so because the route went to the loopback, where
 * no one checks it). Whatever must see valid bytes resolves it first: a capture tap, a pipe
 * (which may corrupt, after which the receiver verifies), a packet filter, fragmentation, and
 * any interface but the loopback. The packet is a complete IPv4 datagram, header first.
 */
public final class DelayedChecksum {
    private DelayedChecksum() {
    }

    /** Resolves a pending checksum, if any; a packet too short for its header is left as it is. */
    public static void resolve(Packet p) {
        int flags = p.flags();
        if ((flags & Packet.M_CSUM_PENDING) == 0) {
            return;
        }
        p.setFlags(flags & ~Packet.M_CSUM_PENDING);
        byte[] b = p.array();
        int o = p.offset();
        int len = p.length();
        if (len < Ipv4Header.MIN_LENGTH) {
            return;
        }
        int hlen = (b[o] & 0xf) << 2;
        int total = Math.min(p.get16(Ipv4Header.OFF_TOTAL_LENGTH), len);
        int l4 = total - hlen;
        int proto = p.get8(Ipv4Header.OFF_PROTOCOL);
        int src = p.get32(Ipv4Header.OFF_SRC);
        int dst = p.get32(Ipv4Header.OFF_DST);
        if (proto == TcpHeader.PROTOCOL && l4 >= TcpHeader.MIN_LENGTH) {
            new TcpHeader(b, o + hlen, l4).fillChecksum(src, dst);
        } else if (proto == UdpHeader.PROTOCOL && l4 >= UdpHeader.LENGTH) {
            new UdpHeader(b, o + hlen, l4).fillChecksum(src, dst);
        }
    }
}
