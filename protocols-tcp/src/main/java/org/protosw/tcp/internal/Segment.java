package org.protosw.tcp.internal;

import org.protosw.spi.Packet;
import org.protosw.wire.TcpHeader;
import org.protosw.wire.TcpOptions;

/**
 * An inbound segment as {@code tcp_input} hands it to a connection: the header fields, the
 * options that matter and the payload's place in the packet. One instance per input thread,
 * reused for every segment, so the input path allocates nothing for it.
 */
final class Segment {
    final TcpHeader th = new TcpHeader();
    final TcpOptions opts = new TcpOptions();

    Packet p;
    int src;
    int dst;
    int sport;
    int dport;
    int seq;
    int ack;
    int flags;
    /** The window field as sent (unscaled). */
    int win;
    /** Absolute offset of the payload in {@code p.array()} and its length. */
    int dataOff;
    int tlen;

    boolean hasMss;
    int mss;
    boolean hasWs;
    int ws;
    boolean sackPermitted;
    boolean hasTs;
    int tsVal;
    int tsEcr;
    int sackCount;
    final int[] sack = new int[2 * TcpOptions.MAX_SACK_BLOCKS];

    boolean has(int flag) {
        return (flags & flag) != 0;
    }

    /** Drops {@code n} payload bytes from the front (they were received already). */
    void trimFront(int n) {
        dataOff += n;
        tlen -= n;
        seq += n;
    }

    /** Drops {@code n} payload bytes from the end (they lie beyond the window). */
    void trimBack(int n) {
        tlen -= n;
    }

    /**
     * Turns the packet into the payload alone and hands it over; the segment must not be
     * used for data afterwards.
     */
    Packet takePayload() {
        Packet q = p;
        q.adj(dataOff - q.offset());
        q.setLength(tlen);
        p = null;
        return q;
    }

    void readOptions() {
        hasMss = opts.hasMss();
        mss = hasMss ? opts.mss() : 0;
        hasWs = opts.hasWindowScale();
        ws = hasWs ? opts.windowScale() : 0;
        sackPermitted = opts.sackPermitted();
        hasTs = opts.hasTimestamp();
        tsVal = hasTs ? opts.tsVal() : 0;
        tsEcr = hasTs ? opts.tsEcr() : 0;
        sackCount = opts.sackBlockCount();
        for (int i = 0; i < sackCount; i++) {
            sack[2 * i] = opts.sackLeft(i);
            sack[2 * i + 1] = opts.sackRight(i);
        }
    }
}
