package org.protosw.ib.demo.internal.wire;

/**
 * A view of the Base Transport Header (IBTA Vol. 1, 9.2), 12 bytes:
 *
 * <pre>
 *  0: OpCode          1: SE|M|PadCnt(2)|TVer(4)   2-3: P_Key
 *  4: resv8a (F/B)    5-7: DestQP
 *  8: A|resv7         9-11: PSN
 * </pre>
 *
 * Does not validate: {@link RocePacket#check()} has made sure 12 bytes are there.
 */
public final class Bth {
    public static final int LENGTH = 12;
    public static final int OFF_OPCODE = 0;
    public static final int OFF_FLAGS = 1;
    public static final int OFF_PKEY = 2;
    public static final int OFF_RESV8A = 4;
    public static final int OFF_DESTQP = 5;
    public static final int OFF_ACKREQ = 8;
    public static final int OFF_PSN = 9;

    /** The default partition key (full member), what RoCE uses. */
    public static final int DEFAULT_PKEY = 0xffff;

    private byte[] buf;
    private int off;

    public Bth wrap(byte[] buf, int off) {
        if (off < 0 || off > buf.length - LENGTH) {
            throw new IndexOutOfBoundsException("BTH at " + off + " in " + buf.length);
        }
        this.buf = buf;
        this.off = off;
        return this;
    }

    public int opcode() {
        return Be.u8(buf, off + OFF_OPCODE);
    }

    public boolean solicited() {
        return (buf[off + OFF_FLAGS] & 0x80) != 0;
    }

    public int padCount() {
        return (buf[off + OFF_FLAGS] >>> 4) & 0x3;
    }

    public int tver() {
        return buf[off + OFF_FLAGS] & 0xf;
    }

    public int pkey() {
        return Be.u16(buf, off + OFF_PKEY);
    }

    public int destQp() {
        return Be.u24(buf, off + OFF_DESTQP);
    }

    public boolean ackReq() {
        return (buf[off + OFF_ACKREQ] & 0x80) != 0;
    }

    public int psn() {
        return Be.u24(buf, off + OFF_PSN);
    }

    /**
     * Writes a whole BTH: MigReq set (as every RoCE sender does, since there is no APM),
     * TVer 0, resv8a and resv7 zero.
     */
    public Bth write(int opcode, boolean solicited, int padCount, int pkey, int destQp, boolean ackReq, int psn) {
        buf[off + OFF_OPCODE] = (byte) opcode;
        buf[off + OFF_FLAGS] = (byte) ((solicited ? 0x80 : 0) | 0x40 | (padCount & 3) << 4);
        Be.put16(buf, off + OFF_PKEY, pkey);
        buf[off + OFF_RESV8A] = 0;
        Be.put24(buf, off + OFF_DESTQP, destQp);
        buf[off + OFF_ACKREQ] = (byte) (ackReq ? 0x80 : 0);
        Be.put24(buf, off + OFF_PSN, psn);
        return this;
    }

    @Override
    public String toString() {
        return "BTH[" + IbOpcode.name(opcode()) + " qp " + destQp() + " psn " + psn() + (ackReq() ? " A" : "") + "]";
    }
}
