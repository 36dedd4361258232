/**
 * The protocol switch SPI: what protocol bundles implement and what the core hands them.
 *
 * <p>A protocol bundle registers a {@link org.protosw.spi.ProtoSw} service described by
 * {@link org.protosw.spi.ProtoSwEntry} properties (domain, type, protocol number, name,
 * flags). For each stack instance (vnet) the core calls {@link org.protosw.spi.ProtoSw#init}
 * and gets the protocol's per-stack half, a {@link org.protosw.spi.Protocol}; for each
 * socket it calls {@link org.protosw.spi.Protocol#attach} and gets the socket's protocol
 * control block, a {@link org.protosw.spi.Pcb}, whose methods are the user requests
 * ({@code pr_usrreqs}). Requests a protocol does not implement answer EOPNOTSUPP.
 *
 * <p>A bundle may also register a {@link org.protosw.spi.Domain} (an address family with
 * its address type and per-instance state, since 1.2), and a protocol may open sockets of
 * another protocol inside the stack ({@link org.protosw.spi.ProtoContext#socreate}, since
 * 1.2), driven by {@link org.protosw.spi.SoUpcall}s and, for UDP, a
 * {@link org.protosw.spi.TunnelInput}; the core learns from them which protocol runs on
 * which and unloads in that order. The threading, race and exception rules are in
 * {@link org.protosw.spi.Pcb}'s documentation.
 *
 * <p>A protocol may carry its state across a live upgrade of its bundle by implementing
 * {@link org.protosw.spi.StateTransfer} beside {@code ProtoSw} (since 1.3): each pcb and
 * each instance's state become {@link org.protosw.spi.Snapshot}s of JDK values that the new
 * revision imports.
 *
 * <p>{@code ProtoSw}, {@code Protocol}, {@code Pcb}, {@code IpInput}, {@code PfilHook},
 * {@code NetModule}, {@code Domain}, {@code SoUpcall}, {@code TunnelInput} and
 * {@code TunnelPcb}, {@code StateTransfer} are implemented by third parties (consumer types: changing them is a
 * major version); the rest is implemented by the core.
 */
@org.osgi.annotation.bundle.Export
@org.osgi.annotation.versioning.Version("1.3.0")
package org.protosw.spi;
