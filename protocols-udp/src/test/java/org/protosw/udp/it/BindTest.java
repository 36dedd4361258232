package org.protosw.udp.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.ByteBuffer;
import java.util.HashSet;
import java.util.Set;

import org.junit.jupiter.api.Test;
import org.protosw.internal.kern.Vnet;
import org.protosw.socket.Errno;
import org.protosw.socket.InAddr;
import org.protosw.socket.InetSockAddr;
import org.protosw.socket.RecvInfo;
import org.protosw.socket.SockOpt;
import org.protosw.socket.Socket;
import org.protosw.socket.SocketException;

/** bind and connect through the real pcb table of a vnet. */
class BindTest {
    private static void assertErrno(Errno errno, ThrowingCall call) {
        assertThatThrownBy(call::run).isInstanceOfSatisfying(SocketException.class, e -> assertThat(e.errno()).isEqualTo(errno));
    }

    @FunctionalInterface
    private interface ThrowingCall {
        void run() throws Exception;
    }

    private static Socket socket(Vnet v, boolean reuseAddr, boolean reusePort) throws SocketException {
        Socket s = Lab.udpSocket(v);
        s.setOption(SockOpt.SO_REUSEADDR, reuseAddr);
        s.setOption(SockOpt.SO_REUSEPORT, reusePort);
        return s;
    }

    @Test
    void addressInUseAndTheReuseOptions() throws Exception {
        try (Lab lab = new Lab()) {
            Vnet v = lab.def();
            Socket first = Lab.udpSocket(v);
            first.bind(InetSockAddr.of("127.0.0.1", 0));
            InetSockAddr taken = (InetSockAddr) first.localAddress();
            int port = taken.port();

            // the same address and port: EADDRINUSE, SO_REUSEADDR does not help a unicast address
            assertErrno(Errno.EADDRINUSE, () -> socket(v, false, false).bind(taken));
            assertErrno(Errno.EADDRINUSE, () -> socket(v, true, false).bind(taken));
            // SO_REUSEPORT must be on every holder, not only on the newcomer
            assertErrno(Errno.EADDRINUSE, () -> socket(v, false, true).bind(taken));
            // the wildcard beside a specific address needs SO_REUSEADDR on the newcomer
            assertErrno(Errno.EADDRINUSE, () -> socket(v, false, false).bind(new InetSockAddr(InAddr.ANY, port)));
            Socket wild = socket(v, true, false);
            wild.bind(new InetSockAddr(InAddr.ANY, port));
            assertThat(wild.localAddress()).isEqualTo(new InetSockAddr(InAddr.ANY, port));

            // the specific address gets datagrams sent to it, not the wildcard
            Socket tx = Lab.udpSocket(v);
            tx.sendto(ByteBuffer.wrap(Payload.make(1, 64)), 0, taken);
            first.setOption(SockOpt.SO_RCVTIMEO, 5000);
            ByteBuffer in = ByteBuffer.allocate(100);
            assertThat(Payload.check(in.array(), first.recv(in))).isEqualTo(1);

            // after close the port is free again
            first.close();
            wild.close();
            Socket again = Lab.udpSocket(v);
            again.bind(taken);
            assertThat(again.localAddress()).isEqualTo(taken);
            again.close();

            // SO_REUSEPORT on both: they share the address and port
            Socket p1 = socket(v, false, true);
            p1.bind(taken);
            Socket p2 = socket(v, false, true);
            p2.bind(taken);
            assertThat(p2.localAddress()).isEqualTo(taken);
            assertErrno(Errno.EADDRINUSE, () -> socket(v, false, false).bind(taken));
            // binding twice is EINVAL
            assertErrno(Errno.EINVAL, () -> p1.bind(InetSockAddr.of("127.0.0.1", 0)));
            p1.close();
            p2.close();
            tx.close();
        }
    }

    @Test
    void anAddressOfAnotherHostIsNotAvailable() throws Exception {
        try (Lab lab = new Lab()) {
            Vnet a = lab.def();
            Vnet b = lab.vnet("b");
            lab.link(a, "192.0.2.1", b, "192.0.2.2", 24);
            assertErrno(Errno.EADDRNOTAVAIL, () -> Lab.udpSocket(a).bind(InetSockAddr.of("198.51.100.7", 0)));
            // the peer's address is the other vnet's, not this one's
            assertErrno(Errno.EADDRNOTAVAIL, () -> Lab.udpSocket(a).bind(InetSockAddr.of("192.0.2.2", 0)));
            Socket ok = Lab.udpSocket(b);
            ok.bind(InetSockAddr.of("192.0.2.2", 0));
            ok.close();
        }
    }

    @Test
    void portZeroPicksDistinctEphemeralPortsInTheRange() throws Exception {
        try (Lab lab = new Lab()) {
            Vnet v = lab.def();
            Set<Integer> ports = new HashSet<>();
            Socket[] socks = new Socket[50];
            for (int i = 0; i < socks.length; i++) {
                socks[i] = Lab.udpSocket(v);
                socks[i].bind(i % 2 == 0 ? InetSockAddr.ANY : InetSockAddr.of("127.0.0.1", 0));
                int port = ((InetSockAddr) socks[i].localAddress()).port();
                assertThat(port).isBetween(10000, 65535);
                ports.add(port);
            }
            assertThat(ports).as("every ephemeral bind got its own port").hasSize(socks.length);
            // the range follows net.inet.ip.portrange.first/last
            Lab.sysctl(v, "net.inet.ip.portrange.first", 40000);
            Lab.sysctl(v, "net.inet.ip.portrange.last", 40003);
            Set<Integer> small = new HashSet<>();
            Socket[] few = new Socket[4];
            for (int i = 0; i < few.length; i++) {
                few[i] = Lab.udpSocket(v);
                few[i].bind(InetSockAddr.ANY);
                small.add(((InetSockAddr) few[i].localAddress()).port());
            }
            assertThat(small).containsExactlyInAnyOrder(40000, 40001, 40002, 40003);
            assertErrno(Errno.EADDRNOTAVAIL, () -> Lab.udpSocket(v).bind(InetSockAddr.ANY));
            for (Socket s : few) {
                s.close();
            }
            for (Socket s : socks) {
                s.close();
            }
        }
    }

    @Test
    void connectPicksTheSourceAddressOfTheRoute() throws Exception {
        try (Lab lab = new Lab()) {
            Vnet a = lab.def();
            Vnet b = lab.vnet("b");
            lab.link(a, "192.0.2.1", b, "192.0.2.2", 24);
            lab.link(a, "198.51.100.1", b, "198.51.100.2", 24);
            Socket rx1 = Lab.udpSocket(b);
            rx1.bind(InetSockAddr.of("192.0.2.2", 0));
            Socket rx2 = Lab.udpSocket(b);
            rx2.bind(InetSockAddr.of("198.51.100.2", 0));

            for (Socket rx : new Socket[] {rx1, rx2}) {
                InetSockAddr peer = (InetSockAddr) rx.localAddress();
                InAddr expected = peer.addr().toString().startsWith("192.0.2.") ? InAddr.parse("192.0.2.1") : InAddr.parse("198.51.100.1");
                Socket tx = Lab.udpSocket(a);
                tx.connect(peer);
                InetSockAddr local = (InetSockAddr) tx.localAddress();
                assertThat(local.addr()).isEqualTo(expected);
                assertThat(local.port()).isBetween(10000, 65535);
                assertThat(tx.peerAddress()).isEqualTo(peer);
                tx.send(ByteBuffer.wrap(Payload.make(3, 64)));
                rx.setOption(SockOpt.SO_RCVTIMEO, 5000);
                ByteBuffer in = ByteBuffer.allocate(100);
                RecvInfo ri = rx.recvfrom(in, 0);
                assertThat(ri.from()).isEqualTo(local);
                assertThat(Payload.check(in.array(), ri.length())).isEqualTo(3);
                // disconnect gives the chosen address back (the socket stays on its port)
                tx.disconnect();
                assertThat(tx.localAddress()).isEqualTo(new InetSockAddr(InAddr.ANY, local.port()));
                tx.close();
            }
            // a connected socket hears only its peer
            Socket listener = Lab.udpSocket(b);
            listener.bind(InetSockAddr.of("192.0.2.2", 0));
            listener.setOption(SockOpt.SO_RCVTIMEO, 5000);
            Socket peer = Lab.udpSocket(a);
            peer.bind(InetSockAddr.of("192.0.2.1", 0));
            Socket stranger = Lab.udpSocket(a);
            stranger.bind(InetSockAddr.of("192.0.2.1", 0));
            listener.connect(peer.localAddress());
            stranger.sendto(ByteBuffer.wrap(Payload.make(10, 64)), 0, listener.localAddress());
            peer.sendto(ByteBuffer.wrap(Payload.make(11, 64)), 0, listener.localAddress());
            ByteBuffer got = ByteBuffer.allocate(100);
            RecvInfo fromPeer = listener.recvfrom(got, 0);
            assertThat(fromPeer.from()).isEqualTo(peer.localAddress());
            assertThat(Payload.check(got.array(), fromPeer.length())).isEqualTo(11);
            listener.setOption(SockOpt.SO_RCVTIMEO, 200);
            assertErrno(Errno.EAGAIN, () -> listener.recv(ByteBuffer.allocate(100)));
            Lab.await("the stranger's datagram dropped", 5000, () -> lab.udpStat(b, "dropped due to no socket") == 1);
            for (Socket s : new Socket[] {listener, peer, stranger}) {
                s.close();
            }

            // to this host's own epair address: over lo0, from that address
            Socket self = Lab.udpSocket(a);
            self.bind(InetSockAddr.of("192.0.2.1", 0));
            self.setOption(SockOpt.SO_RCVTIMEO, 5000);
            Socket anon = Lab.udpSocket(a);
            anon.sendto(ByteBuffer.wrap(Payload.make(12, 64)), 0, self.localAddress());
            RecvInfo own = self.recvfrom(got.clear(), 0);
            assertThat(own.from()).isEqualTo(new InetSockAddr(InAddr.parse("192.0.2.1"), ((InetSockAddr) anon.localAddress()).port()));
            assertThat(a.interfaces().byName("lo0").counters().ipackets.sum()).isPositive();
            self.close();
            anon.close();

            // to loopback, the loopback address
            Socket lo = Lab.udpSocket(a);
            lo.connect(InetSockAddr.of("127.0.0.1", 9));
            assertThat(((InetSockAddr) lo.localAddress()).addr()).isEqualTo(InAddr.LOOPBACK);
            // no route: ENETUNREACH, and the socket stays unconnected
            Socket nowhere = Lab.udpSocket(a);
            assertErrno(Errno.ENETUNREACH, () -> nowhere.connect(InetSockAddr.of("203.0.113.9", 9)));
            assertThat(nowhere.isConnected()).isFalse();
            lo.close();
            nowhere.close();
            rx1.close();
            rx2.close();
        }
    }
}
