package org.protosw.tcp;

/**
 * A snapshot of one connection, in the spirit of FreeBSD's {@code struct tcp_info}. Times
 * are in microseconds, windows and segment sizes in bytes.
 *
 * @param state the RFC 9293 state name (ESTABLISHED, TIME_WAIT...)
 * @param rtt smoothed round-trip time
 * @param rttvar round-trip time variation
 * @param rto current retransmission timeout (with backoff)
 * @param sndMss largest segment sent
 * @param rcvMss the MSS the peer announced (536 when it sent none)
 * @param cwnd congestion window
 * @param ssthresh slow start threshold
 * @param sndWnd the peer's advertised window
 * @param rcvWnd the window this side advertises
 * @param sndWscale send window shift (0 without window scaling)
 * @param rcvWscale receive window shift (0 without window scaling)
 * @param timestamps RFC 7323 timestamps negotiated
 * @param windowScaling RFC 7323 window scaling negotiated
 * @param sackPermitted RFC 2018 SACK negotiated
 * @param retransmits consecutive retransmission timeouts now (the backoff shift)
 * @param totalRetransmits segments retransmitted over the connection's life
 * @param sackBlocksSeen SACK blocks received from the peer
 * @param congestionControl name of the congestion control algorithm
 */
public record TcpInfo(String state, long rtt, long rttvar, long rto, int sndMss, int rcvMss, long cwnd, long ssthresh,
        long sndWnd, long rcvWnd, int sndWscale, int rcvWscale, boolean timestamps, boolean windowScaling,
        boolean sackPermitted, int retransmits, long totalRetransmits, long sackBlocksSeen, String congestionControl) {
}
