package org.protosw.ib.demo.internal.verbs;

/**
 * A send work request ({@code struct ibv_send_wr}) and what the requester keeps of it while
 * it is outstanding: the PSNs it was given when first transmitted, and for an RDMA WRITE
 * the place in the peer's memory region it goes to.
 */
final class SendWr {
    static final int SEND = 0;
    static final int RDMA_WRITE_IMM = 1;

    final long wrId;
    final int opcode;
    final byte[] data;
    final int off;
    final int len;
    final int imm;
    final boolean hasImm;

    /** PSN of its first packet, assigned when first transmitted. */
    int firstPsn;
    int npkts;
    /** RDMA WRITE: offset in the peer's region, and the region bytes it holds until acked. */
    long remoteOffset;
    int ringCharge;

    SendWr(long wrId, int opcode, byte[] data, int off, int len, int imm, boolean hasImm) {
        this.wrId = wrId;
        this.opcode = opcode;
        this.data = data;
        this.off = off;
        this.len = len;
        this.imm = imm;
        this.hasImm = hasImm;
    }

    int lastPsn() {
        return Psn.add(firstPsn, npkts - 1);
    }

    boolean covers(int psn) {
        int d = Psn.diff(psn, firstPsn);
        return d >= 0 && d < npkts;
    }
}
