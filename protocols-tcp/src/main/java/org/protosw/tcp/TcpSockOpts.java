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

    private TcpSockOpts() {
    }
}
