package org.protosw.tcp.cc;

import org.osgi.annotation.versioning.ProviderType;

/**
 * The variables of one connection that a congestion control algorithm reads and writes
 * ({@code struct cc_var}). Sizes are in bytes.
 */
@ProviderType
public interface CcVars {
    /** The congestion window. */
    long cwnd();

    void setCwnd(long cwnd);

    /** The slow start threshold. */
    long ssthresh();

    void setSsthresh(long ssthresh);

    /** The sender's maximum segment size (payload bytes per full segment). */
    int maxseg();

    /** Bytes of new data acknowledged by the ACK being processed. */
    long bytesThisAck();

    /** Bytes sent and not yet acknowledged ({@code snd_max - snd_una}). */
    long flightSize();

    /** The peer's advertised window. */
    long sndWnd();

    /** The largest window the connection can use (65535 scaled by the send window shift). */
    long maxWindow();

    /** The smoothed round-trip time in microseconds, 0 before the first sample. */
    long srttMicros();

    /** Consecutive retransmission timeouts (the backoff shift). */
    int rxtShift();

    /** True while in loss recovery (fast recovery or after a timeout). */
    boolean inRecovery();

    /**
     * The connection's clock: microseconds from an arbitrary origin, never going back.
     * Algorithms that grow the window with time (CUBIC) read it here rather than from the JVM,
     * so they follow the same time as TCP's timers.
     */
    long nowMicros();

    /** The algorithm's private state for this connection, or null. */
    Object data();

    void setData(Object data);
}
