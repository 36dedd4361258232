package org.protosw.ib.demo.internal.verbs;

/**
 * A completion queue entry ({@code struct ibv_wc}). Receive completions carry the message
 * (this model has no registered user memory: the bytes come with the completion).
 *
 * @param wrId the work request's ID (receives: the message number, MSN)
 * @param opcode {@link #SEND}, {@link #RDMA_WRITE}, {@link #RECV} or {@link #RECV_RDMA_WITH_IMM}
 * @param data a received message, or null
 * @param imm immediate data of a receive with immediate
 */
public record WorkCompletion(long wrId, int opcode, WcStatus status, int byteLen, byte[] data, int imm, boolean hasImm) {
    public static final int SEND = 0;
    public static final int RDMA_WRITE = 1;
    public static final int RECV = 128;
    public static final int RECV_RDMA_WITH_IMM = 129;
}
