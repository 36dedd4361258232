/**
 * Congestion control for TCP, in the manner of FreeBSD's {@code mod_cc(4)}: TCP calls a
 * {@link org.protosw.tcp.cc.CongestionControl} at the same points as FreeBSD's hooks
 * ({@code conn_init}, {@code ack_received}, {@code cong_signal}, {@code post_recovery},
 * {@code after_idle}) and hands it the connection's variables as
 * {@link org.protosw.tcp.cc.CcVars}. An algorithm changes only the congestion window and
 * the slow start threshold; loss detection and recovery stay with TCP.
 */
@org.osgi.annotation.bundle.Export
@org.osgi.annotation.versioning.Version("1.0.0")
package org.protosw.tcp.cc;
