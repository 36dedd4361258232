package org.protosw.udp.internal;

import org.junit.jupiter.api.BeforeEach;
import org.protosw.socket.InAddr;
import org.protosw.socket.InetSockAddr;
import org.protosw.socket.SocketException;

/** One fake stack instance with UDP initialised in it, and sockets on demand. */
abstract class UdpTestbed {
    FakeContext ctx;
    UdpProtocol udp;

    record Sock(FakeSocket so, UdpPcb pcb) {
    }

    @BeforeEach
    void setUpStack() throws SocketException {
        ctx = new FakeContext();
        udp = (UdpProtocol) new UdpProtoSw().init(ctx);
    }

    Sock open() throws SocketException {
        FakeSocket so = new FakeSocket(ctx);
        UdpPcb pcb = (UdpPcb) udp.attach(so);
        return new Sock(so, pcb);
    }

    Sock bound(int addr, int port) throws SocketException {
        Sock s = open();
        s.pcb().bind(new InetSockAddr(new InAddr(addr), port));
        return s;
    }

    long stat(String name) {
        Long v = udp.statistics().get(name);
        if (v == null) {
            throw new AssertionError("no statistic '" + name + "' in " + udp.statistics().keySet());
        }
        return v;
    }

    void tunable(String name, long value) {
        ctx.sysctl().find(name).set(value);
    }

    static InetSockAddr addr(int bits, int port) {
        return new InetSockAddr(new InAddr(bits), port);
    }
}
