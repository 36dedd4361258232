package org.protosw.ib.demo.internal.wire;

/**
 * The verdict of a RoCEv2 packet view's {@code check()}, in the manner of
 * {@code org.protosw.wire.WireStatus}: {@link #OK} or what is wrong. The statistics count
 * each one ({@code ib:stats}).
 */
public enum IbWireStatus {
    OK,
    /** Shorter than the headers its opcode needs, or than BTH + ICRC. */
    TRUNCATED,
    /** BTH transport header version is not 0. */
    BAD_VERSION,
    /** An opcode this stack does not know. */
    BAD_OPCODE,
    /** The pad count leaves a negative payload, or the packet is not a multiple of 4 bytes. */
    BAD_PAD,
    /** An AETH syndrome the IBTA reserves (bit 7 set, kind 0b10, NAK code above 4). */
    BAD_AETH,
    /** A payload where the opcode allows none (ACK), or a UD packet that is not one MAD. */
    BAD_LENGTH,
    /** The invariant CRC does not verify. */
    BAD_ICRC,
    /** A MAD that is not 256 bytes or not of the CM class version this stack speaks. */
    BAD_MAD;

    public boolean ok() {
        return this == OK;
    }
}
