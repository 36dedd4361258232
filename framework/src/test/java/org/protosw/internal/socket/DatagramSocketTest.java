package org.protosw.internal.socket;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.protosw.internal.socket.Errnos.assertErrno;
import static org.protosw.internal.socket.Errnos.buf;
import static org.protosw.internal.socket.Errnos.str;
import static org.protosw.socket.SocketConstants.AF_INET;
import static org.protosw.socket.SocketConstants.MSG_DONTWAIT;
import static org.protosw.socket.SocketConstants.MSG_PEEK;
import static org.protosw.socket.SocketConstants.SHUT_RD;
import static org.protosw.socket.SocketConstants.SHUT_WR;
import static org.protosw.socket.SocketConstants.SOCK_DGRAM;
import static org.protosw.socket.SocketConstants.SOL_SOCKET;

import java.nio.ByteBuffer;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.protosw.socket.Errno;
import org.protosw.socket.InetSockAddr;
import org.protosw.socket.RecvInfo;
import org.protosw.socket.SockOpt;
import org.protosw.socket.Socket;
import org.protosw.socket.SocketException;
import org.protosw.spi.ProtoSwEntry;

class DatagramSocketTest {
    private final TestNet net = new TestNet();
    private final TestDgramProto proto = net.dgramProto();
    private final ExecutorService pool = Executors.newCachedThreadPool();

    @AfterEach
    void tearDown() throws InterruptedException {
        pool.shutdownNow();
        assertThat(pool.awaitTermination(5, TimeUnit.SECONDS)).isTrue();
        net.close();
        assertThat(proto.ledger.violations()).isEmpty();
        assertThat(proto.ledger.detaches.get()).isEqualTo(proto.ledger.attaches.get());
    }

    private Socket bound() throws SocketException {
        Socket s = net.dgram();
        s.bind(InetSockAddr.of("127.0.0.1", 0));
        return s;
    }

    @Test
    void datagramToItselfComesBackWithSenderAndInterface() throws Exception {
        try (Socket s = bound()) {
            InetSockAddr me = (InetSockAddr) s.localAddress();
            assertThat(s.sendto(buf("hello"), 0, me)).isEqualTo(5);
            ByteBuffer in = ByteBuffer.allocate(64);
            RecvInfo info = s.recvfrom(in, 0);
            assertThat(info.length()).isEqualTo(5);
            assertThat(str(in, 5)).isEqualTo("hello");
            assertThat(info.from()).isEqualTo(me);
            assertThat(info.ifname()).isEqualTo("lo0");
            assertThat(info.truncated()).isFalse();
            assertThat(s.type()).isEqualTo(SOCK_DGRAM);
            assertThat(s.protocol()).isEqualTo(17);
            assertThat(s.stack()).isSameAs(net.stack);
        }
    }

    @Test
    void sendAdvancesThePositionAndDirectBuffersWork() throws Exception {
        try (Socket s = bound()) {
            ByteBuffer out = ByteBuffer.allocateDirect(10);
            out.put("0123456789".getBytes()).flip();
            out.position(3);
            s.sendto(out, 0, s.localAddress());
            assertThat(out.remaining()).isZero();
            ByteBuffer in = ByteBuffer.allocateDirect(16);
            assertThat(s.recv(in, 0)).isEqualTo(7);
            assertThat(in.position()).isEqualTo(7);
            byte[] got = new byte[7];
            in.flip().get(got);
            assertThat(new String(got)).isEqualTo("3456789");
        }
    }

    @Test
    void longDatagramIsTruncatedAndTheRestDiscarded() throws Exception {
        try (Socket s = bound()) {
            s.sendto(buf("0123456789abcdef"), 0, s.localAddress());
            s.sendto(buf("next"), 0, s.localAddress());
            ByteBuffer small = ByteBuffer.allocate(4);
            RecvInfo info = s.recvfrom(small, 0);
            assertThat(info.length()).isEqualTo(4);
            assertThat(info.truncated()).isTrue();
            assertThat(str(small, 4)).isEqualTo("0123");
            ByteBuffer in = ByteBuffer.allocate(64);
            assertThat(s.recv(in, 0)).isEqualTo(4);
            assertThat(str(in, 4)).isEqualTo("next");
        }
    }

    @Test
    void peekLeavesTheDatagramQueued() throws Exception {
        try (Socket s = bound()) {
            s.sendto(buf("once"), 0, s.localAddress());
            ByteBuffer a = ByteBuffer.allocate(16);
            ByteBuffer b = ByteBuffer.allocate(16);
            assertThat(s.recv(a, MSG_PEEK)).isEqualTo(4);
            assertThat(s.recv(b, 0)).isEqualTo(4);
            assertThat(str(a, 4)).isEqualTo(str(b, 4));
            assertErrno(Errno.EAGAIN, () -> s.recv(ByteBuffer.allocate(16), MSG_DONTWAIT));
        }
    }

    @Test
    void datagramAboveSndbufIsEmsgsize() throws Exception {
        try (Socket s = bound()) {
            s.setOption(SockOpt.SO_SNDBUF, 100);
            assertErrno(Errno.EMSGSIZE, () -> s.sendto(ByteBuffer.allocate(101), 0, s.localAddress()));
            assertThat(s.sendto(ByteBuffer.allocate(100), 0, s.localAddress())).isEqualTo(100);
        }
    }

    @Test
    void unconnectedSendWithoutAddressIsEdestaddrreq() throws Exception {
        try (Socket s = bound()) {
            assertErrno(Errno.EDESTADDRREQ, () -> s.send(buf("x")));
        }
    }

    /**
     * A record protocol without PR_ADDR never sees a send without an address on an
     * unconnected socket: the core answers EDESTADDRREQ (a PR_ADDR protocol decides itself).
     */
    @Test
    void withoutPrAddrTheCoreAnswersEdestaddrreqBeforeThePcb() throws Exception {
        TestDgramProto plain = new TestDgramProto();
        Map<String, Object> props = TestDgramProto.props("tatomic", 200);
        props.put(ProtoSwEntry.FLAGS, new String[] {ProtoSwEntry.PR_ATOMIC});
        assertThat(net.register(plain, props).accepted()).isTrue();
        try (Socket s = net.stack.socket(AF_INET, SOCK_DGRAM, 200)) {
            s.bind(InetSockAddr.of("127.0.0.1", 0));
            int before = plain.ledger.calls.get();
            assertErrno(Errno.EDESTADDRREQ, () -> s.send(buf("x")));
            assertThat(plain.ledger.calls.get()).as("pcb calls for the refused send").isEqualTo(before);
            assertThat(s.sendto(buf("y"), 0, s.localAddress())).isEqualTo(1);
        }
        assertThat(plain.ledger.violations()).isEmpty();
    }

    @Test
    void smallRcvbufMakesTheProtocolDrop() throws Exception {
        try (Socket s = bound()) {
            s.setOption(SockOpt.SO_RCVBUF, 250);
            for (int i = 0; i < 3; i++) {
                s.sendto(ByteBuffer.allocate(100), 0, s.localAddress());
            }
            TestDgramProto.Proto p = proto.instance("default");
            assertThat(p.delivered.get()).isEqualTo(2);
            assertThat(p.fullDrops.get()).isEqualTo(1);
            s.setNonBlocking(true);
            assertThat(s.recv(ByteBuffer.allocate(200))).isEqualTo(100);
            assertThat(s.recv(ByteBuffer.allocate(200))).isEqualTo(100);
            assertErrno(Errno.EAGAIN, () -> s.recv(ByteBuffer.allocate(200)));
        }
    }

    @Test
    void nonBlockingAndDontwaitGiveEagain() throws Exception {
        try (Socket s = bound()) {
            assertErrno(Errno.EAGAIN, () -> s.recv(ByteBuffer.allocate(8), MSG_DONTWAIT));
            assertThat(s.isNonBlocking()).isFalse();
            s.setNonBlocking(true);
            assertThat(s.isNonBlocking()).isTrue();
            assertErrno(Errno.EAGAIN, () -> s.recv(ByteBuffer.allocate(8), 0));
            assertErrno(Errno.EAGAIN, () -> s.recvfrom(ByteBuffer.allocate(8), 0));
        }
    }

    @Test
    void receiveTimeoutIsEagain() throws Exception {
        try (Socket s = bound()) {
            s.setOption(SockOpt.SO_RCVTIMEO, 30);
            assertThat(s.getOption(SockOpt.SO_RCVTIMEO)).isEqualTo(30);
            assertErrno(Errno.EAGAIN, () -> s.recv(ByteBuffer.allocate(8)));
        }
    }

    @Test
    void blockedReceiverWakesForData() throws Exception {
        try (Socket r = bound(); Socket w = net.dgram()) {
            Future<String> got = pool.submit(() -> {
                ByteBuffer in = ByteBuffer.allocate(32);
                int n = r.recv(in);
                return str(in, n);
            });
            w.sendto(buf("wake up"), 0, r.localAddress());
            assertThat(got.get(5, TimeUnit.SECONDS)).isEqualTo("wake up");
        }
    }

    @Test
    void anInterruptedReceiverGetsEintrAndKeepsItsInterruptFlag() throws Exception {
        try (Socket s = bound()) {
            Future<Boolean> reader = pool.submit(() -> {
                assertErrno(Errno.EINTR, () -> s.recv(ByteBuffer.allocate(8)));
                return Thread.currentThread().isInterrupted();
            });
            while (((SocketImpl) s).threadsInFlight().isEmpty()) {
                Thread.onSpinWait();
            }
            Thread t = ((SocketImpl) s).threadsInFlight().get(0);
            t.interrupt();
            assertThat(reader.get(5, TimeUnit.SECONDS)).isTrue();
            // the socket is unharmed
            s.sendto(buf("x"), 0, s.localAddress());
            assertThat(s.recv(ByteBuffer.allocate(8))).isEqualTo(1);
        }
    }

    @Test
    void everyCallAfterCloseIsEbadf() throws Exception {
        Socket s = bound();
        InetSockAddr addr = InetSockAddr.of("127.0.0.1", 9);
        s.close();
        assertThat(s.isClosed()).isTrue();
        assertThatCode(s::close).doesNotThrowAnyException();
        assertErrno(Errno.EBADF, () -> s.bind(addr));
        assertErrno(Errno.EBADF, () -> s.listen(1));
        assertErrno(Errno.EBADF, s::accept);
        assertErrno(Errno.EBADF, () -> s.connect(addr));
        assertErrno(Errno.EBADF, s::disconnect);
        assertErrno(Errno.EBADF, () -> s.send(buf("x")));
        assertErrno(Errno.EBADF, () -> s.sendto(buf("x"), 0, addr));
        assertErrno(Errno.EBADF, () -> s.recv(ByteBuffer.allocate(4)));
        assertErrno(Errno.EBADF, () -> s.recvfrom(ByteBuffer.allocate(4), 0));
        assertErrno(Errno.EBADF, () -> s.shutdown(SHUT_RD));
        assertErrno(Errno.EBADF, () -> s.setOption(SockOpt.SO_REUSEADDR, true));
        assertErrno(Errno.EBADF, () -> s.getOption(SockOpt.SO_TYPE));
        assertErrno(Errno.EBADF, s::localAddress);
        assertErrno(Errno.EBADF, s::peerAddress);
        assertErrno(Errno.EBADF, () -> s.setNonBlocking(true));
        assertThat(s.isConnected()).isFalse();
        assertThat(proto.ledger.closes.get()).isEqualTo(1);
        assertThat(proto.ledger.detaches.get()).isEqualTo(1);
        assertThat(net.layer.socketCount()).isZero();
    }

    @Test
    void closeWakesABlockedReceiverWithEbadfAndDetachesAfterIt() throws Exception {
        Socket s = bound();
        Future<?> reader = pool.submit(() -> {
            assertErrno(Errno.EBADF, () -> s.recv(ByteBuffer.allocate(8)));
            return null;
        });
        while (proto.instance("default").live.get() == 1 && ((SocketImpl) s).threadsInFlight().isEmpty()) {
            Thread.onSpinWait();
        }
        s.close();
        reader.get(5, TimeUnit.SECONDS);
        assertThat(proto.ledger.detaches.get()).isEqualTo(1);
    }

    @Test
    void shutdownReadOnAnUnconnectedDatagramSocketWakesTheReaderButSaysEnotconn() throws Exception {
        try (Socket s = bound()) {
            Future<Integer> reader = pool.submit(() -> s.recv(ByteBuffer.allocate(8)));
            while (((SocketImpl) s).threadsInFlight().isEmpty()) {
                Thread.onSpinWait();
            }
            assertErrno(Errno.ENOTCONN, () -> s.shutdown(SHUT_RD));
            assertThat(reader.get(5, TimeUnit.SECONDS)).isZero();
            // later datagrams are discarded: recv keeps answering end of file
            s.sendto(buf("late"), 0, s.localAddress());
            assertThat(s.recv(ByteBuffer.allocate(8))).isZero();
        }
    }

    @Test
    void sendAfterShutdownWriteIsEpipe() throws Exception {
        try (Socket a = bound(); Socket b = bound()) {
            a.connect(b.localAddress());
            a.shutdown(SHUT_WR);
            assertErrno(Errno.EPIPE, () -> a.send(buf("x")));
            assertErrno(Errno.EINVAL, () -> a.shutdown(7));
        }
    }

    @Test
    void connectSetsTheDefaultPeerAndDisconnectDissolvesIt() throws Exception {
        try (Socket a = bound(); Socket b = bound(); Socket c = bound()) {
            assertErrno(Errno.ENOTCONN, a::peerAddress);
            assertErrno(Errno.ENOTCONN, a::disconnect);
            a.connect(b.localAddress());
            assertThat(a.isConnected()).isTrue();
            assertThat(a.peerAddress()).isEqualTo(b.localAddress());
            a.send(buf("to b"));
            ByteBuffer in = ByteBuffer.allocate(16);
            RecvInfo info = b.recvfrom(in, 0);
            assertThat(str(in, info.length())).isEqualTo("to b");
            assertThat(info.from()).isEqualTo(a.localAddress());
            // the protocol refuses an address on a connected datagram socket, as UDP does
            assertErrno(Errno.EISCONN, () -> a.sendto(buf("x"), 0, c.localAddress()));
            // a datagram socket may move its association
            a.connect(c.localAddress());
            assertThat(a.peerAddress()).isEqualTo(c.localAddress());
            a.disconnect();
            assertThat(a.isConnected()).isFalse();
            assertErrno(Errno.EDESTADDRREQ, () -> a.send(buf("x")));
        }
    }

    @Test
    void pendingErrorIsReportedOnceThenCleared() throws Exception {
        try (Socket a = bound()) {
            a.connect(InetSockAddr.of("127.0.0.1", 9));
            a.send(buf("nobody listens"));
            assertThat(a.getOption(SockOpt.SO_ERROR)).isEqualTo(Errno.ECONNREFUSED.number());
            assertThat(a.getOption(SockOpt.SO_ERROR)).isZero();
            a.send(buf("again"));
            assertErrno(Errno.ECONNREFUSED, () -> a.recv(ByteBuffer.allocate(8), MSG_DONTWAIT));
            assertErrno(Errno.EAGAIN, () -> a.recv(ByteBuffer.allocate(8), MSG_DONTWAIT));
            a.send(buf("and again"));
            assertErrno(Errno.ECONNREFUSED, () -> a.send(buf("reported by the next send")));
        }
    }

    @Test
    void socketLevelOptionsKeptByTheCore() throws Exception {
        try (Socket s = bound()) {
            for (SockOpt<Boolean> o : java.util.List.of(SockOpt.SO_REUSEADDR, SockOpt.SO_REUSEPORT, SockOpt.SO_BROADCAST,
                    SockOpt.SO_KEEPALIVE, SockOpt.SO_DONTROUTE)) {
                assertThat(s.getOption(o)).as(o.label()).isFalse();
                s.setOption(o, true);
                assertThat(s.getOption(o)).as(o.label()).isTrue();
                SocketImpl impl = (SocketImpl) s;
                assertThat(impl.so.option(o)).isTrue();
                s.setOption(o, false);
                assertThat(s.getOption(o)).as(o.label()).isFalse();
            }
            assertThat(s.getOption(SockOpt.SO_LINGER)).isEqualTo(-1);
            s.setOption(SockOpt.SO_LINGER, 3);
            assertThat(s.getOption(SockOpt.SO_LINGER)).isEqualTo(3);
            assertThat(((SocketImpl) s).so.linger()).isEqualTo(3);
            assertErrno(Errno.EINVAL, () -> s.setOption(SockOpt.SO_LINGER, -2));
            // SO_KEEPALIVE and SO_LINGER are shown to the protocol too
            assertThat(proto.socketOptionsSeen).contains("SO_KEEPALIVE=true", "SO_LINGER=3");

            s.setOption(SockOpt.SO_SNDBUF, 4096);
            s.setOption(SockOpt.SO_RCVBUF, 100_000);
            assertThat(s.getOption(SockOpt.SO_SNDBUF)).isEqualTo(4096);
            assertThat(s.getOption(SockOpt.SO_RCVBUF)).isEqualTo(100_000);
            assertErrno(Errno.EINVAL, () -> s.setOption(SockOpt.SO_SNDBUF, 0));
            assertErrno(Errno.EINVAL, () -> s.setOption(SockOpt.SO_RCVBUF, -5));
            assertErrno(Errno.ENOBUFS, () -> s.setOption(SockOpt.SO_RCVBUF, 2 * 1024 * 1024 + 1));
            net.sysctl.find(SocketLayer.MAXSOCKBUF).set(65536);
            assertErrno(Errno.ENOBUFS, () -> s.setOption(SockOpt.SO_SNDBUF, 65537));

            s.setOption(SockOpt.SO_RCVLOWAT, 10);
            assertThat(s.getOption(SockOpt.SO_RCVLOWAT)).isEqualTo(10);
            s.setOption(SockOpt.SO_SNDLOWAT, 1_000_000);
            assertThat(s.getOption(SockOpt.SO_SNDLOWAT)).as("clamped to SO_SNDBUF").isEqualTo(4096);
            assertErrno(Errno.EINVAL, () -> s.setOption(SockOpt.SO_RCVLOWAT, 0));
            s.setOption(SockOpt.SO_SNDTIMEO, 250);
            assertThat(s.getOption(SockOpt.SO_SNDTIMEO)).isEqualTo(250);
            assertErrno(Errno.EINVAL, () -> s.setOption(SockOpt.SO_RCVTIMEO, -1));

            assertThat(s.getOption(SockOpt.SO_TYPE)).isEqualTo(SOCK_DGRAM);
            assertThat(s.getOption(SockOpt.SO_ACCEPTCONN)).isFalse();
            assertErrno(Errno.ENOPROTOOPT, () -> s.setOption(SockOpt.SO_TYPE, 1));
            assertErrno(Errno.ENOPROTOOPT, () -> s.setOption(SockOpt.SO_ERROR, 0));
            SockOpt<Integer> unknown = SockOpt.of(SOL_SOCKET, 0x7777, "SO_UNKNOWN", Integer.class);
            assertErrno(Errno.ENOPROTOOPT, () -> s.setOption(unknown, 1));
            assertErrno(Errno.ENOPROTOOPT, () -> s.getOption(unknown));
            SockOpt<Integer> wrongType = SockOpt.of(SOL_SOCKET, SockOpt.SO_REUSEADDR.name(), "SO_REUSEADDR", Integer.class);
            assertErrno(Errno.EINVAL, () -> s.setOption(wrongType, 1));
            assertErrno(Errno.EINVAL, () -> s.getOption(wrongType));
        }
    }

    @Test
    void otherLevelsGoToTheProtocol() throws Exception {
        try (Socket s = bound()) {
            s.setOption(TestDgramProto.TEST_OPT, 42);
            assertThat(s.getOption(TestDgramProto.TEST_OPT)).isEqualTo(42);
            assertErrno(Errno.ENOPROTOOPT, () -> s.setOption(SockOpt.IP_TTL, 3));
            assertErrno(Errno.ENOPROTOOPT, () -> s.getOption(SockOpt.IP_TTL));
            assertErrno(Errno.EINVAL, () -> s.setOption(TestDgramProto.TEST_OPT, null));
        }
    }

    @Test
    void requestsTheProtocolLacksAreEopnotsupp() throws Exception {
        try (Socket s = bound()) {
            assertErrno(Errno.EOPNOTSUPP, () -> s.listen(5));
            assertErrno(Errno.EINVAL, s::accept);
        }
    }

    @Test
    void attachWithoutPcbIsEprotoAndAThrowingAttachEio() {
        proto.attachReturnsNull = true;
        assertErrno(Errno.EPROTO, net::dgram);
        proto.attachReturnsNull = false;
        // an unchecked exception is a bug of the protocol, as in any other request: EIO
        proto.attachThrows = new IllegalStateException("protocol bug");
        assertErrno(Errno.EIO, net::dgram);
        proto.attachThrows = null;
        assertThat(net.layer.socketCount()).isZero();
        assertThat(proto.ledger.attaches.get()).isZero();
    }

    /**
     * Issue 11 changed DESIGN.md's point 1: the socket's link to its pcb may change, only while
     * the socket is frozen for a live upgrade and no thread is inside the protocol
     * (UpgradeTest, UpgradeStressTest); the field is volatile so every thread sees the new
     * pcb once the gate opens, and it is never null (the core's dead pcb stands in).
     */
    @Test
    void pcbFieldIsVolatileAndNeverNull() throws Exception {
        assertThat(java.lang.reflect.Modifier.isVolatile(SocketImpl.class.getDeclaredField("pcb").getModifiers())).isTrue();
        org.protosw.socket.Socket s = net.dgram();
        assertThat(((SocketImpl) s).pcb).isNotNull();
        s.close();
        assertThat(((SocketImpl) s).pcb).as("after the detach: the core's own, not the protocol's").isSameAs(DeadPcb.INSTANCE);
    }

    @Test
    void netstatSnapshot() throws Exception {
        try (Socket a = bound(); Socket b = bound()) {
            a.connect(b.localAddress());
            a.send(buf("12345"));
            Socket c = net.dgram();
            c.close();
            var infos = net.layer.sockets();
            assertThat(infos).hasSize(2);
            SocketInfo ia = infos.get(0);
            SocketInfo ib = infos.get(1);
            assertThat(ia.protocol()).isEqualTo("tudp");
            assertThat(ia.type()).isEqualTo(SOCK_DGRAM);
            assertThat(ia.local()).isEqualTo(a.localAddress());
            assertThat(ia.foreign()).isEqualTo(b.localAddress());
            assertThat(ia.state()).isEqualTo("CONNECTED");
            assertThat(ib.foreign()).as("ENOTCONN is tolerated").isNull();
            assertThat(ib.recvQ()).isEqualTo(5);
            assertThat(ib.sendQ()).isZero();
            assertThat(ib.listening()).isFalse();
            assertThat(ib.closed()).isFalse();
        }
    }
}
