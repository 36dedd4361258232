package org.protosw.internal.sw;

/**
 * The inbound packets of one IP protocol number in one stack instance, held while the
 * protocol is upgraded: they are neither delivered nor answered (no ICMP protocol
 * unreachable, no RST), in arrival order, up to a bound past which they are dropped and
 * counted. The new revision's input registration for the number waits behind them.
 */
public interface InputHold {
    int proto();

    /**
     * Delivers the held packets in order to the input the new revision registered for the
     * number (dropped when it registered none), then hands it the number: from then on
     * packets go to it directly.
     */
    void release();

    /** Drops what is held and frees the number (the upgrade failed); returns how many were dropped. */
    long discard();

    /** Packets held so far. */
    long held();

    /** Packets dropped because the hold was full. */
    long overflowed();
}
