/**
 * Congestion control for TCP, in the manner of FreeBSD's {@code mod_cc(4)}: TCP calls a
 * {@link org.protosw.tcp.cc.CongestionControl} at the same points as FreeBSD's hooks
 * ({@code conn_init}, {@code ack_received}, {@code cong_signal}, {@code post_recovery},
 * {@code after_idle}) and hands it the connection's variables as
 * {@link org.protosw.tcp.cc.CcVars}. An algorithm changes only the congestion window and
 * the slow start threshold; loss detection and recovery stay with TCP.
 *
 * <p><b>Shipping an algorithm.</b> Register a {@code CongestionControl} service with the
 * property {@code tcp.cc.name=NAME} (a DS component is enough). TCP's own {@code newreno}
 * and {@code cubic} are registered that way. When the service goes away, the connections
 * using it move to their stack instance's default algorithm.
 *
 * <p><b>Choosing one.</b> New connections use their stack instance's default, the sysctl
 * {@code net.inet.tcp.cc.algorithm} as in FreeBSD ({@code cubic} unless set with
 * {@code net:sysctl} or {@code tcp:cc [-j VNET] set default NAME}). A socket picks its own with
 * {@link org.protosw.tcp.TcpSockOpts#TCP_CONGESTION}; an accepted connection starts with
 * its listener's.
 *
 * <p><b>HyStart++.</b> Whether an algorithm may leave its first slow start early on a rising
 * round-trip time (RFC 9406) is TCP's call, per connection
 * ({@link org.protosw.tcp.cc.CcVars#hystartAllowed()}, from the sysctl
 * {@code net.inet.tcp.cc.hystartplusplus.enable}); the raw RTT samples and the send rounds
 * it needs are in {@code CcVars} since 1.1. {@code newreno} and {@code cubic} implement it.
 */
@org.osgi.annotation.bundle.Export
@org.osgi.annotation.versioning.Version("1.2.0")
package org.protosw.tcp.cc;
