package org.protosw.udp.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.ByteBuffer;

import org.junit.jupiter.api.Test;
import org.protosw.internal.kern.Vnet;
import org.protosw.socket.Errno;
import org.protosw.socket.InetSockAddr;
import org.protosw.socket.SockOpt;
import org.protosw.socket.Socket;
import org.protosw.socket.SocketException;

/** Port unreachables for datagrams to closed ports, as the sending application notices them. */
class IcmpErrorTest {
    private static final String UNREACH_OUT = "Output histogram: destination unreachable";
    private static final String UNREACH_IN = "Input histogram: destination unreachable";

    /** A port nobody listens on in {@code v}: bound once, then closed. */
    private static InetSockAddr closedPort(Vnet v, String addr) throws SocketException {
        Socket s = Lab.udpSocket(v);
        s.bind(InetSockAddr.of(addr, 0));
        InetSockAddr a = (InetSockAddr) s.localAddress();
        s.close();
        return a;
    }

    private static void assertErrno(Errno errno, ThrowingCall call) {
        assertThatThrownBy(call::run).isInstanceOfSatisfying(SocketException.class, e -> assertThat(e.errno()).isEqualTo(errno));
    }

    @FunctionalInterface
    private interface ThrowingCall {
        void run() throws Exception;
    }

    @Test
    void connectedSocketOverLoopbackGetsConnectionRefused() throws Exception {
        try (Lab lab = new Lab()) {
            Vnet v = lab.def();
            InetSockAddr closed = closedPort(v, "127.0.0.1");
            Socket s = Lab.udpSocket(v);
            s.setOption(SockOpt.SO_RCVTIMEO, 5000);
            s.connect(closed);
            s.send(ByteBuffer.allocate(10));
            // the blocked receive wakes with the error, which is then consumed
            assertErrno(Errno.ECONNREFUSED, () -> s.recv(ByteBuffer.allocate(100)));
            assertThat(s.getOption(SockOpt.SO_ERROR)).isZero();
            // an error is counted as sent once sent, which may be after it was received
            Lab.await("the port unreachable counted as sent", 5000, () -> Lab.icmpStat(v, UNREACH_OUT) == 1);
            assertThat(Lab.icmpStat(v, UNREACH_IN)).isEqualTo(1);
            assertThat(lab.udpStat(v, "dropped due to no socket")).isEqualTo(1);

            // the error also fails the next send once it has arrived
            s.send(ByteBuffer.allocate(10));
            Lab.await("the second port unreachable", 5000, () -> Lab.icmpStat(v, UNREACH_IN) == 2);
            Lab.await("the error to reach the socket", 5000, () -> {
                try {
                    s.send(ByteBuffer.allocate(10));
                    return false;
                } catch (SocketException e) {
                    assertThat(e.errno()).isEqualTo(Errno.ECONNREFUSED);
                    return true;
                }
            });
            s.close();
        }
    }

    @Test
    void connectedSocketAcrossAnEpairGetsConnectionRefused() throws Exception {
        try (Lab lab = new Lab()) {
            Vnet a = lab.def();
            Vnet b = lab.vnet("b");
            lab.link(a, "192.0.2.1", b, "192.0.2.2", 24);
            InetSockAddr closed = closedPort(b, "192.0.2.2");
            Socket s = Lab.udpSocket(a);
            s.setOption(SockOpt.SO_RCVTIMEO, 5000);
            s.connect(closed);
            s.send(ByteBuffer.allocate(10));
            assertErrno(Errno.ECONNREFUSED, () -> s.recv(ByteBuffer.allocate(100)));
            Lab.await("the port unreachable counted as sent", 5000, () -> Lab.icmpStat(b, UNREACH_OUT) == 1);
            assertThat(Lab.icmpStat(a, UNREACH_IN)).isEqualTo(1);
            assertThat(lab.udpStat(b, "dropped due to no socket")).isEqualTo(1);
            // a fragmented datagram to the closed port: reassembled, then refused the same way
            s.setOption(SockOpt.SO_SNDBUF, 8000);
            s.send(ByteBuffer.allocate(5000));
            assertErrno(Errno.ECONNREFUSED, () -> s.recv(ByteBuffer.allocate(100)));
            assertThat(Lab.ipStat(b, "packets reassembled ok")).isEqualTo(1);
            assertThat(Lab.icmpStat(a, UNREACH_IN)).isEqualTo(2);
            // once the error is consumed the socket works: a listener appears on that port
            Socket late = Lab.udpSocket(b);
            late.bind(closed);
            late.setOption(SockOpt.SO_RCVTIMEO, 5000);
            s.send(ByteBuffer.wrap(Payload.make(7, 64)));
            ByteBuffer in = ByteBuffer.allocate(100);
            int n = late.recv(in);
            assertThat(Payload.check(in.array(), n)).isEqualTo(7);
            s.close();
            late.close();
        }
    }

    @Test
    void unconnectedSocketHearsNoError() throws Exception {
        try (Lab lab = new Lab()) {
            Vnet v = lab.def();
            InetSockAddr closed = closedPort(v, "127.0.0.1");
            Socket s = Lab.udpSocket(v);
            s.bind(InetSockAddr.of("127.0.0.1", 0));
            s.sendto(ByteBuffer.allocate(10), 0, closed);
            Lab.await("the port unreachable to arrive", 5000, () -> Lab.icmpStat(v, UNREACH_IN) == 1);
            s.setOption(SockOpt.SO_RCVTIMEO, 200);
            assertErrno(Errno.EAGAIN, () -> s.recv(ByteBuffer.allocate(100)));
            assertThat(s.getOption(SockOpt.SO_ERROR)).isZero();
            // sending on goes on working
            assertThat(s.sendto(ByteBuffer.allocate(10), 0, closed)).isEqualTo(10);
            Lab.await("the second port unreachable", 5000, () -> Lab.icmpStat(v, UNREACH_IN) == 2);
            assertThat(s.sendto(ByteBuffer.allocate(10), 0, closed)).isEqualTo(10);
            s.close();
        }
    }

    @Test
    void blackholeSendsNoPortUnreachable() throws Exception {
        try (Lab lab = new Lab()) {
            Vnet a = lab.def();
            Vnet b = lab.vnet("b");
            lab.link(a, "192.0.2.1", b, "192.0.2.2", 24);
            // on the receiving host, for datagrams from another host
            Lab.sysctl(b, "net.inet.udp.blackhole", 1);
            InetSockAddr closed = closedPort(b, "192.0.2.2");
            Socket s = Lab.udpSocket(a);
            s.connect(closed);
            s.send(ByteBuffer.allocate(10));
            Lab.await("the datagram to be dropped", 5000, () -> lab.udpStat(b, "dropped due to no socket") == 1);
            s.setOption(SockOpt.SO_RCVTIMEO, 200);
            assertErrno(Errno.EAGAIN, () -> s.recv(ByteBuffer.allocate(100)));
            assertThat(s.send(ByteBuffer.allocate(10))).isEqualTo(10);
            Lab.await("the second datagram to be dropped", 5000, () -> lab.udpStat(b, "dropped due to no socket") == 2);
            assertThat(Lab.icmpStat(b, UNREACH_OUT)).isZero();
            assertThat(Lab.icmpStat(a, UNREACH_IN)).isZero();
            assertThat(s.getOption(SockOpt.SO_ERROR)).isZero();

            // back to 0: the port unreachable is sent again
            Lab.sysctl(b, "net.inet.udp.blackhole", 0);
            s.setOption(SockOpt.SO_RCVTIMEO, 5000);
            s.send(ByteBuffer.allocate(10));
            assertErrno(Errno.ECONNREFUSED, () -> s.recv(ByteBuffer.allocate(100)));
            s.close();
        }
    }
}
