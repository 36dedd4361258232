package org.protosw.socket;

/**
 * An IPv4 socket address ({@code struct sockaddr_in}).
 *
 * @param addr the address; {@link InAddr#ANY} is the wildcard
 * @param port 0..65535; 0 asks bind for an ephemeral port
 */
public record InetSockAddr(InAddr addr, int port) implements SockAddr {
    public static final InetSockAddr ANY = new InetSockAddr(InAddr.ANY, 0);

    public InetSockAddr {
        if (addr == null) {
            throw new IllegalArgumentException("address is null");
        }
        if (port < 0 || port > SocketConstants.PORT_MAX) {
            throw new IllegalArgumentException("port out of range 0..65535: " + port);
        }
    }

    public static InetSockAddr of(String addr, int port) {
        return new InetSockAddr(InAddr.parse(addr), port);
    }

    /** Parses {@code a.b.c.d:port}. */
    public static InetSockAddr parse(String text) {
        int colon = text == null ? -1 : text.lastIndexOf(':');
        if (colon < 0) {
            throw new IllegalArgumentException("not an IPv4 socket address: '" + text + "' (expected a.b.c.d:port)");
        }
        int port;
        try {
            port = Integer.parseInt(text.substring(colon + 1));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("not a port number: '" + text.substring(colon + 1) + "' (expected 0..65535)");
        }
        return new InetSockAddr(InAddr.parse(text.substring(0, colon)), port);
    }

    @Override
    public int family() {
        return SocketConstants.AF_INET;
    }

    @Override
    public String toString() {
        return (addr.isAny() ? "*" : addr.toString()) + ":" + (port == 0 ? "*" : Integer.toString(port));
    }
}
