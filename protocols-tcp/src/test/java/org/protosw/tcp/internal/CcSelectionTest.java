package org.protosw.tcp.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.protosw.tcp.internal.TcpTestbed.*;

import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.protosw.internal.net.PipeConfig;
import org.protosw.socket.Errno;
import org.protosw.socket.InetSockAddr;
import org.protosw.socket.Socket;
import org.protosw.socket.SocketConstants;
import org.protosw.socket.SocketException;
import org.protosw.tcp.TcpSockOpts;
import org.protosw.tcp.cc.AckType;
import org.protosw.tcp.cc.CcVars;
import org.protosw.tcp.cc.CongestionControl;
import org.protosw.tcp.cc.CongestionSignal;

/**
 * Picking algorithms: the default, TCP_CONGESTION, and what happens to connections when an
 * algorithm's service goes away (simulated on the registry, as DS would call it).
 */
class CcSelectionTest {
    private TcpTestbed tb;
    private CcRegistry reg;

    /** A third party's algorithm: NewReno's arithmetic, counting the per-connection setups. */
    static final class ThirdParty implements CongestionControl {
        private final NewReno reno = new NewReno();
        final AtomicInteger inits = new AtomicInteger();
        final AtomicInteger destroys = new AtomicInteger();
        final AtomicInteger acks = new AtomicInteger();

        @Override
        public void init(CcVars ccv) {
            inits.incrementAndGet();
            reno.init(ccv);
        }

        @Override
        public void destroy(CcVars ccv) {
            destroys.incrementAndGet();
            reno.destroy(ccv);
        }

        @Override
        public void connInit(CcVars ccv) {
            reno.connInit(ccv);
        }

        @Override
        public void ackReceived(CcVars ccv, AckType type) {
            acks.incrementAndGet();
            reno.ackReceived(ccv, type);
        }

        @Override
        public void congSignal(CcVars ccv, CongestionSignal signal) {
            reno.congSignal(ccv, signal);
        }

        @Override
        public void postRecovery(CcVars ccv) {
            reno.postRecovery(ccv);
        }

        @Override
        public void afterIdle(CcVars ccv) {
            reno.afterIdle(ccv);
        }
    }

    /** A connection a -> b whose sender streams {@code size} bytes; the receiver's result is the future. */
    private record Flow(Socket client, Socket server, Future<byte[]> received, Future<Void> sent, byte[] data) {
        void check() throws Exception {
            sent.get(30, TimeUnit.SECONDS);
            byte[] got = received.get(30, TimeUnit.SECONDS);
            assertThat(got.length).isEqualTo(data.length);
            assertThat(sha256(got)).isEqualTo(sha256(data));
        }

        String algo() throws SocketException {
            return client.getOption(TcpSockOpts.TCP_CONGESTION);
        }
    }

    private Flow flow(Socket listener, int port, int size, String algo) throws Exception {
        byte[] data = randomBytes(size, port);
        Socket c = tcpSocket(tb.a);
        if (algo != null) {
            c.setOption(TcpSockOpts.TCP_CONGESTION, algo);
        }
        c.connect(new InetSockAddr(B, port));
        Socket s = listener.accept();
        Future<byte[]> received = tb.async(() -> readAll(s, size + 1));
        Future<Void> sent = tb.async(() -> {
            sendAll(c, data, 16 * 1024);
            c.shutdown(SocketConstants.SHUT_WR);
            return null;
        });
        return new Flow(c, s, received, sent, data);
    }

    @BeforeEach
    void setUp() throws Exception {
        tb = new TcpTestbed();
        reg = tb.sw.ccRegistry();
        // slow enough that a transfer is still running while the test changes things
        tb.a.pipes().config(1, PipeConfig.parse("bw 20Mbit/s delay 10ms"));
        tb.a.pipes().attach(1, tb.pair.a(), false);
    }

    @AfterEach
    void tearDown() {
        tb.close();
    }

    @Test
    void cubicIsTheDefaultAndTcpCongestionPicksPerSocket() throws Exception {
        try (Socket s = tcpSocket(tb.a)) {
            assertThat(s.getOption(TcpSockOpts.TCP_CONGESTION)).isEqualTo("cubic");
            s.setOption(TcpSockOpts.TCP_CONGESTION, "newreno");
            assertThat(s.getOption(TcpSockOpts.TCP_CONGESTION)).isEqualTo("newreno");
            assertThat(s.getOption(TcpSockOpts.TCP_INFO).congestionControl()).isEqualTo("newreno");
            assertThatThrownBy(() -> s.setOption(TcpSockOpts.TCP_CONGESTION, "bbr"))
                    .isInstanceOfSatisfying(SocketException.class, e -> assertThat(e.errno()).isEqualTo(Errno.ENOENT))
                    .hasMessageContaining("'bbr'").hasMessageContaining("available: cubic, newreno");
            assertThatThrownBy(() -> s.setOption(TcpSockOpts.TCP_CONGESTION, ""))
                    .isInstanceOfSatisfying(SocketException.class, e -> assertThat(e.errno()).isEqualTo(Errno.EINVAL));
            assertThat(s.getOption(TcpSockOpts.TCP_CONGESTION)).isEqualTo("newreno");
        }
    }

    @Test
    void acceptedConnectionsUseTheListenersAlgorithmAndSwitchingMidTransferKeepsTheBytes() throws Exception {
        try (Socket l = tcpSocket(tb.b)) {
            l.setOption(TcpSockOpts.TCP_CONGESTION, "newreno");
            l.bind(new InetSockAddr(B, 8200));
            l.listen(4);
            Flow f = flow(l, 8200, 1 << 20, null);
            assertThat(f.server().getOption(TcpSockOpts.TCP_CONGESTION)).isEqualTo("newreno");
            assertThat(f.algo()).isEqualTo("cubic");
            assertThat(eventually(5000, () -> tb.stat(tb.a, "data packets sent") > 100)).isTrue();
            f.client().setOption(TcpSockOpts.TCP_CONGESTION, "newreno");
            long cwnd = f.client().getOption(TcpSockOpts.TCP_INFO).cwnd();
            assertThat(cwnd).isGreaterThanOrEqualTo(f.client().getOption(TcpSockOpts.TCP_MAXSEG));
            assertThat(f.algo()).isEqualTo("newreno");
            f.check();
            f.client().close();
            f.server().close();
        }
    }

    @Test
    void switchingTheDefaultWhileConnectionsRun() throws Exception {
        CcCommand cmd = new CcCommand(reg);
        try (Socket l = listener(tb.b, B, 8300, 8)) {
            Flow first = flow(l, 8300, 1 << 20, null);
            assertThat(eventually(5000, () -> tb.stat(tb.a, "data packets sent") > 50)).isTrue();
            assertThat(cmd.cc("set", "default", "newreno")).startsWith("default: cubic -> newreno");
            Flow second = flow(l, 8300, 512 << 10, null);
            assertThat(first.algo()).isEqualTo("cubic");
            assertThat(second.algo()).isEqualTo("newreno");
            String list = cmd.cc();
            assertThat(list).containsPattern("(?m)^newreno\\s+\\*\\s+[1-9]");
            assertThat(list).containsPattern("(?m)^cubic\\s+[1-9]");
            first.check();
            second.check();
            for (Flow f : new Flow[] {first, second}) {
                f.client().close();
                f.server().close();
            }
        }
        assertThat(reg.defaultAlgo().name()).isEqualTo("newreno");
        assertThat(reg.configuredDefault()).isEqualTo("newreno");
    }

    @Test
    void unloadingAnAlgorithmMovesItsConnectionsToTheDefault() throws Exception {
        ThirdParty third = new ThirdParty();
        assertThat(reg.register("third", third, "test.bundle [42]")).isTrue();
        assertThat(reg.register("third", new ThirdParty(), "other.bundle [43]")).isFalse();
        try (Socket l = listener(tb.b, B, 8400, 4)) {
            Flow f = flow(l, 8400, 1 << 20, "third");
            assertThat(eventually(5000, () -> third.acks.get() > 20)).isTrue();
            assertThat(reg.connectionCounts()).containsEntry("third", 1);
            assertThat(reg.unregister(third)).isEqualTo(1);
            assertThat(f.algo()).isEqualTo("cubic");
            assertThat(third.destroys.get()).isEqualTo(third.inits.get());
            long cwnd = f.client().getOption(TcpSockOpts.TCP_INFO).cwnd();
            assertThat(cwnd).isGreaterThanOrEqualTo(f.client().getOption(TcpSockOpts.TCP_MAXSEG));
            assertThatThrownBy(() -> f.client().setOption(TcpSockOpts.TCP_CONGESTION, "third"))
                    .isInstanceOfSatisfying(SocketException.class, e -> assertThat(e.errno()).isEqualTo(Errno.ENOENT));
            f.check();
            f.client().close();
            f.server().close();
        }
        assertThat(reg.unregister(third)).isZero();
    }

    @Test
    void unloadingTheDefaultFallsBackToNewRenoUntilItReturns() throws Exception {
        ThirdParty third = new ThirdParty();
        reg.register("third", third, "test.bundle [42]");
        CcCommand cmd = new CcCommand(reg);
        cmd.cc("set", "default", "third");
        try (Socket l = listener(tb.b, B, 8500, 4)) {
            Flow f = flow(l, 8500, 512 << 10, null);
            assertThat(f.algo()).isEqualTo("third");
            // the client, the listener and the connection it accepted: all took the default
            assertThat(reg.unregister(third)).isEqualTo(3);
            assertThat(f.server().getOption(TcpSockOpts.TCP_CONGESTION)).isEqualTo("newreno");
            assertThat(reg.defaultAlgo().name()).isEqualTo("newreno");
            assertThat(f.algo()).isEqualTo("newreno");
            assertThat(cmd.cc("list")).contains("configured default 'third' is not available");
            try (Socket s = tcpSocket(tb.a)) {
                assertThat(s.getOption(TcpSockOpts.TCP_CONGESTION)).isEqualTo("newreno");
            }
            f.check();
            f.client().close();
            f.server().close();
        }
        reg.register("third", third, "test.bundle [42]");
        assertThat(reg.defaultAlgo().name()).isEqualTo("third");
    }

    @Test
    void newRenoOutlivesItsService() throws Exception {
        CcAlgo service = reg.lookup("newreno");
        reg.setDefault("newreno");
        try (Socket l = listener(tb.b, B, 8600, 4)) {
            Flow f = flow(l, 8600, 256 << 10, null);
            assertThat(reg.unregister(service.impl())).isEqualTo(3);
            CcAlgo builtIn = reg.lookup("newreno");
            assertThat(builtIn).isNotSameAs(service);
            assertThat(builtIn.provider()).contains("built in");
            assertThat(reg.defaultAlgo()).isSameAs(builtIn);
            assertThat(f.algo()).isEqualTo("newreno");
            assertThat(reg.names()).containsExactly("cubic", "newreno");
            f.check();
            f.client().close();
            f.server().close();
        }
    }

    @Test
    void ccCommandErrorsAreOneLine() {
        CcCommand cmd = new CcCommand(reg);
        assertThat(cmd.cc()).startsWith("NAME").contains("cubic").contains("newreno");
        assertThatThrownBy(() -> cmd.cc("set", "default", "vegas"))
                .hasToString("cc set default: no congestion control algorithm 'vegas' (available: cubic, newreno)");
        assertThatThrownBy(() -> cmd.cc("set", "vegas")).hasToString(
                "cc set: expected 'set default NAME' (usage: " + CcCommand.USAGE + ")");
        assertThatThrownBy(() -> cmd.cc("unload", "cubic")).hasToString(
                "cc: unknown subcommand 'unload cubic' (usage: " + CcCommand.USAGE + ")");
        assertThat(reg.defaultAlgo().name()).isEqualTo("cubic");
    }
}
