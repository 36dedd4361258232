package org.protosw.siftr.internal;

/**
 * The fields of a siftr log line, by position (0-based), as {@link SiftrRecord#appendTo}
 * writes them and {@code tcp:plot} reads them. Positions 0 to 26 are FreeBSD {@code siftr(4)}'s
 * fields 1 to 27; 27 to 29 are the sequence number, acknowledgment number and payload size
 * that siftr 1.3 (FreeBSD 14) appends; 30 to 34 are protosw's own: the TCP header flags (hex),
 * 1 when the segment resends data, 1 while the connection is in fast (or SACK) recovery, the
 * count of consecutive retransmission timeouts ({@code t_rxtshift}), and the stack instance
 * (vnet).
 */
final class SiftrFormat {
    static final int DIRECTION = 0;
    static final int TIME = 1;
    static final int FADDR = 2;
    static final int FPORT = 3;
    static final int LADDR = 4;
    static final int LPORT = 5;
    static final int SSTHRESH = 6;
    static final int CWND = 7;
    static final int FLAGS2 = 8;
    static final int SND_WND = 9;
    static final int RCV_WND = 10;
    static final int SND_SCALE = 11;
    static final int RCV_SCALE = 12;
    static final int STATE = 13;
    static final int MAXSEG = 14;
    static final int SRTT = 15;
    static final int SACK = 16;
    static final int T_FLAGS = 17;
    static final int RTO = 18;
    static final int SND_BUF_HIWAT = 19;
    static final int SND_BUF_CC = 20;
    static final int RCV_BUF_HIWAT = 21;
    static final int RCV_BUF_CC = 22;
    static final int INFLIGHT = 23;
    static final int REASS = 24;
    static final int FLOWID = 25;
    static final int FLOWTYPE = 26;
    static final int SEQ = 27;
    static final int ACK = 28;
    static final int DATA_SZ = 29;
    static final int TH_FLAGS = 30;
    static final int REXMIT = 31;
    static final int RECOVERY = 32;
    static final int RXTSHIFT = 33;
    static final int VNET = 34;
    static final int FIELDS = 35;

    /** The version written in the header line; FreeBSD's siftr is at 1.3.0 with the same first 30 fields. */
    static final String SIFTR_VERSION = "1.3.0-protosw";

    private SiftrFormat() {
    }
}
