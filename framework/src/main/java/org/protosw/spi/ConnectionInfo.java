package org.protosw.spi;

import org.protosw.socket.SockAddr;

/**
 * A connection that outlived its socket (TCP's FIN_WAIT_2, TIME_WAIT... after close), as
 * {@code netstat} lists it beside the sockets: {@link Protocol#orphans()}.
 *
 * @param local the local address
 * @param foreign the peer's address
 * @param state the protocol's state name (e.g. TIME_WAIT)
 * @param recvQ bytes received and not read (normally 0: nobody reads any more)
 * @param sendQ bytes still to deliver to the peer
 */
public record ConnectionInfo(SockAddr local, SockAddr foreign, String state, int recvQ, int sendQ) {
}
