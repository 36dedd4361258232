package org.protosw.internal.kern;

import org.protosw.internal.priv.Cred;
import org.protosw.socket.NetStack;
import org.protosw.socket.Poller;
import org.protosw.socket.SockAddr;
import org.protosw.socket.Socket;
import org.protosw.socket.SocketException;

/**
 * A vnet as one bundle sees it through its NetStack service: the same stack, but the
 * sockets it opens are asked for by that bundle, so a raw or divert socket is checked
 * against its rights (the service is a ServiceFactory: one of these per bundle).
 */
final class BundleNetStack implements NetStack {
    private final Vnet vnet;
    private final Cred cred;

    BundleNetStack(Vnet vnet, Cred cred) {
        this.vnet = vnet;
        this.cred = cred;
    }

    @Override
    public String name() {
        return vnet.name();
    }

    @Override
    public Socket socket(int domain, int type, int protocol) throws SocketException {
        return vnet.socket(domain, type, protocol, cred);
    }

    @Override
    public Poller newPoller() {
        return vnet.newPoller();
    }

    @Override
    public SockAddr parseAddress(int family, String text) throws SocketException {
        return vnet.parseAddress(family, text);
    }

    @Override
    public String toString() {
        return "vnet " + vnet.name() + " for " + cred.bundle();
    }
}
