package org.protosw.ib.demo.internal.verbs;

/**
 * The attributes new queue pairs start with (what {@code ibv_modify_qp} would be given, and
 * the CM's parameters), set from the {@code net.ib.*} tunables. Read when a QP is created.
 */
public final class IbConfig {
    /** Path MTU in bytes (IB MTU 1024: with IPv4, UDP, BTH, RETH it stays well under 1500). */
    public volatile int mtu = 1024;
    /** Local ACK timeout code: 4.096 us * 2^code (14: 67 ms, the IBTA's usual default). */
    public volatile int timeoutCode = 14;
    /** Retransmissions on timeout before the QP fails (retry_cnt, 0..7). */
    public volatile int retryCount = 7;
    /** RNR NAK retries before the QP fails (rnr_retry, 0..7; 7 means forever). */
    public volatile int rnrRetry = 7;
    /** The RNR NAK timer code a responder asks for (min_rnr_timer, 0..31; 12: 0.64 ms). */
    public volatile int minRnrTimer = 12;
    /** Packets in flight a requester allows itself. */
    public volatile int window = 128;
    /** Every this many packets the requester asks for an ACK (besides each message's last). */
    public volatile int ackReqEvery = 16;
    /** Messages longer than this go as RDMA WRITE with immediate into the peer's region. */
    public volatile int rdmaThreshold = 16 * 1024;
    /** Bytes of the memory region each QP offers its peer for RDMA WRITE. */
    public volatile int regionBytes = 1024 * 1024;
    /** CM: milliseconds before a REQ, REP or DREQ is sent again, and how many times. */
    public volatile int cmTimeoutMillis = 200;
    public volatile int cmRetries = 15;

    /** The local ACK timeout in microseconds. */
    public static long timeoutMicros(int code) {
        return code == 0 ? Long.MAX_VALUE : (4096L << code) / 1000;
    }
}
