package org.protosw.udp.internal;

import org.protosw.spi.Packet;
import org.protosw.wire.Checksum;

import static org.protosw.socket.SocketConstants.IPPROTO_UDP;

/**
 * The eight bytes of a UDP header (RFC 768) read and written in place, at {@code off} bytes
 * into a packet's data. Callers check the length before reading.
 */
final class UdpHeader {
    /** Header length. */
    static final int LEN = 8;
    /** Largest payload: 65535 minus a minimal IPv4 header and this header. */
    static final int MAX_PAYLOAD = 65535 - 20 - LEN;

    private UdpHeader() {
    }

    static int sport(Packet p, int off) {
        return p.get16(off);
    }

    static int dport(Packet p, int off) {
        return p.get16(off + 2);
    }

    /** The length field: header plus data. */
    static int ulen(Packet p, int off) {
        return p.get16(off + 4);
    }

    /** The checksum field; 0 means the sender computed none. */
    static int sum(Packet p, int off) {
        return p.get16(off + 6);
    }

    /** Writes a header with a zero checksum field. */
    static void fill(Packet p, int off, int sport, int dport, int ulen) {
        p.set16(off, sport);
        p.set16(off + 2, dport);
        p.set16(off + 4, ulen);
        p.set16(off + 6, 0);
    }

    static void setSum(Packet p, int off, int sum) {
        p.set16(off + 6, sum);
    }

    /**
     * The Internet checksum of header and data with the IPv4 pseudo-header in front. Over a
     * header whose field is still 0 this is the value to send; over a received datagram
     * with a checksum it is 0 when the datagram is intact.
     */
    static int checksum(Packet p, int off, int ulen, int src, int dst) {
        int pseudo = Checksum.pseudoHeader(src, dst, IPPROTO_UDP, ulen);
        return Checksum.finish(Checksum.sum(p.array(), p.offset() + off, ulen, pseudo));
    }
}
