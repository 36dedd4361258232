package org.protosw.siftr.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.protosw.siftr.internal.SiftrTestbed.eventually;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.protosw.siftr.internal.SiftrTrace.Line;

/**
 * siftr over a real TCP transfer: a lossy pipe on the sender, siftr on in the sender's stack
 * instance, and the log it writes checked against what TCP itself counted.
 */
class SiftrTest {
    private static final int ESTABLISHED = 4;

    @TempDir
    Path dir;

    /** Waits until the transfer's last segments are through: b holds no connection, a only its TIME_WAIT. */
    private static void awaitQuiet(SiftrTestbed tb) throws InterruptedException {
        assertThat(eventually(60_000, () -> tb.orphans(tb.b).isEmpty()
                && tb.orphans(tb.a).stream().allMatch(c -> c.state().equals("TIME_WAIT"))))
                .as("b's connection gone and a's in TIME_WAIT; a: %s, b: %s", tb.orphans(tb.a), tb.orphans(tb.b)).isTrue();
    }

    @Test
    void lossyTransferLogsEverySegmentTcpCountedAndCwndFallsAtEachRecovery() throws Exception {
        try (SiftrTestbed tb = new SiftrTestbed(dir)) {
            tb.pipeA("delay 5ms plr 0.02 seed 11");
            tb.sysctl(tb.a, Siftr.SYSCTL_ENABLED, 1);
            assertThat(tb.tcp.traceHooks()).isEqualTo(1);

            assertThat(tb.transfer(8200, 1 << 20)).as("1 MiB arrived intact (SHA-256)").isTrue();
            awaitQuiet(tb);
            tb.sysctl(tb.a, Siftr.SYSCTL_ENABLED, 0);
            assertThat(tb.tcp.traceHooks()).as("hook withdrawn when disabled").isZero();

            Path log = dir.resolve("siftr.log");
            List<String> raw = Files.readAllLines(log);
            assertThat(raw.get(0)).startsWith("enable_time_secs=");
            assertThat(raw.get(raw.size() - 1)).startsWith("disable_time_secs=").contains("num_dropped_pkts=0");
            SiftrTrace trace = SiftrTrace.read(log);
            assertThat(trace.malformed).isZero();
            // only a's connection: b has siftr off
            assertThat(trace.flows).hasSize(1);
            List<Line> lines = trace.flows.values().iterator().next();
            assertThat(lines).allMatch(l -> l.laddr().equals("10.0.0.1") && l.vnet().equals("default"));

            long out = lines.stream().filter(Line::out).count();
            long in = lines.size() - out;
            long rexmit = lines.stream().filter(Line::retransmit).count();
            System.out.printf("siftr: %d lines (%d out, %d in, %d retransmissions); TCP of a: %s%n", lines.size(), out, in,
                    rexmit, tb.stats(tb.a));
            assertThat(out).as("segments out = TCP's packets sent").isEqualTo(tb.stat(tb.a, "packets sent"));
            assertThat(in).as("segments in = TCP's packets received").isEqualTo(tb.stat(tb.a, "packets received"));
            assertThat(rexmit).as("retransmission flags = TCP's data packets retransmitted")
                    .isEqualTo(tb.stat(tb.a, "data packets retransmitted")).isPositive();
            assertThat(raw.get(raw.size() - 1)).contains("num_outbound_tcp_pkts=" + out, "num_inbound_tcp_pkts=" + in);

            // each recovery episode: entering fast recovery, or a retransmission timeout
            int fast = 0;
            int timeouts = 0;
            int checked = 0;
            for (int i = 1; i < lines.size(); i++) {
                Line prev = lines.get(i - 1);
                Line l = lines.get(i);
                boolean enteredFast = l.recovery() && !prev.recovery();
                boolean timedOut = l.rxtShift() > prev.rxtShift();
                fast += enteredFast ? 1 : 0;
                timeouts += timedOut ? 1 : 0;
                boolean fresh = prev.state() >= ESTABLISHED && prev.rxtShift() == 0 && !prev.recovery();
                if ((enteredFast || timedOut) && fresh) {
                    checked++;
                    assertThat(l.cwnd()).as("cwnd at the episode starting on line %d (%s) below the one before (%s)", i, l, prev)
                            .isLessThan(prev.cwnd());
                }
            }
            assertThat(fast).as("fast recoveries in the log = TCP's recovery episodes").isEqualTo(tb.stat(tb.a, "recovery episodes"));
            assertThat(timeouts).as("timeouts in the log = TCP's retransmit timeouts").isEqualTo(tb.stat(tb.a, "retransmit timeouts"));
            assertThat(checked).as("recovery episodes seen").isPositive();
        }
    }

    @Test
    void disabledSiftrRegistersNoHookAndLeavingTheStackWithdrawsIt() throws Exception {
        try (SiftrTestbed tb = new SiftrTestbed(dir)) {
            assertThat(tb.tcp.traceHooks()).as("nothing registered while disabled").isZero();
            assertThat(tb.transfer(8201, 64 * 1024)).isTrue();
            assertThat(dir.resolve("siftr.log")).doesNotExist();

            tb.sysctl(tb.a, Siftr.SYSCTL_ENABLED, 1);
            tb.sysctl(tb.b, Siftr.SYSCTL_ENABLED, 1);
            assertThat(tb.tcp.traceHooks()).as("one hook, however many vnets trace").isEqualTo(1);
            tb.sysctl(tb.a, Siftr.SYSCTL_ENABLED, 0);
            assertThat(tb.tcp.traceHooks()).as("b still traces").isEqualTo(1);
            tb.sysctl(tb.a, Siftr.SYSCTL_ENABLED, 1);

            // the bundle stopping: the core detaches the module from every vnet
            tb.stack.core().removeModule(tb.siftr);
            assertThat(tb.tcp.traceHooks()).as("no hook left after unloading").isZero();
            assertThat(tb.siftr.hookPublished()).isFalse();
            assertThat(tb.a.sysctl().find(Siftr.SYSCTL_ENABLED)).as("its sysctls went with it").isNull();
            List<String> a = Files.readAllLines(dir.resolve("siftr.log"));
            assertThat(a.get(a.size() - 1)).startsWith("disable_time_secs=");
            List<String> b = Files.readAllLines(dir.resolve("siftr-b.log"));
            assertThat(b.get(b.size() - 1)).startsWith("disable_time_secs=");
        }
    }

    @Test
    void portFilterKeepsOnlyThatPort() throws Exception {
        try (SiftrTestbed tb = new SiftrTestbed(dir)) {
            tb.sysctl(tb.a, Siftr.SYSCTL_PORT_FILTER, 8203);
            tb.sysctl(tb.a, Siftr.SYSCTL_ENABLED, 1);
            assertThat(tb.transfer(8202, 32 * 1024)).isTrue();
            assertThat(tb.transfer(8203, 32 * 1024)).isTrue();
            awaitQuiet(tb);
            tb.sysctl(tb.a, Siftr.SYSCTL_ENABLED, 0);
            SiftrTrace trace = SiftrTrace.read(dir.resolve("siftr.log"));
            assertThat(trace.flows).hasSize(1);
            assertThat(trace.flows.keySet().iterator().next()).endsWith("-10.0.0.2:8203");
        }
    }
}
