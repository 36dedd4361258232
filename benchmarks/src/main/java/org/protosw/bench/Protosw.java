package org.protosw.bench;

import org.protosw.internal.kern.StandaloneStack;
import org.protosw.tcp.internal.TcpProtoSw;
import org.protosw.udp.internal.UdpProtoSw;

/** A protosw stack in this JVM, without OSGi, with the protocols loaded as their bundles would. */
final class Protosw {
    private Protosw() {
    }

    static StandaloneStack withUdp() throws Exception {
        StandaloneStack s = new StandaloneStack();
        s.register(new UdpProtoSw(), UdpProtoSw.PROPERTIES, "org.protosw.udp (bench)");
        return s;
    }

    static StandaloneStack withTcp() throws Exception {
        StandaloneStack s = new StandaloneStack();
        s.register(TcpProtoSw.standalone(), TcpProtoSw.PROPERTIES, "org.protosw.tcp (bench)");
        return s;
    }
}
