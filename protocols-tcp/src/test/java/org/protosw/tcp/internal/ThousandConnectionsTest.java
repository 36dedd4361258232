package org.protosw.tcp.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.protosw.tcp.internal.TcpTestbed.*;

import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.protosw.internal.kern.Vnet;
import org.protosw.internal.socket.SocketLayer;
import org.protosw.socket.InetSockAddr;
import org.protosw.socket.Socket;
import org.protosw.spi.InPcb;

/**
 * A thousand connections between two stack instances over an epair, all open at once, each
 * moving 16 KiB each way, then closed: afterwards the connection tables hold nothing but the
 * closing side's TIME_WAIT, and that expires after 2 MSL.
 */
class ThousandConnectionsTest {
    private static final int N = 1000;
    private static final int PORT = 8200;
    private static final long PAYLOAD = 16 * 1024;
    /**
     * TIME_WAIT lasts 2 MSL from when it is entered (a later change of net.inet.tcp.msl does
     * not move it): short enough to watch it end, long enough to outlast closing them all.
     */
    private static final long MSL_MS = 1000;
    private static final long WAIT_S = 60;

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
        Map<TcpState, Integer> m = new EnumMap<>(TcpState.class);
        for (InPcb<TcpCb> inp : tb.tcp(v).table().list()) {
            TcpCb cb = inp.owner();
            if (cb != null) {
                m.merge(cb.tcpState(), 1, Integer::sum);
            }
        }
        return m;
    }

    /** The client's stream for the connection from {@code port}, and the server's answer. */
    private static long seed(int clientPort, boolean fromServer) {
        return clientPort * 2L + (fromServer ? 1 : 0);
    }

    /** Waits (bounded) for the latch; a client that failed meanwhile fails the test at once with its cause. */
    private static void awaitAll(CountDownLatch latch, List<Future<Boolean>> clients) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(WAIT_S);
        while (!latch.await(100, TimeUnit.MILLISECONDS)) {
            for (Future<Boolean> f : clients) {
                if (f.isDone()) {
                    assertThat(f.get()).as("a client finished before all were open").isTrue();
                }
            }
            assertThat(System.nanoTime() - deadline).as("all connections up and exchanged in time").isNegative();
        }
    }

    @Test
    void thousandConcurrentConnectionsExchangeAndCloseLeavingOnlyTimeWaitWhichExpires() throws Exception {
        for (Vnet v : new Vnet[] {tb.a, tb.b}) {
            v.sysctl().find(TcpProtocol.SYSCTL_MSL).set(MSL_MS);
        }
        // the listen queue may hold up to 1.5 times the backlog, which kern.ipc.somaxconn
        // caps (128 by default, as in FreeBSD): a server expecting a thousand at once raises it
        tb.b.sysctl().find(SocketLayer.SOMAXCONN).set(N);

        long t0 = System.nanoTime();
        long up;
        long closed;
        CountDownLatch exchanged = new CountDownLatch(N);
        CountDownLatch release = new CountDownLatch(1);
        try (Socket l = listener(tb.b, B, PORT, N)) {
            Future<List<Future<Boolean>>> server = tb.async(() -> {
                List<Future<Boolean>> handlers = new ArrayList<>();
                for (int i = 0; i < N; i++) {
                    Socket s = l.accept();
                    handlers.add(tb.async(() -> {
                        try (s) {
                            int port = ((InetSockAddr) s.peerAddress()).port();
                            sendStream(s, PAYLOAD, seed(port, true), 8192);
                            boolean ok = readStream(s, PAYLOAD).equals(expectedStream(PAYLOAD, seed(port, false)));
                            // the client closes first; then nothing more may arrive
                            return readStream(s).bytes() == 0 && ok;
                        }
                    }));
                }
                return handlers;
            });
            List<Future<Boolean>> clients = new ArrayList<>();
            for (int i = 0; i < N; i++) {
                clients.add(tb.async(() -> {
                    try (Socket c = tcpSocket(tb.a)) {
                        c.connect(new InetSockAddr(B, PORT));
                        int port = ((InetSockAddr) c.localAddress()).port();
                        sendStream(c, PAYLOAD, seed(port, false), 8192);
                        boolean ok = readStream(c, PAYLOAD).equals(expectedStream(PAYLOAD, seed(port, true)));
                        exchanged.countDown();
                        // no connection closes before all of them are open
                        return release.await(WAIT_S, TimeUnit.SECONDS) && ok;
                    }
                }));
            }
            awaitAll(exchanged, clients);
            up = System.nanoTime();
            assertThat(states(tb.a)).isEqualTo(Map.of(TcpState.ESTABLISHED, N));
            assertThat(states(tb.b)).isEqualTo(Map.of(TcpState.ESTABLISHED, N, TcpState.LISTEN, 1));
            release.countDown();

            for (Future<Boolean> f : clients) {
                assertThat(f.get(WAIT_S, TimeUnit.SECONDS)).isTrue();
            }
            for (Future<Boolean> f : server.get(WAIT_S, TimeUnit.SECONDS)) {
                assertThat(f.get(WAIT_S, TimeUnit.SECONDS)).isTrue();
            }
        }
        closed = System.nanoTime();
        // the active closers wait in TIME_WAIT, without sockets; the passive side is gone
        // once its FIN is acknowledged
        assertThat(tb.a.sockets().sockets()).isEmpty();
        assertThat(tb.b.sockets().sockets()).isEmpty();
        // (the last FINs may still be on their way to a)
        assertThat(eventually(WAIT_S * 1000, () -> states(tb.a).equals(Map.of(TcpState.TIME_WAIT, N))))
                .as("a's table: %s", states(tb.a)).isTrue();
        assertThat(eventually(WAIT_S * 1000, () -> states(tb.b).isEmpty())).as("b's table: %s", states(tb.b)).isTrue();

        assertThat(eventually(WAIT_S * 1000, () -> states(tb.a).isEmpty())).as("a's table: %s", states(tb.a)).isTrue();
        System.out.printf(Locale.ROOT, "[connections] %d up with 16 KiB each way in %.2f s, closed in %.2f s,"
                + " TIME_WAIT (2 MSL = %d ms) gone %.2f s later%n",
                N, (up - t0) / 1e9, (closed - up) / 1e9, 2 * MSL_MS, (System.nanoTime() - closed) / 1e9);
        assertThat(tb.tcp(tb.a).table().list()).isEmpty();
        assertThat(tb.tcp(tb.b).table().list()).isEmpty();

        assertThat(tb.stat(tb.a, "connections established (including accepts)")).isEqualTo(N);
        assertThat(tb.stat(tb.b, "connection accepts")).isEqualTo(N);
        // nothing was refused or reset, no SYN cookie was needed
        assertThat(tb.stat(tb.b, "listen queue overflows")).isZero();
        assertThat(tb.stat(tb.b, "syncache bucket overflow") + tb.stat(tb.b, "syncache cache overflow")).isZero();
        assertThat(tb.stat(tb.b, "cookies sent")).isZero();
        assertThat(tb.stat(tb.a, "resets sent") + tb.stat(tb.b, "resets sent")).isZero();
        assertThat(tb.stat(tb.a, "bytes received in-sequence")).isEqualTo(N * PAYLOAD);
        assertThat(tb.stat(tb.b, "bytes received in-sequence")).isEqualTo(N * PAYLOAD);
    }
}
