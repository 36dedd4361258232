package org.protosw.internal.socket;

import java.util.Map;

import org.protosw.socket.SockAddr;

/**
 * One socket as {@code netstat} shows it.
 *
 * @param id the socket's number in its stack instance (stable for its life)
 * @param protocol the protocol's name, e.g. {@code udp}
 * @param domain address family
 * @param type socket type
 * @param protocolNumber the socket's protocol number
 * @param recvQ bytes in the receive buffer
 * @param sendQ bytes in the send buffer
 * @param local the local address, or null when unbound or unknown
 * @param foreign the peer address, or null when not connected or unknown
 * @param state the protocol's state name (e.g. ESTABLISHED), empty when it has none
 * @param listening whether it is a listening socket
 * @param closed whether the application closed it (or the stack aborted it) and calls are still leaving
 * @param details what the protocol adds for {@code netstat -T} (empty unless asked for)
 * @param owner the protocol that opened the socket inside the stack, or null for an application's
 */
public record SocketInfo(long id, String protocol, int domain, int type, int protocolNumber, int recvQ, int sendQ,
        SockAddr local, SockAddr foreign, String state, boolean listening, boolean closed, Map<String, String> details, String owner) {
}
