package org.protosw.socket;

/**
 * A socket address ({@code struct sockaddr}). Each domain has its own kind; IPv4 uses
 * {@link InetSockAddr}. A third-party domain defines its own implementation.
 */
public interface SockAddr {
    /** The address family, e.g. {@link SocketConstants#AF_INET}. */
    int family();
}
