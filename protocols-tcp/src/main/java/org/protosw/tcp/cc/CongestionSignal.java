package org.protosw.tcp.cc;

/** The congestion signals of {@link CongestionControl#congSignal} ({@code CC_NDUPACK}...). */
public enum CongestionSignal {
    /** Three duplicate ACKs: fast retransmit, entering fast recovery (RFC 5681 §3.2). */
    NDUPACK,
    /** The retransmission timer expired (the first expiry of a series). */
    RTO,
    /** A retransmission timeout turned out to be spurious. */
    RTO_ERR,
    /** An ECN congestion-experienced echo. */
    ECN
}
