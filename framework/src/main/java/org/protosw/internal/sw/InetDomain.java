package org.protosw.internal.sw;

import org.protosw.socket.InetSockAddr;
import org.protosw.socket.SockAddr;
import org.protosw.socket.SocketConstants;
import org.protosw.spi.Domain;

/**
 * FreeBSD's {@code inetdomain}: AF_INET with {@code sockaddr_in} addresses. The core
 * registers it like any other domain; its per-instance state (the IP layer) lives in the
 * stack instance itself, so it keeps none here.
 */
public final class InetDomain implements Domain {
    @Override
    public int family() {
        return SocketConstants.AF_INET;
    }

    @Override
    public String name() {
        return "inet";
    }

    @Override
    public Class<? extends SockAddr> addressType() {
        return InetSockAddr.class;
    }

    @Override
    public SockAddr parseAddress(String text) {
        return InetSockAddr.parse(text);
    }
}
