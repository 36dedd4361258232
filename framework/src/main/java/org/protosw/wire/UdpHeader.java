package org.protosw.wire;

/**
 * A view of a UDP datagram (RFC 768) over {@code buf[off .. off+len)}, where {@code len} is
 * what the IP layer says the payload is. The checksum covers an IPv4 pseudo-header; a zero
 * checksum field means the sender computed none, and a computed zero is sent as 0xffff.
 */
public final class UdpHeader {
    public static final int LENGTH = 8;

    public static final int OFF_SRC_PORT = 0;
    public static final int OFF_DST_PORT = 2;
    public static final int OFF_LENGTH = 4;
    public static final int OFF_CHECKSUM = 6;

    /** IANA protocol number. */
    public static final int PROTOCOL = 17;

    private byte[] buf;
    private int off;
    private int len;

    public UdpHeader() {
    }

    public UdpHeader(byte[] buf, int off, int len) {
        wrap(buf, off, len);
    }

    /** Points the view at a datagram; returns this. Does not validate. */
    public UdpHeader wrap(byte[] buf, int off, int len) {
        if (off < 0 || len < 0 || off > buf.length - len) {
            throw new IndexOutOfBoundsException("off " + off + " len " + len + " in " + buf.length);
        }
        this.buf = buf;
        this.off = off;
        this.len = len;
        return this;
    }

    /**
     * TRUNCATED below 8 bytes or when the length field exceeds the bytes present (FreeBSD's
     * {@code udps_badlen}), BAD_LENGTH when it is below 8; else OK. A length field shorter
     * than the buffer is legal: the payload ends there.
     */
    public WireStatus check() {
        if (len < LENGTH) {
            return WireStatus.TRUNCATED;
        }
        int ulen = length();
        if (ulen < LENGTH) {
            return WireStatus.BAD_LENGTH;
        }
        if (ulen > len) {
            return WireStatus.TRUNCATED;
        }
        return WireStatus.OK;
    }

    public int srcPort() {
        return Ipv4Header.u16(buf, off + OFF_SRC_PORT);
    }

    public int dstPort() {
        return Ipv4Header.u16(buf, off + OFF_DST_PORT);
    }

    /** The length field (header and payload). */
    public int length() {
        return Ipv4Header.u16(buf, off + OFF_LENGTH);
    }

    public int checksum() {
        return Ipv4Header.u16(buf, off + OFF_CHECKSUM);
    }

    /** Absolute offset of the payload. */
    public int payloadOffset() {
        return off + LENGTH;
    }

    /** Payload bytes as the length field says (call after {@link #check()}). */
    public int payloadLength() {
        return length() - LENGTH;
    }

    /**
     * True when the checksum field is zero (none was computed) or verifies over the
     * pseudo-header and the {@link #length()} bytes of the datagram. Needs a checked view.
     */
    public boolean checksumValid(int src, int dst) {
        if (checksum() == 0) {
            return true;
        }
        int ulen = length();
        return Checksum.sum(buf, off, ulen, Checksum.pseudoHeader(src, dst, PROTOCOL, ulen)) == 0xffff;
    }

    /** Computes the checksum over the pseudo-header and {@link #length()} bytes and stores it (0 sent as 0xffff). */
    public UdpHeader fillChecksum(int src, int dst) {
        int ulen = length();
        Ipv4Header.put16(buf, off + OFF_CHECKSUM, 0);
        int c = Checksum.finish(Checksum.sum(buf, off, ulen, Checksum.pseudoHeader(src, dst, PROTOCOL, ulen)));
        Ipv4Header.put16(buf, off + OFF_CHECKSUM, c == 0 ? 0xffff : c);
        return this;
    }

    public UdpHeader setSrcPort(int port) {
        Ipv4Header.put16(buf, off + OFF_SRC_PORT, port);
        return this;
    }

    public UdpHeader setDstPort(int port) {
        Ipv4Header.put16(buf, off + OFF_DST_PORT, port);
        return this;
    }

    public UdpHeader setLength(int length) {
        Ipv4Header.put16(buf, off + OFF_LENGTH, length);
        return this;
    }

    public UdpHeader setChecksum(int sum) {
        Ipv4Header.put16(buf, off + OFF_CHECKSUM, sum);
        return this;
    }

    @Override
    public String toString() {
        if (len < LENGTH) {
            return "UdpHeader[TRUNCATED]";
        }
        return "UdpHeader[" + srcPort() + " > " + dstPort() + " len " + length() + "]";
    }
}
