package org.protosw.udp.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.ByteBuffer;

import org.junit.jupiter.api.Test;
import org.protosw.internal.kern.Vnet;
import org.protosw.socket.Errno;
import org.protosw.socket.InAddr;
import org.protosw.socket.InetSockAddr;
import org.protosw.socket.SockOpt;
import org.protosw.socket.Socket;
import org.protosw.socket.SocketException;

/** What UDP sockets notice when the epair under them goes down, changes MTU or is destroyed. */
class InterfaceStateTest {
    private static void assertErrno(Errno errno, ThrowingCall call) {
        assertThatThrownBy(call::run).isInstanceOfSatisfying(SocketException.class, e -> assertThat(e.errno()).isEqualTo(errno));
    }

    @FunctionalInterface
    private interface ThrowingCall {
        void run() throws Exception;
    }

    @Test
    void downMtuAndDestroyAsTheSenderSeesThem() throws Exception {
        try (Lab lab = new Lab()) {
            Vnet a = lab.def();
            Vnet b = lab.vnet("b");
            Lab.Link link = lab.link(a, "192.0.2.1", b, "192.0.2.2", 24);
            Socket rx = Lab.udpSocket(b);
            rx.setOption(SockOpt.SO_RCVBUF, 256 * 1024);
            rx.bind(InetSockAddr.of("192.0.2.2", 0));
            Socket tx = Lab.udpSocket(a);
            tx.setOption(SockOpt.SO_SNDBUF, 65535);
            tx.connect(rx.localAddress());

            // this side down: the send fails at once
            link.a().setUp(false);
            assertErrno(Errno.ENETDOWN, () -> tx.send(ByteBuffer.wrap(Payload.make(1, 64))));
            link.a().setUp(true);
            // the far side down: the datagram is lost on the wire, the sender cannot know
            link.b().setUp(false);
            long dropped = link.a().counters().oerrors.sum() + link.b().counters().iqdrops.sum();
            assertThat(tx.send(ByteBuffer.wrap(Payload.make(2, 64)))).isEqualTo(64);
            assertThat(link.a().counters().oerrors.sum() + link.b().counters().iqdrops.sum()).isEqualTo(dropped + 1);
            link.b().setUp(true);
            rx.setOption(SockOpt.SO_RCVTIMEO, 5000);
            tx.send(ByteBuffer.wrap(Payload.make(3, 64)));
            ByteBuffer in = ByteBuffer.allocate(9000);
            assertThat(Payload.check(in.array(), rx.recv(in))).as("only what was sent while both were up").isEqualTo(3);

            // jumbo MTU on both ends: 8000 bytes cross unfragmented
            link.a().setMtu(9000);
            link.b().setMtu(9000);
            long fragmented = Lab.ipStat(a, "output datagrams fragmented");
            tx.send(ByteBuffer.wrap(Payload.make(4, 8000)));
            in.clear();
            assertThat(Payload.check(in.array(), rx.recv(in))).isEqualTo(4);
            assertThat(Lab.ipStat(a, "output datagrams fragmented")).isEqualTo(fragmented);
            assertThat(Lab.ipStat(b, "fragments received")).isZero();
            // an MTU mismatch: the receiving end counts a giant and drops it
            link.b().setMtu(1500);
            long errs = link.b().counters().ierrors.sum();
            tx.send(ByteBuffer.wrap(Payload.make(5, 8000)));
            assertThat(link.b().counters().ierrors.sum()).isEqualTo(errs + 1);

            // the pair destroyed: the route goes with it
            link.pair().destroy();
            assertThat(a.interfaces().byName(link.a().name())).isNull();
            assertThat(b.interfaces().byName(link.b().name())).isNull();
            assertErrno(Errno.ENETUNREACH, () -> tx.send(ByteBuffer.wrap(Payload.make(6, 64))));
            // the socket stays usable for what can still be reached
            assertThat(tx.isClosed()).isFalse();
            tx.disconnect();
            Socket lo = Lab.udpSocket(a);
            lo.bind(InetSockAddr.of("127.0.0.1", 0));
            lo.setOption(SockOpt.SO_RCVTIMEO, 5000);
            tx.sendto(ByteBuffer.wrap(Payload.make(7, 64)), 0, lo.localAddress());
            in.clear();
            assertThat(Payload.check(in.array(), lo.recv(in))).isEqualTo(7);
            // and the bound address is gone with the interface
            assertErrno(Errno.EADDRNOTAVAIL, () -> Lab.udpSocket(a).bind(new InetSockAddr(InAddr.parse("192.0.2.1"), 0)));
            tx.close();
            rx.close();
            lo.close();
        }
    }
}
