package org.protosw.ib.demo.internal.wire;

/**
 * A view of the Base Sockets Direct Header that starts every message of the SDP-like byte
 * stream (IBTA Vol. 1, Annex A4 "Sockets Direct Protocol", A4.5.1), 16 bytes:
 *
 * <pre>
 *  0: MID (0xFF data, 0x02 disconnect)   1: flags   2-3: bufs (receive buffers posted)
 *  4-7: len (the whole message, this header included)
 *  8-11: MSeq (this data message's number)   12-15: MSeqAck (the last data message received)
 * </pre>
 *
 * The sender's credits are {@code bufs - (MSeq - MSeqAck)} of the peer's latest header, as in
 * SDP. A header-only data message with {@link #FLAG_UPDATE} only moves credits: it takes no
 * receive buffer and no MSeq.
 */
public final class Bsdh {
    public static final int LENGTH = 16;
    public static final int MID_DATA = 0xff;
    public static final int MID_DISCONNECT = 0x02;
    /** A credit update (no payload, no buffer, no MSeq of its own). */
    public static final int FLAG_UPDATE = 0x01;

    private byte[] buf;
    private int off;

    public Bsdh wrap(byte[] buf, int off) {
        if (off < 0 || off > buf.length - LENGTH) {
            throw new IndexOutOfBoundsException("BSDH at " + off + " in " + buf.length);
        }
        this.buf = buf;
        this.off = off;
        return this;
    }

    public int mid() {
        return Be.u8(buf, off);
    }

    public int flags() {
        return Be.u8(buf, off + 1);
    }

    public int bufs() {
        return Be.u16(buf, off + 2);
    }

    public long len() {
        return Be.i32(buf, off + 4) & 0xffffffffL;
    }

    public int mseq() {
        return Be.i32(buf, off + 8);
    }

    public int mseqAck() {
        return Be.i32(buf, off + 12);
    }

    /** Whether a message of {@code length} bytes is a header this stream understands. */
    public static boolean valid(byte[] msg, int length) {
        if (length < LENGTH) {
            return false;
        }
        int mid = Be.u8(msg, 0);
        return (mid == MID_DATA || mid == MID_DISCONNECT) && (Be.i32(msg, 4) & 0xffffffffL) == length;
    }

    public Bsdh write(int mid, int flags, int bufs, int len, int mseq, int mseqAck) {
        buf[off] = (byte) mid;
        buf[off + 1] = (byte) flags;
        Be.put16(buf, off + 2, Math.min(bufs, 0xffff));
        Be.put32(buf, off + 4, len);
        Be.put32(buf, off + 8, mseq);
        Be.put32(buf, off + 12, mseqAck);
        return this;
    }
}
