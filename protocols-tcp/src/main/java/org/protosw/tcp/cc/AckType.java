package org.protosw.tcp.cc;

/** What kind of ACK {@link CongestionControl#ackReceived} is told about ({@code CC_ACK}, {@code CC_DUPACK}). */
public enum AckType {
    /** Acknowledges new data. */
    ACK,
    /** A duplicate acknowledgment. */
    DUPACK
}
