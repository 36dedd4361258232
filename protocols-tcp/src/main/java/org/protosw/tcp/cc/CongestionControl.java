package org.protosw.tcp.cc;

import org.osgi.annotation.versioning.ConsumerType;

/**
 * A congestion control algorithm ({@code struct cc_algo}). One instance serves many
 * connections: per-connection state goes in {@link CcVars#setData} ({@code cc_data}), set
 * up in {@link #init} and dropped in {@link #destroy}. Every hook runs under the
 * connection's lock and must be short and must not block.
 *
 * <p>An algorithm is offered to TCP by registering it as an OSGi service of this type with
 * the service property {@value #NAME_PROPERTY} (its name, e.g. {@code cubic}): that is
 * FreeBSD's {@code cc_register_algo}, and unregistering the service is
 * {@code cc_deregister_algo}. TCP then moves the connections that used it to the default
 * algorithm (calling {@link #destroy} on each first), so the service may leave at any time.
 * A service without the property, or with a name already taken, is ignored (logged).
 */
@ConsumerType
public interface CongestionControl {
    /** The service property that names the algorithm; names are what administrators type. */
    String NAME_PROPERTY = "tcp.cc.name";

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

    /**
     * Live upgrade of TCP: this connection's private data ({@link CcVars#data()}) as JDK
     * values only (strings, boxed numbers, booleans, byte arrays, lists and maps of them),
     * since the next TCP revision may hold no object of the running one. The window and the
     * threshold are TCP's and travel anyway.
     *
     * @return the data, or null when the algorithm carries nothing: the next revision then
     *     calls {@link #init} and the connection goes on from its window and threshold
     * @since 1.2
     */
    default java.util.Map<String, Object> exportData(CcVars ccv) {
        return null;
    }

    /**
     * Live upgrade of TCP: the connection continues here with what {@link #exportData} gave
     * (perhaps from another build of this algorithm). Called instead of {@link #init}.
     *
     * @return false when the data cannot be read: TCP then calls {@link #init}
     * @since 1.2
     */
    default boolean importData(CcVars ccv, java.util.Map<String, Object> data) {
        return false;
    }
}
