package org.protosw.ib.demo.internal.wire;

/**
 * A view of the ACK Extended Transport Header (IBTA Vol. 1, 9.3.5): syndrome (1), MSN (3).
 * The syndrome's top bits say what it is: {@code 0b00} ACK (low five bits: credits),
 * {@code 0b01} RNR NAK (low five: the RNR timer code), {@code 0b11} NAK (low five: the NAK
 * code: 0 PSN sequence error, 1 invalid request, 2 remote access error, 3 remote
 * operational error). {@code 0b10} is reserved and answered as malformed.
 */
public final class Aeth {
    public static final int LENGTH = 4;

    public static final int KIND_ACK = 0;
    public static final int KIND_RNR_NAK = 1;
    public static final int KIND_RESERVED = 2;
    public static final int KIND_NAK = 3;

    public static final int NAK_PSN_SEQ_ERROR = 0;
    public static final int NAK_INVALID_REQUEST = 1;
    public static final int NAK_REMOTE_ACCESS = 2;
    public static final int NAK_REMOTE_OP = 3;

    /** Credit count 0b11111: end-to-end credits are not used. */
    public static final int CREDITS_INVALID = 0x1f;

    private byte[] buf;
    private int off;

    public Aeth wrap(byte[] buf, int off) {
        if (off < 0 || off > buf.length - LENGTH) {
            throw new IndexOutOfBoundsException("AETH at " + off + " in " + buf.length);
        }
        this.buf = buf;
        this.off = off;
        return this;
    }

    public int syndrome() {
        return Be.u8(buf, off);
    }

    /** {@link #KIND_ACK}, {@link #KIND_RNR_NAK}, {@link #KIND_NAK} or {@link #KIND_RESERVED}. */
    public int kind() {
        return (syndrome() >>> 5) & 0x3;
    }

    /** Credits, RNR timer code or NAK code, by {@link #kind()}. */
    public int value() {
        return syndrome() & 0x1f;
    }

    public int msn() {
        return Be.u24(buf, off + 1);
    }

    public Aeth write(int kind, int value, int msn) {
        buf[off] = (byte) ((kind & 3) << 5 | (value & 0x1f));
        Be.put24(buf, off + 1, msn);
        return this;
    }

    /** Whether a syndrome is one the IBTA defines (bit 7 clear, kind not reserved, NAK code 0..4). */
    public static boolean validSyndrome(int syndrome) {
        int kind = (syndrome >>> 5) & 3;
        if ((syndrome & 0x80) != 0) {
            return false;
        }
        return kind != KIND_RESERVED && (kind != KIND_NAK || (syndrome & 0x1f) <= 4);
    }

    /**
     * The RNR NAK timer in microseconds for a 5-bit code (IBTA table 45): 0 is 655.36 ms,
     * 1 is 0.01 ms, and the codes grow roughly geometrically to 31, 491.52 ms.
     */
    public static long rnrTimerMicros(int code) {
        return RNR_MICROS[code & 0x1f];
    }

    private static final long[] RNR_MICROS = {
        655_360, 10, 20, 30, 40, 60, 80, 120, 160, 240, 320, 480, 640, 960, 1_280, 1_920,
        2_560, 3_840, 5_120, 7_680, 10_240, 15_360, 20_480, 30_720, 40_960, 61_440, 81_920,
        122_880, 163_840, 245_760, 327_680, 491_520,
    };
}
