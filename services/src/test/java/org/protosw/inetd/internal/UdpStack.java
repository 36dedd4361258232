package org.protosw.inetd.internal;

import static org.protosw.socket.SocketConstants.AF_INET;
import static org.protosw.socket.SocketConstants.IPPROTO_UDP;
import static org.protosw.socket.SocketConstants.SOCK_DGRAM;

import java.util.Map;

import org.protosw.internal.kern.StandaloneStack;
import org.protosw.socket.SocketException;
import org.protosw.spi.ProtoSwEntry;
import org.protosw.udp.internal.UdpProtoSw;

/** A stack without OSGi with the real UDP loaded, and the inetd command bound to its vnets. */
final class UdpStack implements AutoCloseable {
    final StandaloneStack stack;
    final InetdCommand inetd = new InetdCommand();

    UdpStack() throws SocketException {
        stack = new StandaloneStack();
        stack.register(new UdpProtoSw(), Map.of(
                ProtoSwEntry.DOMAIN, AF_INET,
                ProtoSwEntry.TYPE, SOCK_DGRAM,
                ProtoSwEntry.PROTOCOL, IPPROTO_UDP,
                ProtoSwEntry.NAME, "udp",
                ProtoSwEntry.FLAGS, new String[] {ProtoSwEntry.PR_ATOMIC, ProtoSwEntry.PR_ADDR}), "org.protosw.udp [12] 1.0.0");
        inetd.addStack(stack.stack());
    }

    @Override
    public void close() {
        // as the bundle stopping: every service stops before the stack goes
        inetd.deactivate();
        stack.close();
    }
}
