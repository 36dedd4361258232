package org.protosw.wire;

/**
 * A view of a TCP segment (RFC 9293) over {@code buf[off .. off+len)}, where {@code len} is
 * the segment length the IP layer reports. Options are read with {@link TcpOptions}
 * ({@link #options(TcpOptions)}); the checksum covers an IPv4 pseudo-header.
 */
public final class TcpHeader {
    public static final int MIN_LENGTH = 20;
    public static final int MAX_LENGTH = 60;

    public static final int OFF_SRC_PORT = 0;
    public static final int OFF_DST_PORT = 2;
    public static final int OFF_SEQ = 4;
    public static final int OFF_ACK = 8;
    public static final int OFF_DATA_OFFSET = 12;
    public static final int OFF_FLAGS = 13;
    public static final int OFF_WINDOW = 14;
    public static final int OFF_CHECKSUM = 16;
    public static final int OFF_URGENT = 18;

    /** IANA protocol number. */
    public static final int PROTOCOL = 6;

    public static final int FIN = 0x01;
    public static final int SYN = 0x02;
    public static final int RST = 0x04;
    public static final int PSH = 0x08;
    public static final int ACK = 0x10;
    public static final int URG = 0x20;
    public static final int ECE = 0x40;
    public static final int CWR = 0x80;
    /** Accurate ECN (formerly NS), the low bit of the data offset byte. */
    public static final int AE = 0x100;

    private byte[] buf;
    private int off;
    private int len;

    public TcpHeader() {
    }

    public TcpHeader(byte[] buf, int off, int len) {
        wrap(buf, off, len);
    }

    /** Points the view at a segment; returns this. Does not validate. */
    public TcpHeader wrap(byte[] buf, int off, int len) {
        if (off < 0 || len < 0 || off > buf.length - len) {
            throw new IndexOutOfBoundsException("off " + off + " len " + len + " in " + buf.length);
        }
        this.buf = buf;
        this.off = off;
        this.len = len;
        return this;
    }

    /**
     * TRUNCATED below 20 bytes or when the data offset runs past the segment, BAD_DATA_OFFSET
     * below 20; else OK. Options are checked by {@link TcpOptions#parse()}.
     */
    public WireStatus check() {
        if (len < MIN_LENGTH) {
            return WireStatus.TRUNCATED;
        }
        int doff = headerLength();
        if (doff < MIN_LENGTH) {
            return WireStatus.BAD_DATA_OFFSET;
        }
        if (doff > len) {
            return WireStatus.TRUNCATED;
        }
        return WireStatus.OK;
    }

    public int length() {
        return len;
    }

    public int srcPort() {
        return Ipv4Header.u16(buf, off + OFF_SRC_PORT);
    }

    public int dstPort() {
        return Ipv4Header.u16(buf, off + OFF_DST_PORT);
    }

    public int seq() {
        return Ipv4Header.u32(buf, off + OFF_SEQ);
    }

    public int ack() {
        return Ipv4Header.u32(buf, off + OFF_ACK);
    }

    /** Header length in bytes (data offset × 4). */
    public int headerLength() {
        return (buf[off + OFF_DATA_OFFSET] & 0xf0) >>> 2;
    }

    /** FIN..CWR and {@link #AE}. */
    public int flags() {
        return (buf[off + OFF_DATA_OFFSET] & 1) << 8 | (buf[off + OFF_FLAGS] & 0xff);
    }

    public boolean has(int flag) {
        return (flags() & flag) != 0;
    }

    public int window() {
        return Ipv4Header.u16(buf, off + OFF_WINDOW);
    }

    public int checksum() {
        return Ipv4Header.u16(buf, off + OFF_CHECKSUM);
    }

    public int urgentPointer() {
        return Ipv4Header.u16(buf, off + OFF_URGENT);
    }

    /** Absolute offset of the options. */
    public int optionsOffset() {
        return off + MIN_LENGTH;
    }

    public int optionsLength() {
        return headerLength() - MIN_LENGTH;
    }

    /** Points {@code it} at this segment's options and returns it. Needs a checked view. */
    public TcpOptions options(TcpOptions it) {
        return it.wrap(buf, optionsOffset(), optionsLength());
    }

    /** Absolute offset of the payload. */
    public int payloadOffset() {
        return off + headerLength();
    }

    public int payloadLength() {
        return len - headerLength();
    }

    /** True when the checksum verifies over the pseudo-header and the whole segment. */
    public boolean checksumValid(int src, int dst) {
        return Checksum.sum(buf, off, len, Checksum.pseudoHeader(src, dst, PROTOCOL, len)) == 0xffff;
    }

    /** Computes and stores the checksum over the pseudo-header and the whole segment. */
    public TcpHeader fillChecksum(int src, int dst) {
        Ipv4Header.put16(buf, off + OFF_CHECKSUM, 0);
        Ipv4Header.put16(buf, off + OFF_CHECKSUM,
                Checksum.finish(Checksum.sum(buf, off, len, Checksum.pseudoHeader(src, dst, PROTOCOL, len))));
        return this;
    }

    public TcpHeader setSrcPort(int port) {
        Ipv4Header.put16(buf, off + OFF_SRC_PORT, port);
        return this;
    }

    public TcpHeader setDstPort(int port) {
        Ipv4Header.put16(buf, off + OFF_DST_PORT, port);
        return this;
    }

    public TcpHeader setSeq(int seq) {
        Ipv4Header.put32(buf, off + OFF_SEQ, seq);
        return this;
    }

    public TcpHeader setAck(int ack) {
        Ipv4Header.put32(buf, off + OFF_ACK, ack);
        return this;
    }

    /** Sets the header length in bytes (20..60, a multiple of 4), keeping the AE bit. */
    public TcpHeader setHeaderLength(int hlen) {
        if (hlen < MIN_LENGTH || hlen > MAX_LENGTH || (hlen & 3) != 0) {
            throw new IllegalArgumentException("TCP header length " + hlen + " (expected 20..60, multiple of 4)");
        }
        buf[off + OFF_DATA_OFFSET] = (byte) (hlen << 2 | buf[off + OFF_DATA_OFFSET] & 0x0f);
        return this;
    }

    public TcpHeader setFlags(int flags) {
        buf[off + OFF_FLAGS] = (byte) flags;
        int b = buf[off + OFF_DATA_OFFSET] & 0xfe;
        buf[off + OFF_DATA_OFFSET] = (byte) (b | (flags >>> 8 & 1));
        return this;
    }

    public TcpHeader setWindow(int window) {
        Ipv4Header.put16(buf, off + OFF_WINDOW, window);
        return this;
    }

    public TcpHeader setChecksum(int sum) {
        Ipv4Header.put16(buf, off + OFF_CHECKSUM, sum);
        return this;
    }

    public TcpHeader setUrgentPointer(int urp) {
        Ipv4Header.put16(buf, off + OFF_URGENT, urp);
        return this;
    }

    /** Flag letters as tcpdump prints them ("S", "S.", "F.", "R", "P."). */
    public static String flagString(int flags) {
        StringBuilder sb = new StringBuilder();
        if ((flags & SYN) != 0) sb.append('S');
        if ((flags & FIN) != 0) sb.append('F');
        if ((flags & RST) != 0) sb.append('R');
        if ((flags & PSH) != 0) sb.append('P');
        if ((flags & URG) != 0) sb.append('U');
        if ((flags & ECE) != 0) sb.append('E');
        if ((flags & CWR) != 0) sb.append('W');
        if ((flags & ACK) != 0) sb.append('.');
        return sb.isEmpty() ? "none" : sb.toString();
    }

    @Override
    public String toString() {
        if (check() != WireStatus.OK) {
            return "TcpHeader[" + check() + "]";
        }
        return "TcpHeader[" + srcPort() + " > " + dstPort() + " [" + flagString(flags()) + "] seq "
                + Integer.toUnsignedString(seq()) + " ack " + Integer.toUnsignedString(ack()) + " win " + window()
                + " len " + payloadLength() + "]";
    }
}
