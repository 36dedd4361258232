package org.protosw.tcp.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Named.named;
import static org.junit.jupiter.params.provider.Arguments.arguments;
import static org.protosw.tcp.internal.TcpTestbed.*;

import java.util.List;
import java.util.Locale;
import java.util.concurrent.Future;
import java.util.stream.Stream;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.protosw.internal.kern.Vnet;
import org.protosw.internal.net.PipeStats;
import org.protosw.socket.InetSockAddr;
import org.protosw.socket.Socket;
import org.protosw.socket.SocketConstants;
import org.protosw.tcp.TcpInfo;
import org.protosw.tcp.TcpSockOpts;

/**
 * 64 MiB each way at the same time between two stack instances over an epair, through a
 * dummynet pipe on both outbound sides, for each kind of link trouble alone and all of it
 * together. Every case must deliver identical bytes (SHA-256 of the generated stream at the
 * sender against the SHA-256 of what the receiver read) and show in the counters that the
 * trouble really happened and TCP dealt with it. Each case prints its time and rate on one
 * line starting with {@code [matrix]}; nothing asserts speed. Default tunables throughout
 * (rexmit_min 200 ms, recvbuf_max and sendbuf_max 2 MiB).
 *
 * <p>The case with everything at once is the slow one (about 140 s on two cores): with 1%
 * loss and 1% corruption each way, and 2% of the packets overtaken by about 25 others (which
 * looks like a loss to a sender without reordering detection), a 20 ms round trip allows
 * about 4 Mbit/s (Mathis et al.: MSS / RTT * 1.22 / sqrt(p), p about 4%), and that is what
 * it gets.
 *
 * <p>{@code -Dmatrix.only=clean,5% loss} runs only the named cases.
 */
class TransferMatrixTest {
    private static final long MIB = 1L << 20;
    private static final int PORT = 8000;
    /**
     * A transfer in which no byte moved either way for this long has stalled (far beyond the
     * longest retransmission backoff these links cause): it fails then, with each control
     * block's variables, instead of hanging.
     */
    private static final long QUIET_SECONDS = 120;

    private TcpTestbed tb;
    private org.protosw.internal.sw.ScopedContext[] watches;
    /** The longest time either end's input went without a TCP segment, in ns. */
    private final java.util.concurrent.atomic.AtomicLong longestSilence = new java.util.concurrent.atomic.AtomicLong();

    @BeforeEach
    void setUp() throws Exception {
        tb = new TcpTestbed();
        watches = new org.protosw.internal.sw.ScopedContext[] {watchSilence(tb.a), watchSilence(tb.b)};
    }

    @AfterEach
    void tearDown() {
        for (var w : watches) {
            w.close();
        }
        tb.close();
    }

    /**
     * Notes the gaps between TCP segments arriving at {@code v}: a retransmission timeout on
     * a clean link is only excused by the machine having stalled the stack, which shows as
     * an end that received nothing for about as long as the timeout.
     */
    private org.protosw.internal.sw.ScopedContext watchSilence(Vnet v) {
        org.protosw.internal.sw.ScopedContext ctx = v.newContext("silence watch");
        java.util.concurrent.atomic.AtomicLong last = new java.util.concurrent.atomic.AtomicLong();
        ctx.pfil().addHook("silence watch", org.protosw.spi.Pfil.IN, 1, (p, dir, ifp) -> {
            long now = System.nanoTime();
            long before = last.getAndSet(now);
            if (before != 0) {
                longestSilence.accumulateAndGet(now - before, Math::max);
            }
            return org.protosw.spi.PfilHook.PASS;
        });
        return ctx;
    }

    /** The pipe words (empty for no pipe), the bytes each way, and the traces the trouble must leave. */
    record Case(String pipe, long size, Proof proof) {
    }

    interface Proof {
        void check(Totals t, TcpInfo client) throws Exception;
    }

    /** Counters of both ends added up: TCP, IP, and the two pipes; the longest silence at an end's input. */
    record Totals(TcpTestbed tb, long longestSilenceMs) {
        long tcp(String name) {
            return tb.stat(tb.a, name) + tb.stat(tb.b, name);
        }

        long ip(String name) {
            return ipStat(tb.a, name) + ipStat(tb.b, name);
        }

        private static long ipStat(Vnet v, String name) {
            Long x = v.ip().ipStatistics().get(name);
            if (x == null) {
                throw new IllegalArgumentException("no IP statistic '" + name + "'");
            }
            return x;
        }

        PipeStats pipe(Vnet v) {
            return v.pipes().get(1).stats();
        }

        boolean piped() {
            return tb.a.pipes().get(1) != null;
        }

        long lost() {
            return piped() ? pipe(tb.a).lost() + pipe(tb.b).lost() : 0;
        }

        long duplicated() {
            return piped() ? pipe(tb.a).duplicated() + pipe(tb.b).duplicated() : 0;
        }

        long reordered() {
            return piped() ? pipe(tb.a).reordered() + pipe(tb.b).reordered() : 0;
        }

        long corrupted() {
            return piped() ? pipe(tb.a).corrupted() + pipe(tb.b).corrupted() : 0;
        }

        long queueDrops() {
            return piped() ? pipe(tb.a).queueDrops() + pipe(tb.b).queueDrops() : 0;
        }

        /** Packets the receiving netisr queues had no room for. */
        long inputQueueDrops() {
            return tb.a.netisr().droppedTotal() + tb.b.netisr().droppedTotal();
        }

        /**
         * Damaged packets the receivers threw away: one flipped bit is always caught by the IP
         * header checksum or the TCP checksum, or by the IP header sanity checks that come
         * first (version, header length); TCP checks its checksum before its data offset.
         */
        long corruptionCaught() {
            return tcp("discarded for bad checksums") + tcp("discarded for bad header offset fields")
                    + tcp("discarded because packet too short") + ip("bad header checksums")
                    + ip("with incorrect version number") + ip("with header length < data size");
        }
    }

    static Stream<Arguments> cases() {
        String only = System.getProperty("matrix.only");
        return allCases().filter(a -> only == null || List.of(only.split(",")).contains(a.get()[0].toString()));
    }

    static Stream<Arguments> allCases() {
        return Stream.of(
                arguments(named("clean", new Case("", 64 * MIB, (t, info) -> {
                    assertThat(t.piped()).isFalse();
                    assertThat(t.corruptionCaught()).isZero();
                    // nothing lost, nothing overtaken: nothing is sent twice, unless a timer
                    // fired because the machine stalled the stack for a whole timeout (200 ms,
                    // net.inet.tcp.rexmit_min). Such a stall leaves an end that received nothing
                    // for that long; a timer firing while segments flow leaves none, and fails
                    long timeouts = t.tcp("retransmit timeouts");
                    // RACK's tail loss probe is such a timer too, with a floor of 10 ms (Linux's
                    // TCP_TIMEOUT_MIN): a stall of that length makes it resend one segment
                    long probes = t.tcp("tail loss probes sent");
                    if (timeouts > 0) {
                        assertThat(t.longestSilenceMs()).as("%d retransmission timeouts on a clean link: the longest an end"
                                + " went without a segment (ms) must show the stall that excuses them", timeouts)
                                .isGreaterThanOrEqualTo(100);
                    } else if (probes > 0) {
                        assertThat(t.longestSilenceMs()).as("%d loss probes on a clean link: the longest an end went without"
                                + " a segment (ms) must show the stall that excuses them", probes).isGreaterThanOrEqualTo(5);
                        assertThat(t.tcp("data packets retransmitted")).as("segments resent: one a probe at most").isLessThanOrEqualTo(probes);
                    } else {
                        assertThat(t.tcp("data bytes sent")).isEqualTo(2 * 64 * MIB);
                        assertThat(t.tcp("data packets retransmitted")).isZero();
                        assertThat(t.tcp("completely duplicate packets")).isZero();
                    }
                }))),
                arguments(named("1% loss", new Case("plr 0.01", 64 * MIB, (t, info) -> proveLoss(t)))),
                arguments(named("5% loss", new Case("plr 0.05", 64 * MIB, (t, info) -> proveLoss(t)))),
                arguments(named("reordering", new Case("reorder 0.05 gap 3ms", 64 * MIB, (t, info) -> proveReordering(t)))),
                arguments(named("duplication", new Case("dup 0.05", 64 * MIB, (t, info) -> proveDuplication(t)))),
                arguments(named("corruption", new Case("corrupt 0.02", 64 * MIB, (t, info) -> proveCorruption(t)))),
                arguments(named("50 ms delay", new Case("delay 50ms", 64 * MIB, (t, info) -> {
                    assertThat(info.rtt()).as("smoothed RTT in µs").isGreaterThanOrEqualTo(100_000);
                    // 64 KiB per 100 ms would take 100 s: the window must have grown
                    assertThat(t.tcp("receive buffer autotuning steps")).isPositive();
                }))),
                // 100 slots of 1500 bytes: 6 ms of queue at 200 Mbit/s, many times the round trip
                arguments(named("200 Mbit/s", new Case("bw 200Mbit/s queue 100", 64 * MIB, (t, info) -> {
                    // the senders fill the bottleneck queue until it overflows, and recover
                    assertThat(t.queueDrops()).isPositive();
                    assertThat(t.tcp("data packets retransmitted")).isPositive();
                }))),
                arguments(named("everything", new Case("bw 100Mbit/s delay 10ms plr 0.01 reorder 0.02 gap 3ms dup 0.01 corrupt 0.01"
                        + " queue 200", 64 * MIB, (t, info) -> {
                    proveLoss(t);
                    proveReordering(t);
                    proveDuplication(t);
                    proveCorruption(t);
                }))));
    }

    private static void proveLoss(Totals t) {
        assertThat(t.lost()).isPositive();
        assertThat(t.tcp("data packets retransmitted")).isPositive();
    }

    private static void proveReordering(Totals t) {
        assertThat(t.reordered()).isPositive();
        assertThat(t.tcp("out-of-order packets")).isPositive();
    }

    private static void proveDuplication(Totals t) {
        assertThat(t.duplicated()).isPositive();
        assertThat(t.tcp("completely duplicate packets")).isPositive();
    }

    private static void proveCorruption(Totals t) throws InterruptedException {
        assertThat(t.corrupted()).isPositive();
        assertThat(t.tcp("discarded for bad checksums")).isPositive();
        // every corrupted copy was dropped by a checksum, none delivered (the last ones may
        // still be on their way when the transfer ends)
        assertThat(eventually(5000, () -> t.corruptionCaught() == t.corrupted()))
                .as("corrupted %d, caught %d", t.corrupted(), t.corruptionCaught()).isTrue();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void bothWaysAtOnceIntact(Case c) throws Exception {
        if (!c.pipe().isEmpty()) {
            tb.pipes(c.pipe());
        }
        long t0 = System.nanoTime();
        try (Socket l = listener(tb.b, B, PORT, 4)) {
            java.util.concurrent.atomic.AtomicLong moved = new java.util.concurrent.atomic.AtomicLong();
            Future<StreamDigest[]> server = tb.async(() -> {
                try (Socket s = l.accept()) {
                    return both(s, c.size(), 2, moved);
                }
            });
            StreamDigest[] atClient;
            TcpInfo info;
            try (Socket s = tcpSocket(tb.a)) {
                s.connect(new InetSockAddr(B, PORT));
                Future<StreamDigest[]> client = tb.async(() -> both(s, c.size(), 1, moved));
                atClient = tb.awaitProgress(client, moved::get, QUIET_SECONDS, c.pipe() + ", the client's streams", s);
                info = s.getOption(TcpSockOpts.TCP_INFO);
            }
            StreamDigest[] atServer = tb.awaitProgress(server, moved::get, QUIET_SECONDS, c.pipe() + ", the server's streams");
            double secs = (System.nanoTime() - t0) / 1e9;
            Totals t = new Totals(tb, longestSilence.get() / 1_000_000);
            report(c, secs, info, t);
            // [0] what that end sent, [1] what it received
            assertThat(atServer[1]).isEqualTo(atClient[0]);
            assertThat(atClient[1]).isEqualTo(atServer[0]);
            assertThat(atClient[0].bytes()).isEqualTo(c.size());
            assertThat(atServer[0].bytes()).isEqualTo(c.size());
            c.proof().check(t, info);
        }
    }

    /** Sends {@code size} bytes of stream {@code seed} and reads the peer's at the same time: [sent, received]. */
    private StreamDigest[] both(Socket s, long size, long seed, java.util.concurrent.atomic.AtomicLong moved) throws Exception {
        Future<StreamDigest> w = tb.async(() -> {
            StreamDigest d = sendStream(s, size, seed, 64 * 1024, moved);
            s.shutdown(SocketConstants.SHUT_WR);
            return d;
        });
        StreamDigest got = readStream(s, Long.MAX_VALUE, moved);
        // the caller watches for a stall
        return new StreamDigest[] {w.get(), got};
    }

    private static void report(Case c, double secs, TcpInfo info, Totals t) {
        double mbits = c.size() * 8 / secs / 1e6;
        System.out.println(String.format(Locale.ROOT,
                "[matrix] %-60s %d MiB each way in %6.2f s, %7.1f Mbit/s each way | pipes: lost %d dup %d reord %d corrupt %d qdrop %d"
                        + " | tcp: rexmit pkts %d, rexmit timeouts %d, fast rexmits %d, SACK recoveries %d, out-of-order %d,"
                        + " dup pkts %d, RACK lost %d, loss probes %d, bad cksum %d, caught damaged %d, rcvbuf steps %d | netisr drops %d"
                        + " | client: rtt %.1f ms rto %.0f ms cwnd %d ssthresh %d",
                c.pipe().isEmpty() ? "(no pipe)" : c.pipe(), c.size() / MIB, secs, mbits, t.lost(), t.duplicated(), t.reordered(),
                t.corrupted(), t.queueDrops(), t.tcp("data packets retransmitted"), t.tcp("retransmit timeouts"),
                t.tcp("fast retransmits"), t.tcp("SACK recovery episodes"), t.tcp("out-of-order packets"),
                t.tcp("completely duplicate packets"), t.tcp("segments deemed lost by RACK"), t.tcp("tail loss probes sent"),
                t.tcp("discarded for bad checksums"),
                t.corruptionCaught(), t.tcp("receive buffer autotuning steps"), t.inputQueueDrops(), info.rtt() / 1000.0,
                info.rto() / 1000.0, info.cwnd(), info.ssthresh()));
    }
}
