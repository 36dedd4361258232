package org.protosw.tcp.cc;

import org.osgi.annotation.versioning.ConsumerType;

/**
 * A congestion control algorithm ({@code struct cc_algo}). One instance serves many
 * connections: per-connection state goes in {@link CcVars#setData}. Every hook runs under
 * the connection's lock and must be short and must not block.
 */
@ConsumerType
public interface CongestionControl {
    /** The name shown to administrators and used to pick it, e.g. {@code newreno}. */
    String name();

    /** {@code cb_init}: a connection starts using this algorithm; set up its private data. */
    default void init(CcVars ccv) {
    }

    /** {@code cb_destroy}: the connection stops using this algorithm. */
    default void destroy(CcVars ccv) {
    }

    /** {@code conn_init}: the handshake completed; set the initial window (RFC 5681, RFC 6928). */
    void connInit(CcVars ccv);

    /**
     * {@code ack_received}: an ACK arrived outside loss recovery. For {@link AckType#ACK}
     * {@link CcVars#bytesThisAck()} bytes of new data were acknowledged.
     */
    void ackReceived(CcVars ccv, AckType type);

    /** {@code cong_signal}: congestion was detected. */
    void congSignal(CcVars ccv, CongestionSignal signal);

    /** {@code post_recovery}: loss recovery ended with a full acknowledgment. */
    void postRecovery(CcVars ccv);

    /** {@code after_idle}: the connection sends again after an idle period longer than an RTO. */
    void afterIdle(CcVars ccv);
}
