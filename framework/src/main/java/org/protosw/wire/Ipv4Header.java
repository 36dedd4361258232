package org.protosw.wire;

/**
 * A view of an IPv4 header (RFC 791) over {@code buf[off .. off+len)}. Wrapping does not
 * copy; one view may be reused for many packets. {@link #check()} validates the lengths
 * and the version without trusting any field; the getters are safe once it answered
 * {@link WireStatus#OK} (before that, the fixed 20 bytes must be present). Setters build
 * or rewrite a header in place.
 *
 * <p>The field offsets are public so code that already holds the bytes (the IP input path)
 * can read fields without a view.
 */
public final class Ipv4Header {
    public static final int MIN_LENGTH = 20;
    public static final int MAX_LENGTH = 60;
    /** The largest datagram: the total length field is 16 bits. */
    public static final int MAX_PACKET = 65535;

    public static final int OFF_VHL = 0;
    public static final int OFF_TOS = 1;
    public static final int OFF_TOTAL_LENGTH = 2;
    public static final int OFF_ID = 4;
    public static final int OFF_FRAG = 6;
    public static final int OFF_TTL = 8;
    public static final int OFF_PROTOCOL = 9;
    public static final int OFF_CHECKSUM = 10;
    public static final int OFF_SRC = 12;
    public static final int OFF_DST = 16;

    /** Reserved flag (the "evil bit", RFC 3514), in the 16-bit flags/offset word. */
    public static final int FLAG_RF = 0x8000;
    /** Don't fragment. */
    public static final int FLAG_DF = 0x4000;
    /** More fragments. */
    public static final int FLAG_MF = 0x2000;
    /** The fragment offset bits (in units of 8 bytes). */
    public static final int OFFMASK = 0x1fff;

    /** Option types (RFC 791): the top bit of the type is the "copied" flag. */
    public static final int OPT_EOL = 0;
    public static final int OPT_NOP = 1;
    public static final int OPT_COPIED = 0x80;

    private byte[] buf;
    private int off;
    private int len;

    public Ipv4Header() {
    }

    public Ipv4Header(byte[] buf, int off, int len) {
        wrap(buf, off, len);
    }

    /** Points the view at other bytes; returns this. Does not validate. */
    public Ipv4Header wrap(byte[] buf, int off, int len) {
        if (off < 0 || len < 0 || off > buf.length - len) {
            throw new IndexOutOfBoundsException("off " + off + " len " + len + " in " + buf.length);
        }
        this.buf = buf;
        this.off = off;
        this.len = len;
        return this;
    }

    public byte[] buffer() {
        return buf;
    }

    public int offset() {
        return off;
    }

    /** The length of the wrapped region (not the total length field). */
    public int bufferLength() {
        return len;
    }

    /**
     * Validates version, header length and total length against the buffer, in the order
     * FreeBSD's {@code ip_input} does; the checksum is {@link #checksumValid() separate}
     * because links may vouch for it. Bytes beyond the total length are allowed (link
     * padding); the caller trims them.
     */
    public WireStatus check() {
        return check(buf, off, len);
    }

    /** {@link #check()} on raw bytes, without a view. */
    public static WireStatus check(byte[] buf, int off, int len) {
        if (len < MIN_LENGTH) {
            return WireStatus.TRUNCATED;
        }
        int vhl = buf[off] & 0xff;
        if (vhl >>> 4 != 4) {
            return WireStatus.BAD_VERSION;
        }
        int hlen = (vhl & 0xf) << 2;
        if (hlen < MIN_LENGTH) {
            return WireStatus.BAD_HLEN;
        }
        if (hlen > len) {
            return WireStatus.TRUNCATED;
        }
        int total = u16(buf, off + OFF_TOTAL_LENGTH);
        if (total < hlen) {
            return WireStatus.BAD_TOTAL_LENGTH;
        }
        if (total > len) {
            return WireStatus.TRUNCATED;
        }
        return WireStatus.OK;
    }

    /**
     * Offset (from the start of the header) of the first malformed option byte, or -1 when
     * the options are well formed: each option other than EOL and NOP carries a length of at
     * least 2 that stays inside the header. Needs a checked header.
     */
    public int badOptionOffset() {
        return badOptionOffset(buf, off, headerLength());
    }

    /** {@link #badOptionOffset()} on raw bytes: {@code hlen} bytes of header at {@code off}. */
    public static int badOptionOffset(byte[] buf, int off, int hlen) {
        int i = MIN_LENGTH;
        while (i < hlen) {
            int type = buf[off + i] & 0xff;
            if (type == OPT_EOL) {
                return -1;
            }
            if (type == OPT_NOP) {
                i++;
                continue;
            }
            if (i + 1 >= hlen) {
                return i;
            }
            int olen = buf[off + i + 1] & 0xff;
            if (olen < 2 || i + olen > hlen) {
                return i + 1;
            }
            i += olen;
        }
        return -1;
    }

    /**
     * Copies the options whose copied flag is set (those every fragment must carry, RFC 791)
     * from a header of {@code hlen} bytes at {@code src} to {@code dst}, padding with EOL to
     * a multiple of 4. Returns the bytes written (0 when none). Stops at a malformed option.
     * {@code dst} needs room for {@code hlen - 20} bytes.
     */
    public static int copyCopiedOptions(byte[] src, int srcOff, int hlen, byte[] dst, int dstOff) {
        int i = MIN_LENGTH;
        int w = 0;
        while (i < hlen) {
            int type = src[srcOff + i] & 0xff;
            if (type == OPT_EOL) {
                break;
            }
            if (type == OPT_NOP) {
                i++;
                continue;
            }
            if (i + 1 >= hlen) {
                break;
            }
            int olen = src[srcOff + i + 1] & 0xff;
            if (olen < 2 || i + olen > hlen) {
                break;
            }
            if ((type & OPT_COPIED) != 0) {
                System.arraycopy(src, srcOff + i, dst, dstOff + w, olen);
                w += olen;
            }
            i += olen;
        }
        while ((w & 3) != 0) {
            dst[dstOff + w++] = OPT_EOL;
        }
        return w;
    }

    public int version() {
        return (buf[off] & 0xff) >>> 4;
    }

    /** Header length in 32-bit words, as in the header. */
    public int ihl() {
        return buf[off] & 0xf;
    }

    /** Header length in bytes. */
    public int headerLength() {
        return (buf[off] & 0xf) << 2;
    }

    public int tos() {
        return buf[off + OFF_TOS] & 0xff;
    }

    public int totalLength() {
        return u16(buf, off + OFF_TOTAL_LENGTH);
    }

    public int id() {
        return u16(buf, off + OFF_ID);
    }

    /** The flags and fragment offset word as in the header. */
    public int fragWord() {
        return u16(buf, off + OFF_FRAG);
    }

    public boolean dontFragment() {
        return (fragWord() & FLAG_DF) != 0;
    }

    public boolean moreFragments() {
        return (fragWord() & FLAG_MF) != 0;
    }

    /** Fragment offset in bytes. */
    public int fragmentOffset() {
        return (fragWord() & OFFMASK) << 3;
    }

    /** True for any fragment: MF set or a non-zero offset. */
    public boolean isFragment() {
        return (fragWord() & (FLAG_MF | OFFMASK)) != 0;
    }

    public int ttl() {
        return buf[off + OFF_TTL] & 0xff;
    }

    public int protocol() {
        return buf[off + OFF_PROTOCOL] & 0xff;
    }

    public int checksum() {
        return u16(buf, off + OFF_CHECKSUM);
    }

    /** Source address bits. */
    public int src() {
        return u32(buf, off + OFF_SRC);
    }

    /** Destination address bits. */
    public int dst() {
        return u32(buf, off + OFF_DST);
    }

    /** Absolute offset of the options in the buffer. */
    public int optionsOffset() {
        return off + MIN_LENGTH;
    }

    public int optionsLength() {
        return headerLength() - MIN_LENGTH;
    }

    /** Absolute offset of the payload in the buffer. */
    public int payloadOffset() {
        return off + headerLength();
    }

    /** Payload bytes as the total length says. */
    public int payloadLength() {
        return totalLength() - headerLength();
    }

    /** True when the header checksum verifies. Needs a checked header. */
    public boolean checksumValid() {
        return Checksum.verify(buf, off, headerLength());
    }

    /** The checksum the header should carry. */
    public int computeChecksum() {
        int saved = checksum();
        setChecksum(0);
        int c = Checksum.compute(buf, off, headerLength());
        setChecksum(saved);
        return c;
    }

    /** Computes and stores the header checksum; returns this. */
    public Ipv4Header fillChecksum() {
        setChecksum(0);
        setChecksum(Checksum.compute(buf, off, headerLength()));
        return this;
    }

    /** Writes version 4 and the header length (a multiple of 4, 20..60 bytes). */
    public Ipv4Header setVersionAndHeaderLength(int hlen) {
        if (hlen < MIN_LENGTH || hlen > MAX_LENGTH || (hlen & 3) != 0) {
            throw new IllegalArgumentException("IPv4 header length " + hlen + " (expected 20..60, multiple of 4)");
        }
        buf[off] = (byte) (0x40 | hlen >>> 2);
        return this;
    }

    public Ipv4Header setTos(int tos) {
        buf[off + OFF_TOS] = (byte) tos;
        return this;
    }

    public Ipv4Header setTotalLength(int total) {
        put16(buf, off + OFF_TOTAL_LENGTH, total);
        return this;
    }

    public Ipv4Header setId(int id) {
        put16(buf, off + OFF_ID, id);
        return this;
    }

    /** Sets the flags/offset word: DF, MF and the offset in bytes (a multiple of 8). */
    public Ipv4Header setFragment(boolean df, boolean mf, int offsetBytes) {
        if ((offsetBytes & 7) != 0 || offsetBytes < 0 || offsetBytes >>> 3 > OFFMASK) {
            throw new IllegalArgumentException("fragment offset " + offsetBytes + " (expected a multiple of 8 below 65536)");
        }
        put16(buf, off + OFF_FRAG, (df ? FLAG_DF : 0) | (mf ? FLAG_MF : 0) | offsetBytes >>> 3);
        return this;
    }

    public Ipv4Header setFragWord(int word) {
        put16(buf, off + OFF_FRAG, word);
        return this;
    }

    public Ipv4Header setTtl(int ttl) {
        buf[off + OFF_TTL] = (byte) ttl;
        return this;
    }

    public Ipv4Header setProtocol(int proto) {
        buf[off + OFF_PROTOCOL] = (byte) proto;
        return this;
    }

    public Ipv4Header setChecksum(int sum) {
        put16(buf, off + OFF_CHECKSUM, sum);
        return this;
    }

    public Ipv4Header setSrc(int addr) {
        put32(buf, off + OFF_SRC, addr);
        return this;
    }

    public Ipv4Header setDst(int addr) {
        put32(buf, off + OFF_DST, addr);
        return this;
    }

    /**
     * Decrements the TTL and patches the checksum incrementally (RFC 1624), as a router
     * does. Returns the new TTL.
     */
    public int decrementTtl() {
        return decrementTtl(buf, off);
    }

    /** {@link #decrementTtl()} on raw bytes. */
    public static int decrementTtl(byte[] buf, int off) {
        int ttl = buf[off + OFF_TTL] & 0xff;
        int proto = buf[off + OFF_PROTOCOL] & 0xff;
        int oldWord = ttl << 8 | proto;
        int newTtl = (ttl - 1) & 0xff;
        buf[off + OFF_TTL] = (byte) newTtl;
        int sum = u16(buf, off + OFF_CHECKSUM);
        put16(buf, off + OFF_CHECKSUM, Checksum.adjust(sum, oldWord, newTtl << 8 | proto));
        return newTtl;
    }

    /**
     * Writes a complete 20-byte header (no options) with its checksum at {@code off}.
     *
     * @param fragWord flags and offset word (e.g. {@link #FLAG_DF})
     */
    public static void write(byte[] buf, int off, int tos, int totalLength, int id, int fragWord, int ttl, int proto,
            int src, int dst) {
        buf[off] = 0x45;
        buf[off + OFF_TOS] = (byte) tos;
        put16(buf, off + OFF_TOTAL_LENGTH, totalLength);
        put16(buf, off + OFF_ID, id);
        put16(buf, off + OFF_FRAG, fragWord);
        buf[off + OFF_TTL] = (byte) ttl;
        buf[off + OFF_PROTOCOL] = (byte) proto;
        put16(buf, off + OFF_CHECKSUM, 0);
        put32(buf, off + OFF_SRC, src);
        put32(buf, off + OFF_DST, dst);
        put16(buf, off + OFF_CHECKSUM, Checksum.compute(buf, off, MIN_LENGTH));
    }

    static int u16(byte[] b, int i) {
        return (b[i] & 0xff) << 8 | (b[i + 1] & 0xff);
    }

    static int u32(byte[] b, int i) {
        return (b[i] & 0xff) << 24 | (b[i + 1] & 0xff) << 16 | (b[i + 2] & 0xff) << 8 | (b[i + 3] & 0xff);
    }

    static void put16(byte[] b, int i, int v) {
        b[i] = (byte) (v >>> 8);
        b[i + 1] = (byte) v;
    }

    static void put32(byte[] b, int i, int v) {
        b[i] = (byte) (v >>> 24);
        b[i + 1] = (byte) (v >>> 16);
        b[i + 2] = (byte) (v >>> 8);
        b[i + 3] = (byte) v;
    }

    @Override
    public String toString() {
        if (check() != WireStatus.OK) {
            return "Ipv4Header[" + check() + "]";
        }
        return "Ipv4Header[" + addr(src()) + " > " + addr(dst()) + " proto " + protocol() + " len " + totalLength()
                + " id " + id() + (dontFragment() ? " DF" : "") + (moreFragments() ? " MF" : "")
                + (fragmentOffset() != 0 ? " off " + fragmentOffset() : "") + " ttl " + ttl() + "]";
    }

    static String addr(int a) {
        return (a >>> 24) + "." + (a >>> 16 & 0xff) + "." + (a >>> 8 & 0xff) + "." + (a & 0xff);
    }
}
