package org.protosw.tcp.trace;

import org.osgi.annotation.versioning.ProviderType;

/**
 * A TCP connection as a {@link TcpTraceHook} sees it: the fields of FreeBSD's
 * {@code struct tcpcb} that {@code siftr(4)} logs. Implemented by TCP; read it only during the
 * hook's call. Windows and buffers are in bytes, times in microseconds, addresses are IPv4 in
 * host order ({@code 10.0.0.1} is {@code 0x0a000001}).
 */
@ProviderType
public interface TcpTraceState {
    /** The stack instance (vnet) the connection lives in. */
    String vnet();

    int localAddress();

    int localPort();

    int foreignAddress();

    int foreignPort();

    /** The RFC 9293 state, numbered as FreeBSD's {@code tcp_fsm.h} (CLOSED 0 ... ESTABLISHED 4 ... TIME_WAIT 10). */
    int fsmState();

    long cwnd();

    long ssthresh();

    /** The peer's advertised window, scaled. */
    long sndWnd();

    /** The window this side last advertised, scaled. */
    long rcvWnd();

    int sndScale();

    int rcvScale();

    /** The payload of a full segment ({@code t_maxseg}). */
    int maxseg();

    /** Smoothed round-trip time, 0 before the first sample. */
    long srttMicros();

    long rttvarMicros();

    /** The retransmission timeout now, with backoff. */
    long rtoMicros();

    boolean sackEnabled();

    /** TCP's own flag bits ({@code t_flags}); their meaning is TCP's, not FreeBSD's. */
    int tFlags();

    /** Whether the connection is in fast (or SACK) recovery. */
    boolean inFastRecovery();

    /** Consecutive retransmission timeouts ({@code t_rxtshift}). */
    int rxtShift();

    int sndBufHiwat();

    int sndBufUsed();

    int rcvBufHiwat();

    int rcvBufUsed();

    /** Bytes sent and not yet acknowledged ({@code snd_max - snd_una}). */
    long flightSize();

    /** Segments waiting in the reassembly queue. */
    int reassSegments();

    int sndUna();

    int sndNxt();

    int rcvNxt();

    /** Data segments retransmitted over the connection's life. */
    long totalRetransmits();
}
