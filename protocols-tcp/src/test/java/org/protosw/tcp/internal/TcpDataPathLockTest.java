package org.protosw.tcp.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.protosw.tcp.internal.TcpTestbed.*;

import java.nio.ByteBuffer;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicLong;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.protosw.internal.kern.GlobalLock;
import org.protosw.internal.kern.Vnet;
import org.protosw.internal.sw.ScopedContext;
import org.protosw.socket.InAddr;
import org.protosw.socket.InetSockAddr;
import org.protosw.socket.SockOpt;
import org.protosw.socket.Socket;
import org.protosw.spi.Pfil;
import org.protosw.spi.PfilHook;
import org.protosw.tcp.TcpInfo;
import org.protosw.tcp.TcpSockOpts;
import org.protosw.wire.Ipv4Header;
import org.protosw.wire.TcpHeader;

/**
 * DESIGN.md: no global lock on the send or receive path, for ESTABLISHED TCP (issue 12). Once
 * the connections are made, the listeners closed and one small exchange each way has put
 * every lazy first use behind, {@link GlobalLock#acquisitions()} must not move while: bulk
 * data flows both ways at once over lo0 and across an epair (sends, receives, ACK processing,
 * window updates, buffer autotuning); small writes with pauses leave every ACK to the
 * delayed-ACK timer; a receiver that stops reading closes the window, the persist timer
 * probes it and reading opens it again; a lossy pipe makes SACK/RACK recovery and (with a
 * blackout until both ends have timed out) the retransmission timer run. Each scenario also
 * checks in TCP's counters that what it is about really happened, and that the bytes arrived
 * intact (SHA-256 of the sent stream against that of the received one). Closing the sockets
 * at the end must take global locks (each socket leaves the socket table under its lock), so
 * the counter is seen counting and no scenario passes because nothing is counted.
 *
 * <p>The counter is JVM-wide: anything else that takes a global lock meanwhile (a stack left
 * running by another test) fails this test too. Nothing asserts a time; waits are bounded and
 * fail with a message saying what did not happen. One global-lock acquisition put by hand into
 * the delayed-ACK timer, the timeout branch or the persist branch of the retransmission timer,
 * or SACK recovery's entry made the scenario that runs it fail.
 */
class TcpDataPathLockTest {
    private static final InAddr EP_A = InAddr.of(192, 0, 2, 1);
    private static final InAddr EP_B = InAddr.of(192, 0, 2, 2);
    private static final InAddr LOCALHOST = InAddr.of(127, 0, 0, 1);
    private static final long MIB = 1L << 20;
    /** A scenario's transfer in which nothing moved for this long has stalled: it fails with each control block's variables. */
    private static final long QUIET_SECONDS = 15;
    /** The longest a scenario waits for the condition it sets up (window closed, timers fired). */
    private static final long SETUP_WAIT_MS = 15_000;

    private TcpTestbed tb;

    @BeforeEach
    void setUp() throws Exception {
        tb = new TcpTestbed(EP_A, EP_B);
    }

    @AfterEach
    void tearDown() {
        tb.close();
    }

    /** One connection: the end that connected and the end the listener accepted. */
    private record Conn(String name, Socket client, Socket server) {
    }

    private interface SocketSetup {
        void apply(Socket s) throws Exception;
    }

    private interface Body {
        void run() throws Exception;
    }

    /** One stream of a scenario: {@code size} bytes of the seeded stream from {@code tx} to {@code rx}. */
    private record Flow(String name, Socket tx, Socket rx, long size, long seed, AtomicLong received) {
        Flow(String name, Socket tx, Socket rx, long size, long seed) {
            this(name, tx, rx, size, seed, new AtomicLong());
        }
    }

    /** Both ends of a flow while it runs. */
    private record Running(Flow flow, Future<StreamDigest> sender, Future<StreamDigest> receiver) {
    }

    /**
     * A connection from {@code from} to a listener at {@code addr:port} in {@code to}; the
     * listener (whose options the accepted socket inherits) is closed before this returns, so
     * no global-lock work of connection setup is left for the measurement.
     */
    private Conn connect(String name, Vnet from, Vnet to, InAddr addr, int port, SocketSetup setup) throws Exception {
        Socket c = tcpSocket(from);
        try (Socket l = tcpSocket(to)) {
            setup.apply(l);
            l.bind(new InetSockAddr(addr, port));
            l.listen(1);
            Future<Socket> accepted = tb.async(l::accept);
            setup.apply(c);
            c.connect(new InetSockAddr(addr, port));
            Socket s = tb.await(accepted, name + ": accept", c);
            assertThat(c.getOption(TcpSockOpts.TCP_INFO).state()).as(name).isEqualTo("ESTABLISHED");
            return new Conn(name, c, s);
        }
    }

    /** One small exchange each way on each connection: lazy first uses are behind the measurement. */
    private void warmUp(Conn... conns) throws Exception {
        for (Conn k : conns) {
            List<Running> r = start(List.of(new Flow(k.name() + " warm-up >", k.client(), k.server(), 4096, 90),
                    new Flow(k.name() + " warm-up <", k.server(), k.client(), 4096, 91)));
            finish("warm-up", r);
        }
    }

    /** Starts every flow's receiver and sender (virtual threads). */
    private List<Running> start(List<Flow> flows) {
        List<Running> running = new ArrayList<>();
        for (Flow f : flows) {
            Future<StreamDigest> rx = tb.async(() -> readStream(f.rx(), f.size(), f.received()));
            Future<StreamDigest> tx = tb.async(() -> sendStream(f.tx(), f.size(), f.seed(), 64 * 1024));
            running.add(new Running(f, tx, rx));
        }
        return running;
    }

    /** Waits for every flow (failing on a stall) and checks that each receiver read exactly what its sender sent. */
    private void finish(String scenario, List<Running> running) throws Exception {
        Socket[] all = running.stream().flatMap(r -> java.util.stream.Stream.of(r.flow().tx(), r.flow().rx())).distinct()
                .toArray(Socket[]::new);
        java.util.function.LongSupplier progress = () -> running.stream().mapToLong(r -> r.flow().received().get()).sum();
        for (Running r : running) {
            StreamDigest sent = tb.awaitProgress(r.sender(), progress, QUIET_SECONDS, scenario + ", sender of " + r.flow().name(), all);
            StreamDigest got = tb.awaitProgress(r.receiver(), progress, QUIET_SECONDS, scenario + ", receiver of " + r.flow().name(), all);
            assertThat(sent.bytes()).as("%s: bytes sent by %s", scenario, r.flow().name()).isEqualTo(r.flow().size());
            assertThat(got).as("%s: what %s received (byte count and SHA-256) against what was sent", scenario, r.flow().name())
                    .isEqualTo(sent);
        }
    }

    /** Runs {@code body}: not one global lock may be taken meanwhile, by any thread. */
    private static void noGlobalLock(String scenario, Body body) throws Exception {
        long before = GlobalLock.acquisitions();
        long t0 = System.nanoTime();
        body.run();
        long taken = GlobalLock.acquisitions() - before;
        System.out.printf(Locale.ROOT, "[lock] %s: %.2f s, %d global lock acquisitions%n", scenario, (System.nanoTime() - t0) / 1e9, taken);
        assertThat(taken).as("global lock acquisitions during %s (ESTABLISHED connections: the data path)", scenario).isZero();
    }

    /** Closes the scenario's sockets: this must count, each socket leaving the socket table under its lock. */
    private static void closeAndSeeTheCounterCount(String scenario, Conn... conns) {
        long atClose = GlobalLock.acquisitions();
        for (Conn k : conns) {
            k.client().close();
            k.server().close();
        }
        assertThat(GlobalLock.acquisitions() - atClose)
                .as("global lock acquisitions of closing the %d sockets of %s (the counter must count)", 2 * conns.length, scenario)
                .isGreaterThanOrEqualTo(2L * conns.length);
    }

    /** A counter's growth since {@code before}. */
    private long delta(Vnet v, String name, long before) {
        return tb.stat(v, name) - before;
    }

    private void set(String sysctl, long value) throws Exception {
        for (Vnet v : List.of(tb.a, tb.b)) {
            v.sysctl().find(sysctl).set(value);
        }
    }

    /** A counter of both stacks together. */
    private long both(String stat) {
        return tb.stat(tb.a, stat) + tb.stat(tb.b, stat);
    }

    // ---------------------------------------------------------------------------------------

    @Test
    void bulkBothWaysAtOnceOverLoopbackAndTheEpair() throws Exception {
        String scenario = "bulk, 16 MiB each way at once over lo0 and across the epair";
        Conn lo = connect("lo0", tb.a, tb.a, LOCALHOST, 9001, s -> { });
        Conn ep = connect("epair", tb.a, tb.b, EP_B, 9002, s -> { });
        warmUp(lo, ep);
        long acksA = tb.stat(tb.a, "acks");
        long acksB = tb.stat(tb.b, "acks");
        long inSeqA = tb.stat(tb.a, "bytes received in-sequence");
        long inSeqB = tb.stat(tb.b, "bytes received in-sequence");
        long winupd = both("window update packets");
        long tuned = both("receive buffer autotuning steps");
        noGlobalLock(scenario, () -> finish(scenario, start(List.of(
                new Flow("lo0 client>server", lo.client(), lo.server(), 16 * MIB, 1),
                new Flow("lo0 server>client", lo.server(), lo.client(), 16 * MIB, 2),
                new Flow("epair a>b", ep.client(), ep.server(), 16 * MIB, 3),
                new Flow("epair b>a", ep.server(), ep.client(), 16 * MIB, 4)))));
        System.out.printf(Locale.ROOT, "[lock]   window updates sent %d, receive buffer autotuning steps %d%n",
                both("window update packets") - winupd,
                both("receive buffer autotuning steps") - tuned);
        // a holds both lo0 ends and one end of the epair, b the other
        assertThat(delta(tb.a, "bytes received in-sequence", inSeqA)).as(scenario).isGreaterThanOrEqualTo(3 * 16 * MIB);
        assertThat(delta(tb.b, "bytes received in-sequence", inSeqB)).as(scenario).isGreaterThanOrEqualTo(16 * MIB);
        assertThat(both("window update packets") - winupd)
                .as("%s: window updates sent", scenario).isPositive();
        assertThat(delta(tb.a, "acks", acksA)).as("%s: ACKs processed in a", scenario).isPositive();
        assertThat(delta(tb.b, "acks", acksB)).as("%s: ACKs processed in b", scenario).isPositive();
        closeAndSeeTheCounterCount(scenario, lo, ep);
    }

    @Test
    void smallWritesWithPausesLeaveTheAcksToTheDelayedAckTimer() throws Exception {
        String scenario = "small writes (100 bytes, 60 ms apart: longer than delacktime) over lo0 and the epair";
        Conn lo = connect("lo0", tb.a, tb.a, LOCALHOST, 9011, s -> { });
        Conn ep = connect("epair", tb.a, tb.b, EP_B, 9012, s -> { });
        warmUp(lo, ep);
        assertThat(tb.a.sysctl().find(TcpProtocol.SYSCTL_DELACKTIME).get()).isLessThan(60);
        int writes = 30;
        int size = 100;
        // only the receivers get data: a's delayed ACKs are lo0's server's, b's the epair's server's
        long delackA = tb.stat(tb.a, "ack-only packets delayed");
        long delackB = tb.stat(tb.b, "ack-only packets delayed");
        noGlobalLock(scenario, () -> {
            List<Future<StreamDigest>> tx = new ArrayList<>();
            List<Future<StreamDigest>> rx = new ArrayList<>();
            int seed = 20;
            for (Conn k : List.of(lo, ep)) {
                rx.add(tb.async(() -> readStream(k.server(), (long) writes * size)));
                int s = seed++;
                tx.add(tb.async(() -> trickle(k.client(), writes, size, 60, s)));
            }
            for (int i = 0; i < tx.size(); i++) {
                Conn k = i == 0 ? lo : ep;
                StreamDigest sent = tb.await(tx.get(i), scenario + ", sender on " + k.name(), k.client(), k.server());
                StreamDigest got = tb.await(rx.get(i), scenario + ", receiver on " + k.name(), k.client(), k.server());
                assertThat(got).as("%s: what %s's server received against what was sent", scenario, k.name()).isEqualTo(sent);
            }
        });
        System.out.printf(Locale.ROOT, "[lock]   delayed ACKs: a (lo0) %d, b (epair) %d%n", delta(tb.a, "ack-only packets delayed", delackA),
                delta(tb.b, "ack-only packets delayed", delackB));
        assertThat(delta(tb.a, "ack-only packets delayed", delackA)).as("%s: delayed ACKs lo0's receiver (in a) sent", scenario).isPositive();
        assertThat(delta(tb.b, "ack-only packets delayed", delackB)).as("%s: delayed ACKs the epair's receiver (in b) sent", scenario)
                .isPositive();
        closeAndSeeTheCounterCount(scenario, lo, ep);
    }

    /** {@code writes} writes of {@code size} seeded bytes, {@code pauseMs} apart; what was sent. */
    private static StreamDigest trickle(Socket s, int writes, int size, long pauseMs, long seed) throws Exception {
        MessageDigest md = MessageDigest.getInstance("SHA-256");
        Random r = new Random(seed);
        byte[] b = new byte[size];
        for (int i = 0; i < writes; i++) {
            r.nextBytes(b);
            md.update(b);
            ByteBuffer bb = ByteBuffer.wrap(b);
            while (bb.hasRemaining()) {
                s.send(bb);
            }
            Thread.sleep(pauseMs);
        }
        return new StreamDigest((long) writes * size, md.digest());
    }

    @Test
    void zeroWindowIsProbedByThePersistTimerAndReopenedByReading() throws Exception {
        String scenario = "zero window (receivers stop reading, persist probes, reading reopens) over lo0 and the epair";
        // probes 100..200 ms apart instead of 5 s..60 s; receive buffers stay 32 KiB
        set(TcpProtocol.SYSCTL_PERSMIN, 100);
        set(TcpProtocol.SYSCTL_PERSMAX, 200);
        set(TcpProtocol.SYSCTL_RECVBUF_AUTO, 0);
        SocketSetup small = s -> s.setOption(SockOpt.SO_RCVBUF, 32 * 1024);
        Conn lo = connect("lo0", tb.a, tb.a, LOCALHOST, 9021, small);
        Conn ep = connect("epair", tb.a, tb.b, EP_B, 9022, small);
        warmUp(lo, ep);
        long size = MIB;
        // the senders are in a; the receivers are lo0's server (in a) and the epair's (in b)
        long persist = tb.stat(tb.a, "persist timeouts");
        long probesSent = tb.stat(tb.a, "window probe packets");
        long probesA = tb.stat(tb.a, "window probes");
        long probesB = tb.stat(tb.b, "window probes");
        long winupdA = tb.stat(tb.a, "window update packets");
        long winupdB = tb.stat(tb.b, "window update packets");
        noGlobalLock(scenario, () -> {
            List<Future<StreamDigest>> tx = new ArrayList<>();
            int seed = 30;
            for (Conn k : List.of(lo, ep)) {
                int s = seed++;
                tx.add(tb.async(() -> sendStream(k.client(), size, s, 16 * 1024)));
            }
            // nobody reads until each sender has seen the window closed and probed it three times
            for (Conn k : List.of(lo, ep)) {
                boolean probed = eventually(SETUP_WAIT_MS, () -> {
                    TcpInfo i = info(k.client());
                    return i.sndWnd() == 0 && i.retransmits() >= 3;
                });
                assertThat(probed).as("%s: %s's sender saw a zero window and probed it 3 times within %d ms (%s)", scenario, k.name(),
                        SETUP_WAIT_MS, k.client().getOption(TcpSockOpts.TCP_INFO)).isTrue();
            }
            List<Future<StreamDigest>> rx = new ArrayList<>();
            for (Conn k : List.of(lo, ep)) {
                rx.add(tb.async(() -> readStream(k.server(), size)));
            }
            for (int i = 0; i < tx.size(); i++) {
                Conn k = i == 0 ? lo : ep;
                StreamDigest sent = tb.await(tx.get(i), scenario + ", sender on " + k.name(), k.client(), k.server());
                StreamDigest got = tb.await(rx.get(i), scenario + ", receiver on " + k.name(), k.client(), k.server());
                assertThat(got).as("%s: what %s's server received against what was sent", scenario, k.name()).isEqualTo(sent);
            }
        });
        System.out.printf(Locale.ROOT, "[lock]   persist timeouts %d, probes sent %d, probes received a %d b %d, window updates sent a %d b %d%n",
                delta(tb.a, "persist timeouts", persist), delta(tb.a, "window probe packets", probesSent),
                delta(tb.a, "window probes", probesA), delta(tb.b, "window probes", probesB),
                delta(tb.a, "window update packets", winupdA), delta(tb.b, "window update packets", winupdB));
        assertThat(delta(tb.a, "persist timeouts", persist)).as("%s: persist timeouts", scenario).isGreaterThanOrEqualTo(6);
        assertThat(delta(tb.a, "window probe packets", probesSent)).as("%s: zero-window probes sent", scenario).isPositive();
        assertThat(delta(tb.a, "window probes", probesA)).as("%s: zero-window probes lo0's receiver (in a) got", scenario).isPositive();
        assertThat(delta(tb.b, "window probes", probesB)).as("%s: zero-window probes the epair's receiver (in b) got", scenario).isPositive();
        assertThat(delta(tb.a, "window update packets", winupdA)).as("%s: window updates lo0's receiver (in a) sent", scenario).isPositive();
        assertThat(delta(tb.b, "window update packets", winupdB)).as("%s: window updates the epair's receiver (in b) sent", scenario)
                .isPositive();
        closeAndSeeTheCounterCount(scenario, lo, ep);
    }

    private static TcpInfo info(Socket s) {
        try {
            return s.getOption(TcpSockOpts.TCP_INFO);
        } catch (org.protosw.socket.SocketException e) {
            throw new AssertionError(s + ": TCP_INFO", e);
        }
    }

    /** While {@code dark}, drops every TCP segment a sends: both ends' retransmission timers must fire. */
    private static final class Blackout implements PfilHook {
        volatile boolean dark;

        @Override
        public int check(org.protosw.spi.Packet p, int direction, org.protosw.spi.IfNet ifp) {
            if (!dark) {
                return PASS;
            }
            Ipv4Header ip = new Ipv4Header(p.array(), p.offset(), p.length());
            return ip.check().ok() && ip.protocol() == TcpHeader.PROTOCOL ? DROP : PASS;
        }
    }

    @Test
    void lossyPipeRunsSackRackRecoveryAndTheRetransmissionTimer() throws Exception {
        String scenario = "lossy epair (3% loss each way, one blackout until both ends timed out), 4 MiB each way at once";
        Conn ep = connect("epair", tb.a, tb.b, EP_B, 9031, s -> { });
        tb.pipes("plr 0.03");
        Blackout blackout = new Blackout();
        try (ScopedContext hooks = tb.a.newContext("blackout")) {
            hooks.pfil().addHook("blackout", Pfil.OUT, 10, blackout);
            warmUp(ep);
            String[] names = {"retransmit timeouts", "data packets retransmitted", "SACK recovery episodes",
                    "segment rexmits in SACK recovery", "segments deemed lost by RACK", "tail loss probes sent", "SACK blocks received"};
            long[][] before = new long[2][names.length];
            for (int i = 0; i < names.length; i++) {
                before[0][i] = tb.stat(tb.a, names[i]);
                before[1][i] = tb.stat(tb.b, names[i]);
            }
            long lostBefore = tb.a.pipes().get(1).stats().lost() + tb.b.pipes().get(1).stats().lost();
            noGlobalLock(scenario, () -> {
                List<Running> r = start(List.of(new Flow("epair a>b", ep.client(), ep.server(), 4 * MIB, 5),
                        new Flow("epair b>a", ep.server(), ep.client(), 4 * MIB, 6)));
                // a quarter of the way each way, a goes dark until both ends' retransmission timers fired
                boolean under = eventually(SETUP_WAIT_MS, () -> r.stream().allMatch(x -> x.flow().received().get() >= MIB));
                assertThat(under).as("%s: 1 MiB arrived each way within %d ms", scenario, SETUP_WAIT_MS).isTrue();
                long rtoA = tb.stat(tb.a, "retransmit timeouts");
                long rtoB = tb.stat(tb.b, "retransmit timeouts");
                blackout.dark = true;
                boolean timedOut;
                try {
                    timedOut = eventually(SETUP_WAIT_MS,
                            () -> tb.stat(tb.a, "retransmit timeouts") > rtoA && tb.stat(tb.b, "retransmit timeouts") > rtoB);
                } finally {
                    blackout.dark = false;
                }
                assertThat(timedOut).as("%s: both ends' retransmission timers fired during the blackout (within %d ms)", scenario,
                        SETUP_WAIT_MS).isTrue();
                finish(scenario, r);
            });
            StringBuilder sb = new StringBuilder("[lock]  ");
            for (int i = 0; i < names.length; i++) {
                sb.append(String.format(Locale.ROOT, " %s a %d b %d;", names[i], tb.stat(tb.a, names[i]) - before[0][i],
                        tb.stat(tb.b, names[i]) - before[1][i]));
            }
            long lost = tb.a.pipes().get(1).stats().lost() + tb.b.pipes().get(1).stats().lost() - lostBefore;
            System.out.println(sb.append(" pipes lost ").append(lost));
            assertThat(lost).as("%s: packets the pipes lost", scenario).isPositive();
            Vnet[] ends = {tb.a, tb.b};
            for (int e = 0; e < 2; e++) {
                for (int i = 0; i < 4; i++) {
                    assertThat(tb.stat(ends[e], names[i]) - before[e][i]).as("%s: %s in %s", scenario, names[i], ends[e].name()).isPositive();
                }
            }
        }
        closeAndSeeTheCounterCount(scenario, ep);
    }
}
