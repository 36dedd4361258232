package org.protosw.spi;

import java.util.Arrays;

/**
 * A packet buffer in the manner of an mbuf: bytes in one array with room in front for
 * headers, so each layer prepends its header without copying the payload. The data are
 * {@code array()[offset() .. offset() + length())}.
 *
 * <p>A packet has one owner at a time: whoever passes it on (to {@code ipOutput}, to a
 * socket buffer, to an interface) must not touch it afterwards. Loopback and in-process
 * links pass the same object along.
 */
public final class Packet {
    /** Room reserved in front of new packets: IPv4 (60) + TCP (60) with margin. */
    public static final int DEFAULT_HEADROOM = 128;

    /** Received as a link-level broadcast. */
    public static final int M_BCAST = 0x1;
    /** Received as multicast. */
    public static final int M_MCAST = 0x2;
    /** Looped back by the stack itself. */
    public static final int M_LOOP = 0x4;
    /** Checksums were verified (or need not be): set by links that cannot corrupt data. */
    public static final int M_CSUM_OK = 0x8;
    /**
     * Outbound: the TCP or UDP checksum field is not filled in ({@code CSUM_DELAY_DATA}). A
     * transport may leave it so when the route goes out of the loopback interface, which marks
     * what it loops {@link #M_CSUM_OK}; the core fills it in before anything that needs valid
     * bytes sees the packet (a capture, a pipe, a packet filter, fragmentation, another interface).
     */
    public static final int M_CSUM_PENDING = 0x10;

    private byte[] buf;
    private int off;
    private int len;
    private int flags;
    private IfNet rcvif;
    private Object tag;

    private Packet(byte[] buf, int off, int len) {
        this.buf = buf;
        this.off = off;
        this.len = len;
    }

    /** A packet of {@code len} zero bytes after {@code headroom} bytes of room. */
    public static Packet allocate(int headroom, int len) {
        if (headroom < 0 || len < 0) {
            throw new IllegalArgumentException("negative size");
        }
        return new Packet(new byte[headroom + len], headroom, len);
    }

    /** A packet of {@code len} bytes with the default header room. */
    public static Packet allocate(int len) {
        return allocate(DEFAULT_HEADROOM, len);
    }

    /** Wraps bytes without copying; the packet owns the array from now on. */
    public static Packet wrap(byte[] buf, int off, int len) {
        if (off < 0 || len < 0 || off + len > buf.length) {
            throw new IndexOutOfBoundsException("off " + off + " len " + len + " in " + buf.length);
        }
        return new Packet(buf, off, len);
    }

    public byte[] array() {
        return buf;
    }

    public int offset() {
        return off;
    }

    public int length() {
        return len;
    }

    /** Room left in front of the data. */
    public int headroom() {
        return off;
    }

    /**
     * Makes room for {@code n} bytes in front (for a header) and returns the new offset.
     * Reallocates only when the headroom is too small.
     */
    public int prepend(int n) {
        if (n > off) {
            byte[] nb = new byte[DEFAULT_HEADROOM + n + len];
            System.arraycopy(buf, off, nb, DEFAULT_HEADROOM + n, len);
            buf = nb;
            off = DEFAULT_HEADROOM + n;
        }
        off -= n;
        len += n;
        return off;
    }

    /** {@code m_adj}: drops {@code n} bytes from the front, or {@code -n} from the tail. */
    public void adj(int n) {
        if (n >= 0) {
            if (n > len) {
                throw new IndexOutOfBoundsException("adj " + n + " of " + len);
            }
            off += n;
            len -= n;
        } else {
            if (-n > len) {
                throw new IndexOutOfBoundsException("adj " + n + " of " + len);
            }
            len += n;
        }
    }

    /** Cuts or extends (within the array) the data to {@code newLen} bytes. */
    public void setLength(int newLen) {
        if (newLen < 0 || off + newLen > buf.length) {
            if (newLen >= 0) {
                buf = Arrays.copyOf(buf, off + newLen);
            } else {
                throw new IndexOutOfBoundsException("length " + newLen);
            }
        }
        len = newLen;
    }

    /** A deep copy with the same header room, flags, interface and tag. */
    public Packet copy() {
        Packet p = new Packet(Arrays.copyOf(buf, buf.length), off, len);
        p.flags = flags;
        p.rcvif = rcvif;
        p.tag = tag;
        return p;
    }

    /** The data as a new array. */
    public byte[] toByteArray() {
        return Arrays.copyOfRange(buf, off, off + len);
    }

    public int flags() {
        return flags;
    }

    public void setFlags(int flags) {
        this.flags = flags;
    }

    public void addFlags(int f) {
        this.flags |= f;
    }

    /** The interface it arrived on ({@code m_pkthdr.rcvif}), or null for locally made packets. */
    public IfNet rcvif() {
        return rcvif;
    }

    public void setRcvif(IfNet rcvif) {
        this.rcvif = rcvif;
    }

    /** A module's note travelling with the packet (an mbuf tag), e.g. a divert rule number. */
    public Object tag() {
        return tag;
    }

    public void setTag(Object tag) {
        this.tag = tag;
    }

    /** Unsigned byte at {@code i} bytes into the data. */
    public int get8(int i) {
        return buf[off + i] & 0xff;
    }

    /** Big-endian 16-bit value at {@code i}. */
    public int get16(int i) {
        int p = off + i;
        return (buf[p] & 0xff) << 8 | (buf[p + 1] & 0xff);
    }

    /** Big-endian 32-bit value at {@code i}. */
    public int get32(int i) {
        int p = off + i;
        return (buf[p] & 0xff) << 24 | (buf[p + 1] & 0xff) << 16 | (buf[p + 2] & 0xff) << 8 | (buf[p + 3] & 0xff);
    }

    public void set8(int i, int v) {
        buf[off + i] = (byte) v;
    }

    public void set16(int i, int v) {
        int p = off + i;
        buf[p] = (byte) (v >>> 8);
        buf[p + 1] = (byte) v;
    }

    public void set32(int i, int v) {
        int p = off + i;
        buf[p] = (byte) (v >>> 24);
        buf[p + 1] = (byte) (v >>> 16);
        buf[p + 2] = (byte) (v >>> 8);
        buf[p + 3] = (byte) v;
    }

    @Override
    public String toString() {
        return "Packet[" + len + " bytes" + (rcvif != null ? " from " + rcvif.name() : "") + "]";
    }
}
