/**
 * TCP's trace hook point, for tools in the manner of FreeBSD's {@code siftr(4)}: register a
 * {@link org.protosw.tcp.trace.TcpTraceHook} service (a DS component is enough) and TCP calls
 * it for every segment a connection sends or receives, with a view of the connection's state
 * ({@link org.protosw.tcp.trace.TcpTraceState}) at that moment.
 *
 * <p><b>Cost.</b> TCP tracks the hooks whiteboard-style; while none is registered a segment
 * costs one volatile read and allocates nothing. A tool should therefore register its hook only
 * while it traces, and unregister it when it stops (its bundle stopping does that too).
 *
 * <p><b>Which segments.</b> Those of a connection (a control block past LISTEN): data, ACKs,
 * SYN, FIN and RST a connection sends or receives. A SYN reaching a listener, the SYN-ACK the
 * SYN cache answers with and the RST answering a segment for no connection have no connection
 * and are not seen.
 */
@org.osgi.annotation.bundle.Export
@org.osgi.annotation.versioning.Version("1.0.0")
package org.protosw.tcp.trace;
