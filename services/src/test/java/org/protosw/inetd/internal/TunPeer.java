package org.protosw.inetd.internal;

import org.protosw.internal.kern.StandaloneStack;
import org.protosw.internal.kern.Vnet;
import org.protosw.internal.net.Netns;
import org.protosw.internal.net.Tun;
import org.protosw.internal.net.TunHost;
import org.protosw.socket.InAddr;
import org.protosw.spi.IfAddr;
import org.protosw.tcp.internal.TcpProtoSw;
import org.protosw.udp.internal.UdpProtoSw;

/**
 * A stack with the real UDP and TCP, its inetd, and a TUN device {@code tun0} into a network
 * namespace made for it: the stack is {@value #STACK} and the kernel's side of the device
 * {@value #LINUX}, both in 192.0.2.0/24 (RFC 5737), neither visible outside the namespace.
 */
final class TunPeer implements AutoCloseable {
    static final String STACK = "192.0.2.1";
    static final String LINUX = "192.0.2.2";

    final Netns ns;
    final StandaloneStack stack;
    final InetdCommand inetd = new InetdCommand();
    final Tun tun;

    private TunPeer(Netns ns, StandaloneStack stack, Tun tun) {
        this.ns = ns;
        this.stack = stack;
        this.tun = tun;
    }

    /** Skips the test (fails it on CI) without root or /dev/net/tun, as {@link Netns#create} does. */
    static TunPeer open(int mtu) throws Exception {
        Netns ns = Netns.create();
        StandaloneStack s = null;
        try {
            ns.exec("sysctl", "-q", "-w", "net.ipv6.conf.all.disable_ipv6=1", "net.ipv6.conf.default.disable_ipv6=1").check();
            s = new StandaloneStack();
            s.register(new UdpProtoSw(), UdpProtoSw.PROPERTIES, "org.protosw.udp (test)");
            s.register(TcpProtoSw.standalone(), TcpProtoSw.PROPERTIES, "org.protosw.tcp (test)");
            Vnet v = s.stack();
            Tun tun = ns.inside(() -> Tun.open("tun0", mtu));
            v.attachInterface(tun);
            v.addAddress(tun, new IfAddr(InAddr.parse(STACK), 24, null));
            ns.inside(() -> {
                TunHost.configure("tun0", mtu, InAddr.parse(LINUX), 24);
                return null;
            });
            TunPeer p = new TunPeer(ns, s, tun);
            p.inetd.addStack(v);
            return p;
        } catch (Exception | Error e) {
            if (s != null) {
                s.close();
            }
            ns.close();
            throw e;
        }
    }

    Vnet vnet() {
        return stack.stack();
    }

    @Override
    public void close() {
        try {
            inetd.deactivate();
            stack.close();
        } finally {
            ns.close();
        }
    }
}
