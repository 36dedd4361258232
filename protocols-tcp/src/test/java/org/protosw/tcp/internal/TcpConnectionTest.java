package org.protosw.tcp.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.protosw.tcp.internal.TcpTestbed.*;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.protosw.internal.kern.Vnet;
import org.protosw.internal.socket.SocketInfo;
import org.protosw.socket.Errno;
import org.protosw.socket.InAddr;
import org.protosw.socket.InetSockAddr;
import org.protosw.socket.SockOpt;
import org.protosw.socket.Socket;
import org.protosw.socket.SocketConstants;
import org.protosw.socket.SocketException;
import org.protosw.spi.InPcb;

/** Connection setup, teardown and the errors an application sees. */
class TcpConnectionTest {
    private TcpTestbed tb;

    @BeforeEach
    void setUp() throws Exception {
        tb = new TcpTestbed();
    }

    @AfterEach
    void tearDown() {
        tb.close();
    }

    private Map<TcpState, Integer> states(Vnet v) {
        Map<TcpState, Integer> m = new java.util.EnumMap<>(TcpState.class);
        for (InPcb<TcpCb> inp : tb.tcp(v).table().list()) {
            TcpCb cb = inp.owner();
            if (cb != null) {
                m.merge(cb.tcpState(), 1, Integer::sum);
            }
        }
        return m;
    }

    /** A connected pair: [0] the client in a, [1] the accepted socket in b. */
    private Socket[] connectedPair(int port) throws Exception {
        Socket l = listener(tb.b, B, port, 8);
        Future<Socket> acc = tb.async(l::accept);
        Socket c = tcpSocket(tb.a);
        c.connect(new InetSockAddr(B, port));
        Socket s = acc.get(5, TimeUnit.SECONDS);
        l.close();
        return new Socket[] {c, s};
    }

    @Test
    void connectToClosedPortIsRefused() throws Exception {
        try (Socket c = tcpSocket(tb.a)) {
            assertThatThrownBy(() -> c.connect(new InetSockAddr(B, 9)))
                    .isInstanceOfSatisfying(SocketException.class, e -> assertThat(e.errno()).isEqualTo(Errno.ECONNREFUSED));
        }
        assertThat(tb.stat(tb.b, "resets sent")).isPositive();
        assertThat(tb.stat(tb.b, "dropped due to no socket")).isPositive();
    }

    @Test
    void connectWithoutAnswerTimesOut() throws Exception {
        tb.tcp(tb.a).synRetries.set(2);
        tb.tcp(tb.a).rexmitInitial.set(100);
        try (Socket c = tcpSocket(tb.a)) {
            // 10.0.0.3 is on the link but nobody has it
            assertThatThrownBy(() -> c.connect(new InetSockAddr(InAddr.of(10, 0, 0, 3), 80)))
                    .isInstanceOfSatisfying(SocketException.class, e -> assertThat(e.errno()).isEqualTo(Errno.ETIMEDOUT));
        }
        assertThat(tb.stat(tb.a, "retransmit timeouts")).isEqualTo(2);
        assertThat(tb.stat(tb.a, "connections dropped by rexmit timeout")).isEqualTo(1);
    }

    @Test
    void halfCloseLetsThePeerGoOnSending() throws Exception {
        Socket[] p = connectedPair(8100);
        try (Socket c = p[0]; Socket s = p[1]) {
            c.send(ByteBuffer.wrap("question".getBytes(StandardCharsets.US_ASCII)));
            c.shutdown(SocketConstants.SHUT_WR);
            assertThat(new String(readAll(s, 100), StandardCharsets.US_ASCII)).isEqualTo("question");
            assertThat(eventually(2000, () -> states(tb.a).containsKey(TcpState.FIN_WAIT_2))).isTrue();
            assertThat(states(tb.b)).containsKey(TcpState.CLOSE_WAIT);
            s.send(ByteBuffer.wrap("answer after your FIN".getBytes(StandardCharsets.US_ASCII)));
            s.shutdown(SocketConstants.SHUT_WR);
            assertThat(new String(readAll(c, 100), StandardCharsets.US_ASCII)).isEqualTo("answer after your FIN");
            assertThat(eventually(2000, () -> states(tb.a).containsKey(TcpState.TIME_WAIT))).isTrue();
        }
    }

    @Test
    void simultaneousCloseEndsInTimeWaitOnBothSides() throws Exception {
        tb.pipes("delay 30ms");
        Socket[] p = connectedPair(8101);
        try (Socket c = p[0]; Socket s = p[1]) {
            // both FINs are on the wire before either arrives
            Future<Void> f = tb.async(() -> {
                s.shutdown(SocketConstants.SHUT_WR);
                return null;
            });
            c.shutdown(SocketConstants.SHUT_WR);
            f.get(2, TimeUnit.SECONDS);
            assertThat(readAll(c, 10)).isEmpty();
            assertThat(readAll(s, 10)).isEmpty();
            assertThat(eventually(3000, () -> states(tb.a).containsKey(TcpState.TIME_WAIT)
                    && states(tb.b).containsKey(TcpState.TIME_WAIT))).isTrue();
            assertThat(tb.stat(tb.a, "resets sent") + tb.stat(tb.b, "resets sent")).isZero();
        }
    }

    @Test
    void timeWaitOutlivesTheSocketAndExpiresAfterTwoMsl() throws Exception {
        tb.tcp(tb.a).msl.set(150);
        Socket[] p = connectedPair(8102);
        org.protosw.socket.SockAddr local = p[0].localAddress();
        p[0].close();
        assertThat(readAll(p[1], 10)).isEmpty();
        p[1].close();
        assertThat(eventually(2000, () -> states(tb.a).getOrDefault(TcpState.TIME_WAIT, 0) == 1)).isTrue();
        assertThat(tb.a.sockets().sockets()).isEmpty();
        // the listener may take the port again while TIME_WAIT holds it, with SO_REUSEADDR
        try (Socket l = tcpSocket(tb.a)) {
            l.setOption(SockOpt.SO_REUSEADDR, true);
            l.bind(local);
        }
        assertThat(eventually(2000, () -> states(tb.a).isEmpty())).isTrue();
        assertThat(tb.tcp(tb.b).table().list()).isEmpty();
    }

    @Test
    void lingerZeroResetsThePeer() throws Exception {
        Socket[] p = connectedPair(8103);
        try (Socket s = p[1]) {
            p[0].setOption(SockOpt.SO_LINGER, 0);
            p[0].close();
            assertThatThrownBy(() -> s.recv(ByteBuffer.allocate(10)))
                    .isInstanceOfSatisfying(SocketException.class, e -> assertThat(e.errno()).isEqualTo(Errno.ECONNRESET));
        }
        assertThat(states(tb.a)).isEmpty();
    }

    @Test
    void listenQueueOverflowResetsTheCompletedHandshakeWithRstOnSockFail() throws Exception {
        // FreeBSD's answer; the default keeps the handshake half-open (SynCacheTest)
        tb.b.sysctl().find("net.inet.tcp.syncache.rst_on_sock_fail").set(1);
        tb.tcp(tb.a).synRetries.set(1);
        tb.tcp(tb.a).rexmitInitial.set(100);
        try (Socket l = listener(tb.b, B, 8104, 1)) {
            List<Socket> clients = new ArrayList<>();
            try {
                // backlog 1 admits 3 * 1 / 2 + 1 = 2 connections (BSD's sonewconn arithmetic)
                for (int i = 0; i < 2; i++) {
                    Socket c = tcpSocket(tb.a);
                    clients.add(c);
                    c.connect(new InetSockAddr(B, 8104));
                }
                // both in the queue before the third comes: handshakes of different flows
                // complete in any order (they may be on different netisr workers)
                assertThat(eventually(5000, () -> tb.stat(tb.b, "connection accepts") == 2)).isTrue();
                // the SYN cache completes the third handshake, but the queue has no room for
                // its socket: the ACK is answered with a RST (FreeBSD's rst_on_sock_fail)
                Socket third = tcpSocket(tb.a);
                clients.add(third);
                third.setOption(org.protosw.socket.SockOpt.SO_RCVTIMEO, 5000);
                // the RST may come before connect returns (it then fails) or after (recv fails)
                assertThatThrownBy(() -> {
                    third.connect(new InetSockAddr(B, 8104));
                    third.recv(java.nio.ByteBuffer.allocate(1));
                }).isInstanceOfSatisfying(SocketException.class, e -> assertThat(e.errno()).isEqualTo(Errno.ECONNRESET));
                assertThat(tb.stat(tb.b, "listen queue overflows")).isPositive();
                assertThat(tb.stat(tb.b, "syncache aborted (listen queue full)")).isPositive();
                // the queued ones are still good
                try (Socket s = l.accept()) {
                    assertThat(s.peerAddress()).isIn(clients.get(0).localAddress(), clients.get(1).localAddress());
                }
            } finally {
                clients.forEach(Socket::close);
            }
        }
    }

    @Test
    void netstatShowsRfcStateNames() throws Exception {
        Socket l = listener(tb.b, B, 8105, 8);
        Future<Socket> acc = tb.async(l::accept);
        try (Socket c = tcpSocket(tb.a)) {
            c.connect(new InetSockAddr(B, 8105));
            try (Socket s = acc.get(5, TimeUnit.SECONDS)) {
                List<String> bStates = tb.b.sockets().sockets().stream().map(SocketInfo::state).toList();
                assertThat(bStates).containsExactlyInAnyOrder("LISTEN", "ESTABLISHED");
                assertThat(tb.a.sockets().sockets()).extracting(SocketInfo::state).containsExactly("ESTABLISHED");
                s.shutdown(SocketConstants.SHUT_WR);
                assertThat(readAll(c, 10)).isEmpty();
                assertThat(eventually(2000, () -> tb.a.sockets().sockets().stream().anyMatch(i -> i.state().equals("CLOSE_WAIT")))).isTrue();
                // the ACK of b's FIN may still be on its way when a reports CLOSE_WAIT
                assertThat(eventually(2000, () -> tb.b.sockets().sockets().stream().anyMatch(i -> i.state().equals("FIN_WAIT_2")))).isTrue();
            }
        } finally {
            l.close();
        }
    }

    @Test
    void twoHundredConcurrentConnections() throws Exception {
        tb.tcp(tb.a).msl.set(200);
        tb.tcp(tb.b).msl.set(200);
        int n = 200;
        // all 200 may be waiting in the listen queue while a loaded machine runs the acceptor
        // late: kern.ipc.somaxconn (128) would cap the backlog and reset the rest
        tb.b.sysctl().find(org.protosw.internal.socket.SocketLayer.SOMAXCONN).set(n);
        try (Socket l = listener(tb.b, B, 8106, n)) {
            Future<Integer> server = tb.async(() -> {
                List<Future<Void>> echoes = new ArrayList<>();
                for (int i = 0; i < n; i++) {
                    Socket s = l.accept();
                    echoes.add(tb.async(() -> {
                        try (s) {
                            byte[] got = readAll(s, 1000);
                            sendAll(s, got, 1000);
                        }
                        return null;
                    }));
                }
                for (Future<Void> f : echoes) {
                    f.get(20, TimeUnit.SECONDS);
                }
                return n;
            });
            List<Future<Boolean>> clients = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                int id = i;
                clients.add(tb.async(() -> {
                    try (Socket c = tcpSocket(tb.a)) {
                        c.connect(new InetSockAddr(B, 8106));
                        byte[] msg = ("client " + id).getBytes(StandardCharsets.US_ASCII);
                        c.send(ByteBuffer.wrap(msg));
                        c.shutdown(SocketConstants.SHUT_WR);
                        return java.util.Arrays.equals(readAll(c, 1000), msg);
                    }
                }));
            }
            for (Future<Boolean> f : clients) {
                assertThat(f.get(20, TimeUnit.SECONDS)).isTrue();
            }
            assertThat(server.get(20, TimeUnit.SECONDS)).isEqualTo(n);
        }
        assertThat(tb.a.sockets().sockets()).isEmpty();
        assertThat(states(tb.a).keySet()).containsOnly(TcpState.TIME_WAIT);
        assertThat(eventually(3000, () -> states(tb.a).isEmpty() && states(tb.b).isEmpty())).isTrue();
        assertThat(tb.stat(tb.a, "connections established (including accepts)")).isEqualTo(n);
        assertThat(tb.stat(tb.b, "connection accepts")).isEqualTo(n);
    }

    @Test
    void destroyingAVnetResetsItsPeers() throws Exception {
        Socket[] p = connectedPair(8107);
        try (Socket c = p[0]) {
            Future<Integer> blocked = tb.async(() -> c.recv(ByteBuffer.allocate(10)));
            awaitBlocked(c);
            tb.stack.core().destroyVnet("b");
            assertThatThrownBy(() -> blocked.get(5, TimeUnit.SECONDS))
                    .hasCauseInstanceOf(SocketException.class)
                    .satisfies(e -> assertThat(((SocketException) e.getCause()).errno()).isEqualTo(Errno.ECONNRESET));
            assertThatThrownBy(() -> p[1].recv(ByteBuffer.allocate(10)))
                    .isInstanceOfSatisfying(SocketException.class, e -> assertThat(e.errno()).isEqualTo(Errno.ECONNABORTED));
        }
    }

    @Test
    void unloadingTcpAbortsLocalCallers() throws Exception {
        Socket[] p = connectedPair(8108);
        Future<Integer> blocked = tb.async(() -> p[0].recv(ByteBuffer.allocate(10)));
        awaitBlocked(p[0]);
        tb.stack.unregister(tb.sw);
        assertThatThrownBy(() -> blocked.get(5, TimeUnit.SECONDS))
                .hasCauseInstanceOf(SocketException.class)
                .satisfies(e -> assertThat(((SocketException) e.getCause()).errno()).isEqualTo(Errno.ECONNABORTED));
        assertThatThrownBy(() -> tcpSocket(tb.a))
                .isInstanceOfSatisfying(SocketException.class, e -> assertThat(e.errno()).isEqualTo(Errno.EPROTONOSUPPORT));
        p[0].close();
        p[1].close();
    }
}
