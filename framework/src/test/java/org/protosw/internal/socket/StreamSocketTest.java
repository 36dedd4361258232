package org.protosw.internal.socket;

import static org.assertj.core.api.Assertions.assertThat;
import static org.protosw.internal.socket.Errnos.assertErrno;
import static org.protosw.internal.socket.Errnos.buf;
import static org.protosw.internal.socket.Errnos.pattern;
import static org.protosw.internal.socket.Errnos.str;
import static org.protosw.socket.SocketConstants.MSG_DONTWAIT;
import static org.protosw.socket.SocketConstants.MSG_PEEK;
import static org.protosw.socket.SocketConstants.MSG_WAITALL;
import static org.protosw.socket.SocketConstants.SHUT_RD;
import static org.protosw.socket.SocketConstants.SHUT_RDWR;
import static org.protosw.socket.SocketConstants.SHUT_WR;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.protosw.socket.Errno;
import org.protosw.socket.InetSockAddr;
import org.protosw.socket.SockOpt;
import org.protosw.socket.Socket;
import org.protosw.socket.SocketException;

class StreamSocketTest {
    private final TestNet net = new TestNet();
    private final TestStreamProto proto = net.streamProto();
    private final ExecutorService pool = Executors.newCachedThreadPool();
    private final List<Socket> open = new ArrayList<>();

    @AfterEach
    void tearDown() throws InterruptedException {
        open.forEach(Socket::close);
        pool.shutdownNow();
        assertThat(pool.awaitTermination(5, TimeUnit.SECONDS)).isTrue();
        net.close();
        assertThat(proto.ledger.violations()).isEmpty();
        assertThat(proto.ledger.detaches.get()).isEqualTo(proto.ledger.attaches.get());
    }

    private Socket keep(Socket s) {
        open.add(s);
        return s;
    }

    private Socket listener(int backlog) throws SocketException {
        Socket l = keep(net.stream());
        l.bind(InetSockAddr.of("127.0.0.1", 0));
        l.listen(backlog);
        return l;
    }

    /** A connected pair: [client, server side]. */
    private Socket[] pair() throws SocketException {
        Socket l = listener(5);
        Socket c = keep(net.stream());
        c.connect(l.localAddress());
        Socket s = keep(l.accept());
        return new Socket[] {c, s};
    }

    private static void waitInFlight(Socket s) {
        while (((SocketImpl) s).threadsInFlight().isEmpty()) {
            Thread.onSpinWait();
        }
    }

    @Test
    void connectAcceptAndTalkBothWays() throws Exception {
        Socket l = listener(5);
        assertThat(l.getOption(SockOpt.SO_ACCEPTCONN)).isTrue();
        Socket c = keep(net.stream());
        c.connect(l.localAddress());
        assertThat(c.isConnected()).isTrue();
        Socket s = keep(l.accept());
        assertThat(s.isConnected()).isTrue();
        assertThat(s.peerAddress()).isEqualTo(c.localAddress());
        assertThat(c.peerAddress()).isEqualTo(l.localAddress());
        assertThat(s.getOption(SockOpt.SO_ACCEPTCONN)).isFalse();

        assertThat(c.send(buf("ping"))).isEqualTo(4);
        ByteBuffer in = ByteBuffer.allocate(16);
        assertThat(s.recv(in)).isEqualTo(4);
        assertThat(str(in, 4)).isEqualTo("ping");
        s.send(buf("pong"));
        in.clear();
        assertThat(c.recvfrom(in, 0).length()).isEqualTo(4);
        assertThat(str(in, 4)).isEqualTo("pong");

        var states = net.layer.sockets().stream().map(SocketInfo::state).toList();
        assertThat(states).containsExactly("LISTEN", "ESTABLISHED", "ESTABLISHED");
        assertThat(net.layer.sockets().get(0).listening()).isTrue();
    }

    @Test
    void aBlockedSenderGoesOnAsTheReaderTakesData() throws Exception {
        Socket[] p = pair();
        byte[] data = pattern(100_000);
        Future<Integer> writer = pool.submit(() -> p[0].send(ByteBuffer.wrap(data)));
        ByteArrayOutputStream got = new ByteArrayOutputStream();
        ByteBuffer in = ByteBuffer.allocate(3000);
        while (got.size() < data.length) {
            in.clear();
            int n = p[1].recv(in);
            assertThat(n).isPositive();
            got.write(in.array(), 0, n);
        }
        assertThat(writer.get(5, TimeUnit.SECONDS)).isEqualTo(data.length);
        assertThat(got.toByteArray()).isEqualTo(data);
    }

    @Test
    void nonBlockingSendTakesWhatFitsThenEagain() throws Exception {
        Socket[] p = pair();
        p[0].setNonBlocking(true);
        ByteBuffer big = ByteBuffer.wrap(pattern(64 * 1024));
        // 8192 bytes move into the peer's receive buffer, 8192 wait in the send buffer
        assertThat(p[0].send(big)).isEqualTo(16384);
        assertThat(big.position()).isEqualTo(16384);
        assertErrno(Errno.EAGAIN, () -> p[0].send(big));
        assertErrno(Errno.EAGAIN, () -> p[0].send(ByteBuffer.allocate(10), 0));
        p[1].recv(ByteBuffer.allocate(100));
        assertThat(p[0].send(ByteBuffer.allocate(100))).isEqualTo(100);
    }

    @Test
    void sendTimeoutIsEagainOrThePartialCount() throws Exception {
        Socket[] p = pair();
        p[0].setOption(SockOpt.SO_SNDTIMEO, 30);
        assertThat(p[0].send(ByteBuffer.allocate(20_000))).isEqualTo(16384);
        assertErrno(Errno.EAGAIN, () -> p[0].send(ByteBuffer.allocate(100)));
    }

    @Test
    void waitallGathersTheWholeRequest() throws Exception {
        Socket[] p = pair();
        Future<?> writer = pool.submit(() -> {
            for (int i = 0; i < 3; i++) {
                p[0].send(ByteBuffer.wrap(pattern(1000)));
                Thread.sleep(5);
            }
            return null;
        });
        ByteBuffer in = ByteBuffer.allocate(3000);
        assertThat(p[1].recv(in, MSG_WAITALL)).isEqualTo(3000);
        writer.get(5, TimeUnit.SECONDS);
    }

    @Test
    void peekThenRead() throws Exception {
        Socket[] p = pair();
        p[0].send(buf("abcdefghij"));
        ByteBuffer peek = ByteBuffer.allocate(5);
        assertThat(p[1].recv(peek, MSG_PEEK)).isEqualTo(5);
        ByteBuffer all = ByteBuffer.allocate(20);
        assertThat(p[1].recv(all)).isEqualTo(10);
        assertThat(str(peek, 5)).isEqualTo("abcde");
        assertThat(str(all, 10)).isEqualTo("abcdefghij");
    }

    @Test
    void receiveLowWaterMark() throws Exception {
        Socket[] p = pair();
        p[1].setOption(SockOpt.SO_RCVLOWAT, 10);
        p[1].setOption(SockOpt.SO_RCVTIMEO, 30);
        p[0].send(buf("12345"));
        assertErrno(Errno.EAGAIN, () -> p[1].recv(ByteBuffer.allocate(64)));
        // a non-blocking receive takes what is there
        assertThat(p[1].recv(ByteBuffer.allocate(3), MSG_DONTWAIT)).isEqualTo(3);
        p[0].send(buf("67890abc"));
        ByteBuffer in = ByteBuffer.allocate(64);
        assertThat(p[1].recv(in)).isEqualTo(10);
        assertThat(str(in, 10)).isEqualTo("4567890abc");
    }

    @Test
    void shutdownWriteGivesThePeerEndOfStreamAndTheWriterEpipe() throws Exception {
        Socket[] p = pair();
        p[0].send(buf("last words"));
        p[0].shutdown(SHUT_WR);
        assertErrno(Errno.EPIPE, () -> p[0].send(buf("more")));
        ByteBuffer in = ByteBuffer.allocate(64);
        assertThat(p[1].recv(in)).isEqualTo(10);
        assertThat(p[1].recv(in)).isZero();
        assertThat(p[1].recv(in)).isZero();
        // the other direction still works
        p[1].send(buf("ok"));
        ByteBuffer back = ByteBuffer.allocate(8);
        assertThat(p[0].recv(back)).isEqualTo(2);
    }

    @Test
    void shutdownReadDiscardsAndReadsEndOfStream() throws Exception {
        Socket[] p = pair();
        p[0].send(buf("unread"));
        p[1].shutdown(SHUT_RD);
        assertThat(p[1].recv(ByteBuffer.allocate(64))).isZero();
        p[0].send(buf("dropped"));
        assertThat(p[1].recv(ByteBuffer.allocate(64))).isZero();
    }

    @Test
    void shutdownBothWaysWakesABlockedReader() throws Exception {
        Socket[] p = pair();
        Future<Integer> reader = pool.submit(() -> p[1].recv(ByteBuffer.allocate(8)));
        waitInFlight(p[1]);
        p[1].shutdown(SHUT_RDWR);
        assertThat(reader.get(5, TimeUnit.SECONDS)).isZero();
    }

    @Test
    void unconnectedStreamSocket() throws Exception {
        Socket s = keep(net.stream());
        assertErrno(Errno.ENOTCONN, () -> s.send(buf("x")));
        assertErrno(Errno.ENOTCONN, () -> s.recv(ByteBuffer.allocate(4)));
        assertErrno(Errno.ENOTCONN, () -> s.shutdown(SHUT_WR));
        assertErrno(Errno.ENOTCONN, s::peerAddress);
        assertErrno(Errno.ENOTCONN, s::disconnect);
        assertErrno(Errno.ENOTCONN, () -> s.sendto(buf("x"), 0, InetSockAddr.of("127.0.0.1", 1)));
    }

    @Test
    void connectedStreamSocketRefusesAnAddressAndASecondConnect() throws Exception {
        Socket[] p = pair();
        assertErrno(Errno.EISCONN, () -> p[0].sendto(buf("x"), 0, InetSockAddr.of("127.0.0.1", 1)));
        assertErrno(Errno.EISCONN, () -> p[0].connect(InetSockAddr.of("127.0.0.1", 1)));
        assertErrno(Errno.EINVAL, () -> p[0].listen(1));
    }

    @Test
    void connectWithoutListenerIsRefused() throws Exception {
        Socket c = keep(net.stream());
        assertErrno(Errno.ECONNREFUSED, () -> c.connect(InetSockAddr.of("127.0.0.1", 1)));
        assertThat(c.isConnected()).isFalse();
    }

    @Test
    void connectOnAListenerIsEopnotsupp() throws Exception {
        Socket l = listener(1);
        assertErrno(Errno.EOPNOTSUPP, () -> l.connect(InetSockAddr.of("127.0.0.1", 1)));
    }

    @Test
    void nonBlockingConnectIsInProgressThenAlready() throws Exception {
        proto.manualHandshake = true;
        Socket l = listener(5);
        l.setNonBlocking(true);
        Socket c = keep(net.stream());
        c.setNonBlocking(true);
        assertErrno(Errno.EINPROGRESS, () -> c.connect(l.localAddress()));
        assertErrno(Errno.EALREADY, () -> c.connect(l.localAddress()));
        assertThat(c.isConnected()).isFalse();
        // the embryonic connection is not ready for accept
        assertErrno(Errno.EAGAIN, l::accept);
        proto.completeHandshakes();
        assertThat(c.isConnected()).isTrue();
        assertThat(c.getOption(SockOpt.SO_ERROR)).isZero();
        Socket s = keep(l.accept());
        assertThat(s.isConnected()).isTrue();
    }

    @Test
    void blockingConnectWaitsForTheHandshake() throws Exception {
        proto.manualHandshake = true;
        Socket l = listener(5);
        Socket c = keep(net.stream());
        Future<?> connecting = pool.submit(() -> {
            c.connect(l.localAddress());
            return null;
        });
        waitInFlight(c);
        while ((((SocketImpl) c).so.state & ProtoSocketImpl.SS_ISCONNECTING) == 0) {
            Thread.onSpinWait();
        }
        proto.completeHandshakes();
        connecting.get(5, TimeUnit.SECONDS);
        assertThat(c.isConnected()).isTrue();
    }

    @Test
    void failedHandshakeFreesTheEmbryonicConnection() throws Exception {
        proto.manualHandshake = true;
        Socket l = listener(5);
        l.setNonBlocking(true);
        Socket c = keep(net.stream());
        c.setNonBlocking(true);
        assertErrno(Errno.EINPROGRESS, () -> c.connect(l.localAddress()));
        assertThat(net.layer.socketCount()).isEqualTo(3);
        proto.failHandshakes();
        assertThat(c.getOption(SockOpt.SO_ERROR)).isEqualTo(Errno.ECONNREFUSED.number());
        assertErrno(Errno.EAGAIN, l::accept);
        assertThat(net.layer.socketCount()).as("the embryo was aborted and detached").isEqualTo(2);
        assertThat(proto.ledger.aborts.get()).isEqualTo(1);
    }

    @Test
    void listenQueueOverflowRefusesAsFreeBsdDoes() throws Exception {
        Socket l = listener(2);
        List<Socket> clients = new ArrayList<>();
        // FreeBSD queues until the queue holds more than 3 * backlog / 2
        for (int i = 0; i < 4; i++) {
            Socket c = keep(net.stream());
            c.connect(l.localAddress());
            clients.add(c);
        }
        Socket late = keep(net.stream());
        assertErrno(Errno.ECONNREFUSED, () -> late.connect(l.localAddress()));
        assertThat(((SocketImpl) l).so.listenOverflows()).isEqualTo(1);
        keep(l.accept());
        Socket another = keep(net.stream());
        another.connect(l.localAddress());
        assertThat(another.isConnected()).isTrue();
    }

    @Test
    void backlogIsBoundBySomaxconn() throws Exception {
        net.sysctl.find(SocketLayer.SOMAXCONN).set(2);
        Socket l = listener(1000);
        for (int i = 0; i < 4; i++) {
            keep(net.stream()).connect(l.localAddress());
        }
        assertErrno(Errno.ECONNREFUSED, () -> keep(net.stream()).connect(l.localAddress()));
    }

    @Test
    void closingAListenerAbortsItsQueuedConnections() throws Exception {
        Socket l = listener(5);
        Socket c1 = keep(net.stream());
        Socket c2 = keep(net.stream());
        c1.connect(l.localAddress());
        c2.connect(l.localAddress());
        l.close();
        assertErrno(Errno.ECONNRESET, () -> c1.recv(ByteBuffer.allocate(4)));
        // BSD's sosend checks SBS_CANTSENDMORE before so_error; the reset stays readable
        assertErrno(Errno.EPIPE, () -> c2.send(buf("x")));
        assertThat(c2.getOption(SockOpt.SO_ERROR)).isEqualTo(Errno.ECONNRESET.number());
        assertThat(proto.ledger.aborts.get()).isEqualTo(2);
        assertThat(net.layer.socketCount()).isEqualTo(2);
    }

    @Test
    void acceptErrors() throws Exception {
        Socket s = keep(net.stream());
        assertErrno(Errno.EINVAL, s::accept);
        Socket l = listener(1);
        l.setOption(SockOpt.SO_RCVTIMEO, 20);
        assertErrno(Errno.EAGAIN, l::accept);
        l.setNonBlocking(true);
        assertErrno(Errno.EAGAIN, l::accept);
    }

    @Test
    void closingAListenerWakesABlockedAcceptWithEbadf() throws Exception {
        Socket l = listener(1);
        Future<?> acceptor = pool.submit(() -> {
            assertErrno(Errno.EBADF, l::accept);
            return null;
        });
        waitInFlight(l);
        l.close();
        acceptor.get(5, TimeUnit.SECONDS);
    }

    @Test
    void acceptedSocketsInheritTheListenersOptions() throws Exception {
        Socket l = listener(5);
        l.setOption(SockOpt.SO_KEEPALIVE, true);
        l.setOption(SockOpt.SO_RCVBUF, 20_000);
        Socket c = keep(net.stream());
        c.connect(l.localAddress());
        Socket s = keep(l.accept());
        assertThat(s.getOption(SockOpt.SO_KEEPALIVE)).isTrue();
        assertThat(s.getOption(SockOpt.SO_RCVBUF)).isEqualTo(20_000);
    }

    @Test
    void orderlyCloseIsEndOfStreamForThePeer() throws Exception {
        Socket[] p = pair();
        p[0].send(buf("bye"));
        p[0].close();
        ByteBuffer in = ByteBuffer.allocate(8);
        assertThat(p[1].recv(in)).isEqualTo(3);
        assertThat(p[1].recv(in)).isZero();
        assertThat(proto.ledger.closes.get()).isEqualTo(1);
    }

    @Test
    void lingerMakesCloseWaitForTheConnectionToEnd() throws Exception {
        Socket[] p = pair();
        p[0].setOption(SockOpt.SO_LINGER, 10);
        Future<?> closing = pool.submit(() -> p[0].close());
        // the peer has not closed: the connection lingers in FIN_WAIT and close waits
        while (!((SocketImpl) p[0]).isClosed()) {
            Thread.onSpinWait();
        }
        Thread.sleep(50);
        assertThat(closing.isDone()).isFalse();
        p[1].close();
        closing.get(5, TimeUnit.SECONDS);
    }

    @Test
    void aProtocolThatThrowsAnUncheckedExceptionSurfacesAsEio() throws Exception {
        Socket s = keep(net.stream());
        // the test protocol casts the address: a foreign kind of address makes it throw
        assertThatEio(() -> s.bind(() -> 99));
    }

    private static void assertThatEio(org.assertj.core.api.ThrowableAssert.ThrowingCallable call) {
        assertErrno(Errno.EIO, call);
    }
}
