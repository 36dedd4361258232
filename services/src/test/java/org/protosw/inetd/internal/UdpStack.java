package org.protosw.inetd.internal;

import org.protosw.internal.kern.StandaloneStack;
import org.protosw.socket.SocketException;
import org.protosw.udp.internal.UdpProtoSw;

/** A stack without OSGi with the real UDP loaded, and the inetd command bound to its vnets. */
final class UdpStack implements AutoCloseable {
    final StandaloneStack stack;
    final InetdCommand inetd = new InetdCommand();

    UdpStack() throws SocketException {
        stack = new StandaloneStack();
        stack.register(new UdpProtoSw(), UdpProtoSw.PROPERTIES, "org.protosw.udp [12] 1.0.0");
        inetd.addStack(stack.stack());
    }

    @Override
    public void close() {
        // as the bundle stopping: every service stops before the stack goes
        inetd.deactivate();
        stack.close();
    }
}
