package org.protosw.tcp.cc;

import org.osgi.annotation.versioning.ProviderType;

/**
 * The variables of one connection that a congestion control algorithm reads and writes
 * ({@code struct cc_var}). Sizes are in bytes. Only TCP implements it: methods may be added
 * in minor versions of this package.
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

    /**
     * The round-trip time measured from the ACK being processed, in microseconds, or -1 when
     * it gave none. With timestamps (RFC 7323) nearly every ACK of new data gives one, at the
     * timestamp clock's millisecond resolution; without them one segment per round trip is
     * timed and retransmitted ones never are (Karn). Unlike {@link #srttMicros()} it is not
     * smoothed: delay-based slow start exit (HyStart++, RFC 9406) needs the raw samples.
     *
     * @since 1.1
     */
    long rttSampleMicros();

    /**
     * How many send rounds have ended. A round ends with the ACK that covers everything sent
     * before the round began (the highest sequence sent when the previous round ended), so
     * in a transfer limited by the window a round is one round-trip time. The count only
     * grows; an algorithm keeps the value it last saw to notice that a new round began.
     *
     * @since 1.1
     */
    long rounds();

    /**
     * True when TCP allows HyStart++ (RFC 9406) on this connection ({@code CCF_HYSTART_ALLOWED}
     * of FreeBSD's {@code cc_var}). Algorithms that implement it read this when the
     * connection is set up.
     *
     * @since 1.1
     */
    boolean hystartAllowed();

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
