package org.protosw.ib.demo.internal.wire;

/**
 * A view of a Management Datagram of the Communication Manager class (IBTA Vol. 1, 13.4 MAD
 * format, 12.6 CM messages): a 24-byte common header and 232 bytes of attribute data. The
 * CM messages (REQ, REP, RTU, REJ, DREQ, DREP) keep their fields at the IBTA offsets, so a
 * dissector reads them as the real thing; fields this stack does not use are left zero.
 *
 * <pre>
 *  0: BaseVersion 1   1: MgmtClass 0x07 (CM)   2: ClassVersion 2   3: R|Method (Send 0x03)
 *  4-5: Status        6-7: ClassSpecific       8-15: TransactionID
 * 16-17: AttributeID 18-19: reserved          20-23: AttributeModifier
 * 24..255: data
 * </pre>
 */
public final class Mad {
    public static final int LENGTH = 256;
    public static final int HEADER = 24;
    public static final int DATA = LENGTH - HEADER;

    public static final int BASE_VERSION = 1;
    public static final int CLASS_CM = 0x07;
    public static final int CM_CLASS_VERSION = 2;
    public static final int METHOD_SEND = 0x03;

    public static final int ATTR_REQ = 0x0010;
    public static final int ATTR_REJ = 0x0012;
    public static final int ATTR_REP = 0x0013;
    public static final int ATTR_RTU = 0x0014;
    public static final int ATTR_DREQ = 0x0015;
    public static final int ATTR_DREP = 0x0016;

    // field offsets in the data, per message (IBTA 12.6.5 ff.)
    public static final int LOCAL_COMM_ID = 0;
    public static final int REMOTE_COMM_ID = 4;
    public static final int REQ_SERVICE_ID = 8;
    public static final int REQ_LOCAL_CA_GUID = 16;
    public static final int REQ_LOCAL_QPN = 32;
    public static final int REQ_STARTING_PSN = 44;
    public static final int REQ_RETRY = 47;
    public static final int REQ_PKEY = 48;
    public static final int REQ_MTU_RNR = 50;
    public static final int REQ_PRIMARY_LOCAL_GID = 56;
    public static final int REQ_PRIMARY_REMOTE_GID = 72;
    public static final int REQ_PRIVATE = 132;
    public static final int REP_LOCAL_QPN = 12;
    public static final int REP_STARTING_PSN = 20;
    public static final int REP_RNR = 27;
    public static final int REP_LOCAL_CA_GUID = 28;
    public static final int REP_PRIVATE = 36;
    public static final int REJ_REASON = 10;
    public static final int DREQ_REMOTE_QPN = 8;
    public static final int DREQ_PRIVATE = 12;

    /** REJ reason 8: no listener for the service ID (Linux maps it to ECONNREFUSED). */
    public static final int REJ_INVALID_SERVICE_ID = 8;
    /** REJ reason 28: the consumer refused (listen queue full). */
    public static final int REJ_CONSUMER = 28;

    private byte[] buf;
    private int off;

    public Mad wrap(byte[] buf, int off) {
        if (off < 0 || off > buf.length - LENGTH) {
            throw new IndexOutOfBoundsException("MAD at " + off + " in " + buf.length);
        }
        this.buf = buf;
        this.off = off;
        return this;
    }

    /** OK for a CM Send this stack understands; BAD_MAD for any other class, version, method or attribute. */
    public IbWireStatus check() {
        if (Be.u8(buf, off) != BASE_VERSION || Be.u8(buf, off + 1) != CLASS_CM || Be.u8(buf, off + 2) != CM_CLASS_VERSION
                || Be.u8(buf, off + 3) != METHOD_SEND) {
            return IbWireStatus.BAD_MAD;
        }
        return switch (attribute()) {
            case ATTR_REQ, ATTR_REJ, ATTR_REP, ATTR_RTU, ATTR_DREQ, ATTR_DREP -> IbWireStatus.OK;
            default -> IbWireStatus.BAD_MAD;
        };
    }

    /** Writes the common header and zeroes the data. */
    public Mad writeHeader(int attribute, long transactionId) {
        java.util.Arrays.fill(buf, off, off + LENGTH, (byte) 0);
        buf[off] = BASE_VERSION;
        buf[off + 1] = CLASS_CM;
        buf[off + 2] = CM_CLASS_VERSION;
        buf[off + 3] = METHOD_SEND;
        Be.put64(buf, off + 8, transactionId);
        Be.put16(buf, off + 16, attribute);
        return this;
    }

    public int attribute() {
        return Be.u16(buf, off + 16);
    }

    public long transactionId() {
        return Be.i64(buf, off + 8);
    }

    public int u8(int field) {
        return Be.u8(buf, off + HEADER + field);
    }

    public int u16(int field) {
        return Be.u16(buf, off + HEADER + field);
    }

    public int u24(int field) {
        return Be.u24(buf, off + HEADER + field);
    }

    public int i32(int field) {
        return Be.i32(buf, off + HEADER + field);
    }

    public long i64(int field) {
        return Be.i64(buf, off + HEADER + field);
    }

    public Mad put8(int field, int v) {
        buf[off + HEADER + field] = (byte) v;
        return this;
    }

    public Mad put16(int field, int v) {
        Be.put16(buf, off + HEADER + field, v);
        return this;
    }

    public Mad put24(int field, int v) {
        Be.put24(buf, off + HEADER + field, v);
        return this;
    }

    public Mad put32(int field, int v) {
        Be.put32(buf, off + HEADER + field, v);
        return this;
    }

    public Mad put64(int field, long v) {
        Be.put64(buf, off + HEADER + field, v);
        return this;
    }

    /** Copies 16 bytes (a GID) into a field. */
    public Mad putGid(int field, byte[] gid16) {
        System.arraycopy(gid16, 0, buf, off + HEADER + field, 16);
        return this;
    }

    /** Reads a 16-byte GID field as two longs (high, low) into {@code out}. */
    public void gid(int field, long[] out) {
        out[0] = Be.i64(buf, off + HEADER + field);
        out[1] = Be.i64(buf, off + HEADER + field + 8);
    }

    public static String attributeName(int attr) {
        return switch (attr) {
            case ATTR_REQ -> "REQ";
            case ATTR_REJ -> "REJ";
            case ATTR_REP -> "REP";
            case ATTR_RTU -> "RTU";
            case ATTR_DREQ -> "DREQ";
            case ATTR_DREP -> "DREP";
            default -> String.format("attr%#06x", attr);
        };
    }
}
