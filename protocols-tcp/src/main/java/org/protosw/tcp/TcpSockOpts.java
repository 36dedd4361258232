package org.protosw.tcp;

import org.protosw.socket.SockOpt;
import org.protosw.socket.SocketConstants;

/** Socket options of level {@code IPPROTO_TCP}, with FreeBSD's option numbers. */
public final class TcpSockOpts {
    /** Send segments at once instead of coalescing small writes (disables Nagle's algorithm). */
    public static final SockOpt<Boolean> TCP_NODELAY = SockOpt.of(SocketConstants.IPPROTO_TCP, 1, "TCP_NODELAY", Boolean.class);
    /**
     * The largest segment the connection sends. Set before connecting to announce a smaller
     * MSS; reading it on a connection gives the negotiated value.
     */
    public static final SockOpt<Integer> TCP_MAXSEG = SockOpt.of(SocketConstants.IPPROTO_TCP, 2, "TCP_MAXSEG", Integer.class);
    /**
     * The connection's congestion control algorithm, by name ({@code newreno}, {@code cubic},
     * or one another bundle registered). Setting an unknown name fails with ENOENT; an
     * accepted connection starts with its listener's algorithm.
     */
    public static final SockOpt<String> TCP_CONGESTION = SockOpt.of(SocketConstants.IPPROTO_TCP, 64, "TCP_CONGESTION", String.class);
    /** Read only: the connection's {@link TcpInfo}. */
    public static final SockOpt<TcpInfo> TCP_INFO = SockOpt.of(SocketConstants.IPPROTO_TCP, 32, "TCP_INFO", TcpInfo.class);

    /**
     * Seconds a connection with SO_KEEPALIVE may be idle before the first keepalive probe
     * (default {@code net.inet.tcp.keepidle}).
     */
    public static final SockOpt<Integer> TCP_KEEPIDLE = SockOpt.of(SocketConstants.IPPROTO_TCP, 256, "TCP_KEEPIDLE", Integer.class);
    /** Seconds between unanswered keepalive probes (default {@code net.inet.tcp.keepintvl}). */
    public static final SockOpt<Integer> TCP_KEEPINTVL = SockOpt.of(SocketConstants.IPPROTO_TCP, 512, "TCP_KEEPINTVL", Integer.class);
    /**
     * Unanswered keepalive probes after which the connection is dropped with ETIMEDOUT
     * (default {@code net.inet.tcp.keepcnt}).
     */
    public static final SockOpt<Integer> TCP_KEEPCNT = SockOpt.of(SocketConstants.IPPROTO_TCP, 1024, "TCP_KEEPCNT", Integer.class);

    private TcpSockOpts() {
    }
}
