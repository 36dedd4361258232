package org.protosw.tcp.internal;

/** The connection states of RFC 9293 §3.3.2, in FreeBSD's order (synchronized from ESTABLISHED on). */
enum TcpState {
    CLOSED, LISTEN, SYN_SENT, SYN_RECEIVED, ESTABLISHED, CLOSE_WAIT, FIN_WAIT_1, CLOSING, LAST_ACK, FIN_WAIT_2, TIME_WAIT;

    /** {@code TCPS_HAVERCVDSYN}. */
    boolean haveRcvdSyn() {
        return ordinal() >= SYN_RECEIVED.ordinal();
    }

    /** {@code TCPS_HAVEESTABLISHED}. */
    boolean haveEstablished() {
        return ordinal() >= ESTABLISHED.ordinal();
    }

    /** States in which a FIN has been received: no more data can arrive. */
    boolean haveRcvdFin() {
        return this == CLOSE_WAIT || this == CLOSING || this == LAST_ACK || this == TIME_WAIT;
    }

    /** States where our FIN is queued or sent. */
    boolean finQueued() {
        return this == FIN_WAIT_1 || this == CLOSING || this == LAST_ACK;
    }

    /** The name netstat shows. */
    String netstatName() {
        return name();
    }
}
