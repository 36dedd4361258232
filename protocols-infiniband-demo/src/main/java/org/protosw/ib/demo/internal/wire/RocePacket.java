package org.protosw.ib.demo.internal.wire;

/**
 * A view of one RoCEv2 packet as UDP carries it to port 4791: BTH, the extended headers its
 * opcode needs (RETH, AETH, DETH, ImmDt, in IBTA order), the payload, 0-3 pad bytes and the
 * 4-byte ICRC. Parsing never allocates, never trusts a field it has not checked against the
 * bytes present, and {@link #check()} answers what is wrong instead of throwing, as the
 * views of {@code org.protosw.wire} do.
 */
public final class RocePacket {
    /** UDP destination port of RoCEv2 (IANA). */
    public static final int UDP_PORT = 4791;
    public static final int ICRC_LENGTH = 4;
    /** The smallest packet: a BTH and the ICRC. */
    public static final int MIN_LENGTH = Bth.LENGTH + ICRC_LENGTH;

    private final Bth bth = new Bth();
    private final Reth reth = new Reth();
    private final Aeth aeth = new Aeth();
    private final Deth deth = new Deth();
    private byte[] buf;
    private int off;
    private int len;

    /** Points the view at {@code buf[off .. off+len)}; returns this. Does not validate. */
    public RocePacket wrap(byte[] buf, int off, int len) {
        if (off < 0 || len < 0 || off > buf.length - len) {
            throw new IndexOutOfBoundsException("off " + off + " len " + len + " in " + buf.length);
        }
        this.buf = buf;
        this.off = off;
        this.len = len;
        return this;
    }

    /**
     * OK when every accessor is safe: the BTH and ICRC fit, the length is a multiple of 4,
     * TVer is 0, the opcode is known, its extended headers fit, the pad count leaves a
     * payload of zero or more bytes, an AETH syndrome is defined, an ACK has no payload.
     * The ICRC itself is checked by {@link Icrc}, which needs the IP and UDP headers.
     */
    public IbWireStatus check() {
        if (len < MIN_LENGTH) {
            return IbWireStatus.TRUNCATED;
        }
        if ((len & 3) != 0) {
            return IbWireStatus.BAD_PAD;
        }
        bth.wrap(buf, off);
        if (bth.tver() != 0) {
            return IbWireStatus.BAD_VERSION;
        }
        int op = bth.opcode();
        if (!IbOpcode.known(op)) {
            return IbWireStatus.BAD_OPCODE;
        }
        int hdrs = Bth.LENGTH + IbOpcode.extLength(op);
        if (len < hdrs + ICRC_LENGTH) {
            return IbWireStatus.TRUNCATED;
        }
        if (len - hdrs - ICRC_LENGTH - bth.padCount() < 0) {
            return IbWireStatus.BAD_PAD;
        }
        if (IbOpcode.hasAeth(op)) {
            if (!Aeth.validSyndrome(Be.u8(buf, off + Bth.LENGTH))) {
                return IbWireStatus.BAD_AETH;
            }
            if (payloadLength() != 0) {
                return IbWireStatus.BAD_LENGTH;
            }
        }
        if (IbOpcode.hasDeth(op) && payloadLength() != Mad.LENGTH) {
            return IbWireStatus.BAD_LENGTH;
        }
        return IbWireStatus.OK;
    }

    /** The array the view is over (offsets given by the view are absolute in it). */
    public byte[] array() {
        return buf;
    }

    public Bth bth() {
        return bth.wrap(buf, off);
    }

    /** The RETH (after a check saying OK, and only for opcodes that have one). */
    public Reth reth() {
        return reth.wrap(buf, off + Bth.LENGTH);
    }

    public Aeth aeth() {
        return aeth.wrap(buf, off + Bth.LENGTH);
    }

    public Deth deth() {
        return deth.wrap(buf, off + Bth.LENGTH);
    }

    /** The immediate data (opcodes with ImmDt): it follows the RETH when both are there. */
    public int imm() {
        int op = bth().opcode();
        return Be.i32(buf, off + Bth.LENGTH + (IbOpcode.hasReth(op) ? Reth.LENGTH : 0));
    }

    /** Absolute offset of the payload. */
    public int payloadOffset() {
        return off + Bth.LENGTH + IbOpcode.extLength(bth().opcode());
    }

    public int payloadLength() {
        return len - (payloadOffset() - off) - ICRC_LENGTH - bth().padCount();
    }

    /** Absolute offset of the ICRC (the last four bytes). */
    public int icrcOffset() {
        return off + len - ICRC_LENGTH;
    }

    public int length() {
        return len;
    }

    /** The packet length for {@code ext} bytes of extended headers and {@code payload} bytes. */
    public static int packetLength(int ext, int payload) {
        return Bth.LENGTH + ext + payload + pad(payload) + ICRC_LENGTH;
    }

    /** Pad bytes that bring a payload to a multiple of four. */
    public static int pad(int payload) {
        return (-payload) & 3;
    }

    @Override
    public String toString() {
        return len < MIN_LENGTH ? "RocePacket[TRUNCATED]" : "RocePacket[" + bth() + " " + len + " bytes]";
    }
}
