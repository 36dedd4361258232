package org.protosw.bench;

import org.protosw.ib.demo.IbGid;
import org.protosw.ib.demo.IbSockAddr;
import org.protosw.ib.demo.internal.stack.IbDomain;
import org.protosw.ib.demo.internal.stack.IbRcProtoSw;
import org.protosw.ib.demo.internal.stack.IbSdpProtoSw;
import org.protosw.internal.kern.StandaloneStack;
import org.protosw.internal.kern.Vnet;
import org.protosw.internal.net.Epair;
import org.protosw.socket.InAddr;
import org.protosw.spi.IfAddr;
import org.protosw.tcp.internal.TcpProtoSw;
import org.protosw.udp.internal.UdpProtoSw;

/**
 * One protosw stack with UDP, TCP and the InfiniBand demo (the AF_IB domain, ib-rc and
 * ib-sdp), loaded as their bundles would be, and two vnets joined by an epair: {@code a} (the
 * default vnet, 192.0.2.1) and {@code b} (192.0.2.2). The IB cases run IB and TCP across the
 * same epair, so the ratio between them compares the protocols on one path.
 */
final class IbEpair implements AutoCloseable {
    static final InAddr A = InAddr.of(192, 0, 2, 1);
    static final InAddr B = InAddr.of(192, 0, 2, 2);

    final StandaloneStack stack;
    final Vnet a;
    final Vnet b;

    IbEpair() throws Exception {
        stack = Protosw.bare();
        stack.register(new UdpProtoSw(), UdpProtoSw.PROPERTIES, "org.protosw.udp (bench)");
        stack.register(TcpProtoSw.standalone(), TcpProtoSw.PROPERTIES, "org.protosw.tcp (bench)");
        Object refused = stack.core().registry().registerDomain(new IbDomain(), "org.protosw.ib.demo (bench)");
        if (refused != null) {
            throw new IllegalStateException("the AF_IB domain was refused: " + refused);
        }
        stack.register(new IbRcProtoSw(), IbRcProtoSw.PROPERTIES, "org.protosw.ib.demo (bench)");
        stack.register(new IbSdpProtoSw(), IbSdpProtoSw.PROPERTIES, "org.protosw.ib.demo (bench)");
        a = stack.stack();
        // interfaces of the in-process stack only: nothing reaches the host's network
        b = stack.createVnet("bench-far");
        Epair pair = new Epair(stack.core().nextEpairUnit());
        a.attachInterface(pair.a());
        b.attachInterface(pair.b());
        a.addAddress(pair.a(), new IfAddr(A, 24, InAddr.of(192, 0, 2, 255)));
        b.addAddress(pair.b(), new IfAddr(B, 24, InAddr.of(192, 0, 2, 255)));
        pair.a().setUp(true);
        pair.b().setUp(true);
    }

    /** The IB address of service {@code sid} in vnet b. */
    static IbSockAddr ibB(long sid) {
        return new IbSockAddr(IbGid.ofIpv4(B.bits()), sid);
    }

    static IbSockAddr ibAny(long sid) {
        return new IbSockAddr(IbSockAddr.ANY_GID, sid);
    }

    @Override
    public void close() {
        stack.close();
    }
}
