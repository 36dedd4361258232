package org.protosw.divert.internal;

import org.osgi.service.component.annotations.Component;
import org.protosw.socket.InetSockAddr;
import org.protosw.socket.SockAddr;
import org.protosw.socket.SocketConstants;
import org.protosw.spi.Domain;

/**
 * FreeBSD 14's {@code divertdomain} (PF_DIVERT), registered by this bundle like any other
 * domain. Divert sockets use {@code sockaddr_in}: the port is the rule number, the address
 * the interface address a packet came in on or goes out by.
 */
@Component(service = Domain.class)
public final class DivertDomain implements Domain {
    @Override
    public int family() {
        return SocketConstants.AF_DIVERT;
    }

    @Override
    public String name() {
        return "divert";
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
