/**
 * TCP's application-facing options: the {@code IPPROTO_TCP} level socket options
 * ({@link org.protosw.tcp.TcpSockOpts}) and the per-connection information
 * {@link org.protosw.tcp.TcpInfo} that {@code TCP_INFO} answers.
 */
@org.osgi.annotation.bundle.Export
@org.osgi.annotation.versioning.Version("1.0.0")
package org.protosw.tcp;
