package org.protosw.udp.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.ByteBuffer;

import org.junit.jupiter.api.Test;
import org.protosw.internal.kern.Vnet;
import org.protosw.socket.Errno;
import org.protosw.socket.InAddr;
import org.protosw.socket.InetSockAddr;
import org.protosw.socket.RecvInfo;
import org.protosw.socket.SockOpt;
import org.protosw.socket.Socket;
import org.protosw.socket.SocketException;
import org.protosw.spi.Route;

/**
 * Three vnets in a row, the middle one forwarding: UDP between the outer two through a
 * router whose far link has a smaller MTU, and the ICMP errors the router sends back.
 */
class ForwardingTest {
    private static void assertErrno(Errno errno, ThrowingCall call) {
        assertThatThrownBy(call::run).isInstanceOfSatisfying(SocketException.class, e -> assertThat(e.errno()).isEqualTo(errno));
    }

    @FunctionalInterface
    private interface ThrowingCall {
        void run() throws Exception;
    }

    private static void route(Vnet v, String net, int len, String gateway, Lab.Link link, boolean aSide) throws SocketException {
        v.ip().routes().add(new Route(InAddr.parse(net), len, InAddr.parse(gateway), aSide ? link.a() : link.b(), null, 0, 0));
    }

    @Test
    void datagramsCrossARouterRefragmentedAndItsErrorsComeBack() throws Exception {
        try (Lab lab = new Lab()) {
            Vnet a = lab.def();
            Vnet r = lab.vnet("r");
            Vnet c = lab.vnet("c");
            Lab.Link left = lab.link(a, "192.0.2.1", r, "192.0.2.254", 24);
            Lab.Link right = lab.link(r, "198.51.100.254", c, "198.51.100.1", 24);
            right.a().setMtu(576);
            right.b().setMtu(576);
            route(a, "198.51.100.0", 24, "192.0.2.254", left, true);
            route(c, "192.0.2.0", 24, "198.51.100.254", right, false);
            Lab.sysctl(r, "net.inet.ip.forwarding", 1);
            Lab.sysctl(c, "net.inet.ip.maxfragsperpacket", 64);
            Lab.sysctl(a, "net.inet.ip.maxfragsperpacket", 64);

            Socket sc = Lab.udpSocket(c);
            sc.setOption(SockOpt.SO_RCVBUF, 1024 * 1024);
            sc.setOption(SockOpt.SO_SNDBUF, 65535);
            sc.setOption(SockOpt.SO_RCVTIMEO, 5000);
            sc.bind(InetSockAddr.of("198.51.100.1", 0));
            Socket sa = Lab.udpSocket(a);
            sa.setOption(SockOpt.SO_RCVBUF, 1024 * 1024);
            sa.setOption(SockOpt.SO_SNDBUF, 65535);
            sa.setOption(SockOpt.SO_RCVTIMEO, 5000);
            sa.connect(sc.localAddress());
            assertThat(((InetSockAddr) sa.localAddress()).addr()).isEqualTo(InAddr.parse("192.0.2.1"));

            // 1500-byte fragments from a are fragmented again for the 576-byte link
            for (int size : new int[] {100, 1472, 1473, 8000, 30000}) {
                sa.send(ByteBuffer.wrap(Payload.make(size, size)));
                ByteBuffer in = ByteBuffer.allocate(65535);
                RecvInfo ri = sc.recvfrom(in, 0);
                assertThat(ri.from()).isEqualTo(sa.localAddress());
                assertThat(Payload.check(in.array(), ri.length())).as("%d bytes intact", size).isEqualTo(size);
                in.flip();
                sc.sendto(in, 0, ri.from());
                in.clear();
                assertThat(Payload.check(in.array(), sa.recv(in))).isEqualTo(size);
            }
            assertThat(Lab.ipStat(r, "packets forwarded")).isPositive();
            assertThat(Lab.ipStat(r, "fragments created")).isPositive();

            // TTL 1 dies at the router: time exceeded in transit, EHOSTUNREACH on the connected socket
            sa.setOption(SockOpt.IP_TTL, 1);
            sa.send(ByteBuffer.wrap(Payload.make(1, 64)));
            assertErrno(Errno.EHOSTUNREACH, () -> sa.recv(ByteBuffer.allocate(100)));
            assertThat(Lab.icmpStat(a, "Input histogram: time exceeded")).isEqualTo(1);
            sa.setOption(SockOpt.IP_TTL, 64);

            // a closed port behind the router: the port unreachable comes back through it
            sc.close();
            sa.send(ByteBuffer.wrap(Payload.make(2, 64)));
            assertErrno(Errno.ECONNREFUSED, () -> sa.recv(ByteBuffer.allocate(100)));

            // without forwarding the router passes nothing on
            Lab.sysctl(r, "net.inet.ip.forwarding", 0);
            Socket again = Lab.udpSocket(c);
            again.bind(InetSockAddr.of("198.51.100.1", ((InetSockAddr) sa.peerAddress()).port()));
            again.setOption(SockOpt.SO_RCVTIMEO, 300);
            long cantForward = Lab.ipStat(r, "packets not forwardable");
            sa.send(ByteBuffer.wrap(Payload.make(3, 64)));
            assertErrno(Errno.EAGAIN, () -> again.recv(ByteBuffer.allocate(100)));
            assertThat(Lab.ipStat(r, "packets not forwardable") - cantForward).isEqualTo(1);
            sa.close();
            again.close();
        }
    }
}
