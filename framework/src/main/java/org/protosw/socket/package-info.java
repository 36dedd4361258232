/**
 * The application API of protosw: what programs that use the stack call.
 *
 * <p>Find a {@link org.protosw.socket.NetStack} service (one per stack instance, "vnet"),
 * create a {@link org.protosw.socket.Socket} with a domain, a type and a protocol as with
 * {@code socket(2)}, and use it the way BSD sockets are used. Every failure is a
 * {@link org.protosw.socket.SocketException} carrying the POSIX {@link org.protosw.socket.Errno}
 * a BSD stack would return.
 *
 * <p>Implemented by the core only: every type here is a provider type.
 */
@org.osgi.annotation.bundle.Export
@org.osgi.annotation.versioning.Version("1.2.0")
package org.protosw.socket;
