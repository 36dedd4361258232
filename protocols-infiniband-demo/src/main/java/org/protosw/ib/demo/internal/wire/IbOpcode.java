package org.protosw.ib.demo.internal.wire;

/**
 * The BTH opcodes this stack speaks (IBTA Vol. 1, 9.2 "Base Transport Header", table 38) and
 * which extended headers each one carries. The top three bits are the transport (000 RC,
 * 011 UD), the low five the operation.
 */
public final class IbOpcode {
    private IbOpcode() {
    }

    public static final int RC_SEND_FIRST = 0x00;
    public static final int RC_SEND_MIDDLE = 0x01;
    public static final int RC_SEND_LAST = 0x02;
    public static final int RC_SEND_LAST_IMM = 0x03;
    public static final int RC_SEND_ONLY = 0x04;
    public static final int RC_SEND_ONLY_IMM = 0x05;
    public static final int RC_RDMA_WRITE_FIRST = 0x06;
    public static final int RC_RDMA_WRITE_MIDDLE = 0x07;
    public static final int RC_RDMA_WRITE_LAST = 0x08;
    public static final int RC_RDMA_WRITE_LAST_IMM = 0x09;
    public static final int RC_RDMA_WRITE_ONLY = 0x0a;
    public static final int RC_RDMA_WRITE_ONLY_IMM = 0x0b;
    public static final int RC_ACK = 0x11;
    public static final int UD_SEND_ONLY = 0x64;

    /** True for the opcodes above; anything else is answered as malformed. */
    public static boolean known(int op) {
        return (op >= RC_SEND_FIRST && op <= RC_RDMA_WRITE_ONLY_IMM) || op == RC_ACK || op == UD_SEND_ONLY;
    }

    public static boolean isRc(int op) {
        return (op & 0xe0) == 0;
    }

    public static boolean hasReth(int op) {
        return op == RC_RDMA_WRITE_FIRST || op == RC_RDMA_WRITE_ONLY || op == RC_RDMA_WRITE_ONLY_IMM;
    }

    public static boolean hasAeth(int op) {
        return op == RC_ACK;
    }

    public static boolean hasDeth(int op) {
        return op == UD_SEND_ONLY;
    }

    public static boolean hasImm(int op) {
        return op == RC_SEND_LAST_IMM || op == RC_SEND_ONLY_IMM || op == RC_RDMA_WRITE_LAST_IMM
                || op == RC_RDMA_WRITE_ONLY_IMM;
    }

    public static boolean isSend(int op) {
        return op >= RC_SEND_FIRST && op <= RC_SEND_ONLY_IMM;
    }

    public static boolean isWrite(int op) {
        return op >= RC_RDMA_WRITE_FIRST && op <= RC_RDMA_WRITE_ONLY_IMM;
    }

    /** The packet starts a message (FIRST or ONLY). */
    public static boolean isFirst(int op) {
        return op == RC_SEND_FIRST || op == RC_SEND_ONLY || op == RC_SEND_ONLY_IMM || op == RC_RDMA_WRITE_FIRST
                || op == RC_RDMA_WRITE_ONLY || op == RC_RDMA_WRITE_ONLY_IMM;
    }

    /** The packet ends a message (LAST or ONLY). */
    public static boolean isLast(int op) {
        return op == RC_SEND_LAST || op == RC_SEND_LAST_IMM || op == RC_SEND_ONLY || op == RC_SEND_ONLY_IMM
                || op == RC_RDMA_WRITE_LAST || op == RC_RDMA_WRITE_LAST_IMM || op == RC_RDMA_WRITE_ONLY
                || op == RC_RDMA_WRITE_ONLY_IMM;
    }

    /** Bytes of extended transport headers after the BTH. */
    public static int extLength(int op) {
        return (hasReth(op) ? Reth.LENGTH : 0) + (hasAeth(op) ? Aeth.LENGTH : 0) + (hasDeth(op) ? Deth.LENGTH : 0)
                + (hasImm(op) ? 4 : 0);
    }

    public static String name(int op) {
        return switch (op) {
            case RC_SEND_FIRST -> "SEND_FIRST";
            case RC_SEND_MIDDLE -> "SEND_MIDDLE";
            case RC_SEND_LAST -> "SEND_LAST";
            case RC_SEND_LAST_IMM -> "SEND_LAST_IMM";
            case RC_SEND_ONLY -> "SEND_ONLY";
            case RC_SEND_ONLY_IMM -> "SEND_ONLY_IMM";
            case RC_RDMA_WRITE_FIRST -> "RDMA_WRITE_FIRST";
            case RC_RDMA_WRITE_MIDDLE -> "RDMA_WRITE_MIDDLE";
            case RC_RDMA_WRITE_LAST -> "RDMA_WRITE_LAST";
            case RC_RDMA_WRITE_LAST_IMM -> "RDMA_WRITE_LAST_IMM";
            case RC_RDMA_WRITE_ONLY -> "RDMA_WRITE_ONLY";
            case RC_RDMA_WRITE_ONLY_IMM -> "RDMA_WRITE_ONLY_IMM";
            case RC_ACK -> "ACK";
            case UD_SEND_ONLY -> "UD_SEND_ONLY";
            default -> String.format("op%#04x", op);
        };
    }
}
