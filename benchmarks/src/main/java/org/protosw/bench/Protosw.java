package org.protosw.bench;

import java.util.Map;

import org.protosw.internal.kern.StandaloneStack;
import org.protosw.socket.SocketConstants;
import org.protosw.spi.ProtoSwEntry;
import org.protosw.tcp.internal.TcpProtoSw;
import org.protosw.udp.internal.UdpProtoSw;

/** A protosw stack in this JVM, without OSGi, with the protocols loaded as their bundles would. */
final class Protosw {
    private Protosw() {
    }

    static StandaloneStack withUdp() throws Exception {
        StandaloneStack s = new StandaloneStack();
        s.register(new UdpProtoSw(), Map.of(
                ProtoSwEntry.DOMAIN, SocketConstants.AF_INET,
                ProtoSwEntry.TYPE, SocketConstants.SOCK_DGRAM,
                ProtoSwEntry.PROTOCOL, SocketConstants.IPPROTO_UDP,
                ProtoSwEntry.NAME, "udp",
                ProtoSwEntry.FLAGS, new String[] {ProtoSwEntry.PR_ATOMIC, ProtoSwEntry.PR_ADDR}), "org.protosw.udp (bench)");
        return s;
    }

    static StandaloneStack withTcp() throws Exception {
        StandaloneStack s = new StandaloneStack();
        s.register(TcpProtoSw.standalone(), Map.of(
                ProtoSwEntry.DOMAIN, SocketConstants.AF_INET,
                ProtoSwEntry.TYPE, SocketConstants.SOCK_STREAM,
                ProtoSwEntry.PROTOCOL, SocketConstants.IPPROTO_TCP,
                ProtoSwEntry.NAME, "tcp",
                ProtoSwEntry.FLAGS, new String[] {ProtoSwEntry.PR_CONNREQUIRED, ProtoSwEntry.PR_WANTRCVD}), "org.protosw.tcp (bench)");
        return s;
    }
}
