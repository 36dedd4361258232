package org.protosw.ib.demo.internal.stack;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;
import static org.protosw.socket.SocketConstants.SOCK_SEQPACKET;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.protosw.ib.demo.internal.shell.CommandException;
import org.protosw.ib.demo.internal.shell.IbStacks;
import org.protosw.ib.demo.internal.shell.QpsCommand;
import org.protosw.ib.demo.internal.shell.SendBwCommand;
import org.protosw.ib.demo.internal.shell.SendLatCommand;
import org.protosw.ib.demo.internal.shell.StatsCommand;
import org.protosw.ib.demo.internal.wire.IbOpcode;
import org.protosw.internal.net.PipeConfig;
import org.protosw.socket.Socket;

/**
 * The {@code ib:} commands over the real stack: the queue pair table lines up and shows both
 * ends of a connection, the statistics count by reason, the perftest-like pair measures
 * between two vnets and exits on both sides, and every bad argument is one line naming the
 * word and what is accepted.
 */
class IbShellTest {
    private final IbLab lab;
    private final QpsCommand qps;
    private final StatsCommand stats;
    private final SendBwCommand bw;
    private final SendLatCommand lat;

    IbShellTest() throws Exception {
        lab = new IbLab();
        qps = new QpsCommand(lab.domain);
        stats = new StatsCommand(lab.domain);
        IbStacks stacks = new IbStacks();
        stacks.addStack(lab.a);
        stacks.addStack(lab.b);
        bw = new SendBwCommand(stacks);
        lat = new SendLatCommand(stacks);
    }

    @AfterEach
    void tearDown() {
        lab.close();
    }

    private static String printed(Consumer<PrintStream> run) {
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        PrintStream ps = new PrintStream(buf, true, StandardCharsets.UTF_8);
        run.accept(ps);
        return buf.toString(StandardCharsets.UTF_8);
    }

    /** A command line that must fail with one line starting with {@code start} and containing {@code parts}. */
    private static void oneLine(Runnable r, String start, String... parts) {
        CommandException e = catchThrowableOfType(CommandException.class, r::run);
        assertThat(e).as("a CommandException").isNotNull();
        assertThat(e.getMessage()).doesNotContain("\n").startsWith(start);
        for (String part : parts) {
            assertThat(e.getMessage()).contains(part);
        }
        assertThat(e.toString()).isEqualTo(e.getMessage());
    }

    @Test
    void qpsShowsBothEndsOfAConnectionInAlignedColumns() throws Exception {
        assertThat(qps.execute()).isEqualTo("no queue pairs\n");
        Socket[] p = lab.connect(SOCK_SEQPACKET, 0x6000);
        p[0].send(ByteBuffer.wrap(new byte[3000]));
        p[1].recv(ByteBuffer.allocate(4000));
        String t = qps.execute();
        List<String> lines = t.lines().toList();
        assertThat(lines).hasSize(3);
        String header = lines.get(0);
        assertThat(header).matches("VNET +QPN +STATE +PEER +PEER-QPN .*").contains("PEER-QPN", "SQ-PSN", "SQ-UNA", "RQ-PSN", "RETRY", "RNR",
                "WRS", "OUT", "IN", "REXMT", "TMO", "RNR-NAK", "NAK", "DUP", "OOS", "ERROR");
        int state = header.indexOf("STATE");
        int peer = header.indexOf("PEER");
        int error = header.indexOf("ERROR");
        assertThat(lines.get(1)).startsWith("b ").contains("::ffff:192.0.2.1");
        assertThat(lines.get(2)).startsWith("default ").contains("::ffff:192.0.2.2");
        for (String row : lines.subList(1, 3)) {
            assertThat(row.substring(state)).startsWith("RTS ");
            assertThat(row.substring(peer)).startsWith("::ffff:192.0.2.");
            assertThat(row.substring(error)).isEqualTo("-");
            assertThat(row.length()).isEqualTo(error + 1);
            assertThat(row).contains(" 0/7 ", " 0/inf ");
        }
        // the sender sent 3 packets, the receiver got them
        assertThat(lines.get(2)).containsPattern(" 3 +\\d+ +0 +0 +0/0 +0/0 +0 +0 +-$");
        assertThat(qps.execute("-j", "b").lines()).hasSize(2);
        assertThat(qps.execute("--vnet", "default").lines()).hasSize(2);
        oneLine(() -> qps.execute("-j", "nosuch"), "qps: the ib domain does not run in vnet 'nosuch'", "(it runs in: b, default)");
        oneLine(() -> qps.execute("--bogus"), "qps: unknown option '--bogus'", "accepted: -j vnet, --vnet vnet", "usage: qps");
        oneLine(() -> qps.execute("-j"), "qps: missing vnet name after -j");
        assertThat(qps.execute("-h")).contains("SQ-PSN SQ-UNA RQ-PSN");
        p[0].close();
        p[1].close();
    }

    @Test
    void statsCountMalformedInputByReason() throws Exception {
        Socket[] p = lab.connect(SOCK_SEQPACKET, 0x6001);
        try (Inject inj = new Inject(lab.a, IbLab.A, IbLab.B)) {
            inj.send(Inject.ib(IbOpcode.RC_SEND_ONLY, 0x99, 0, 0, 8), true);
            inj.send(Inject.ib(0x1f, 0x99, 0, 0, 8), false);
        }
        org.protosw.ib.demo.Await.until("both counted", java.time.Duration.ofSeconds(30),
                () -> lab.stat(lab.b, org.protosw.ib.demo.internal.verbs.IbStats.Counter.BAD_OPCODE) == 1);
        String s = stats.execute("-j", "b");
        assertThat(s).startsWith("vnet b (RoCEv2 port udp 4791 open):\n  traffic:\n").contains("  malformed or refused input (dropped):\n")
                .contains("    1 malformed: bad ICRC\n").contains("    1 malformed: unknown opcode\n").contains("    0 malformed: truncated\n")
                .contains("  connection manager:\n    ").contains("  port:\n");
        String z = stats.execute("-j", "b", "-z");
        assertThat(z).contains("    1 malformed: bad ICRC\n").doesNotContain(" 0 ");
        assertThat(stats.execute()).contains("vnet default (").contains("vnet b (");
        oneLine(() -> stats.execute("-x"), "stats: unknown option '-x'", "-z");
        p[0].close();
        p[1].close();
    }

    @Test
    void sendBwMeasuresBetweenTwoVnetsAndBothSidesExit() throws Exception {
        for (String conn : new String[] {"rc", "sdp"}) {
            Future<String> server = lab.async(() -> printed(out -> bw.run(out, "--server", "--vnet", "b", "-c", conn)));
            awaitListening(0x4853);
            String client = printed(out -> bw.run(out, "--vnet", "default", "-c", conn, "-s", "65536", "-n", "200", "192.0.2.2"));
            String srv = server.get(60, TimeUnit.SECONDS);
            for (String o : new String[] {client, srv}) {
                assertThat(o).as(conn).contains("Send BW Test (protosw " + (conn.equals("rc") ? "ib-rc, SOCK_SEQPACKET" : "ib-sdp, SOCK_STREAM") + ")")
                        .contains(" Message size 65536 bytes, 200 iterations").contains("BW average[MiB/sec]")
                        .containsPattern("(?m)^ 65536 +200 +\\d+\\.\\d\\d +\\d+\\.\\d{3} +\\d+\\.\\d{6}$");
            }
            assertThat(srv).contains("Waiting for client to connect").contains("[::]:0x4853 in vnet b");
            assertThat(client).contains(" Connection: [::ffff:192.0.2.1]:* -> [::ffff:192.0.2.2]:0x4853   vnet default");
            awaitNotListening(0x4853);
        }
    }

    @Test
    void sendBwPrintsProgressWhileARunLasts() throws Exception {
        // a 20 Mbit/s link: 4 MiB take at least 1.6 s, so a progress line (one a second) must come
        lab.a.pipes().config(1, PipeConfig.parse("bw 20Mbit/s queue 500"));
        lab.a.pipes().attach(1, lab.pair.a(), false);
        Future<String> server = lab.async(() -> printed(out -> bw.run(out, "--server", "-j", "b")));
        awaitListening(0x4853);
        String client = printed(out -> bw.run(out, "-s", "65536", "-n", "64", "::ffff:192.0.2.2"));
        server.get(60, TimeUnit.SECONDS);
        assertThat(client).containsPattern("(?m)^ progress: \\d+/64 messages, \\d+\\.\\d MiB/s$");
    }

    @Test
    void sendLatMeasuresRoundTrips() throws Exception {
        Future<String> server = lab.async(() -> printed(out -> lat.run(out, "--server", "--vnet", "b", "-n", "300")));
        awaitListening(0x4853);
        String client = printed(out -> lat.run(out, "-n", "300", "192.0.2.2"));
        String srv = server.get(60, TimeUnit.SECONDS);
        assertThat(client).contains("Send Latency Test").contains("t_min[usec]").contains("99.9% percentile[usec]")
                .containsPattern("(?m)^ 2 +300 +(\\d+\\.\\d\\d +){6}\\d+\\.\\d\\d$");
        assertThat(srv).contains(" 300 round trips answered");
    }

    @Test
    void badArgumentsAreOneLineNamingWhatIsAccepted() throws Exception {
        String u = "(usage: send_bw --server";
        oneLine(() -> bw.run(System.out), "send_bw: missing the server's GID (or --server for the server side)", u);
        oneLine(() -> bw.run(System.out, "-s", "0", "192.0.2.2"), "send_bw: -s 0 is out of range (accepted: bytes, 1 to 1048576)", u);
        oneLine(() -> bw.run(System.out, "-s", "big", "192.0.2.2"), "send_bw: 'big' is not a number for -s (accepted: bytes, 1 to 1048576)");
        oneLine(() -> bw.run(System.out, "-n", "-3", "192.0.2.2"), "send_bw: -n -3 is out of range (accepted: iterations, 1 to 1000000000)");
        oneLine(() -> bw.run(System.out, "-s"), "send_bw: missing bytes after -s");
        oneLine(() -> bw.run(System.out, "-c", "ud", "192.0.2.2"), "send_bw: 'ud' is not a connection type for -c (accepted: rc, sdp)");
        oneLine(() -> bw.run(System.out, "--server", "192.0.2.2"), "send_bw: the server takes no GID");
        oneLine(() -> bw.run(System.out, "192.0.2.2", "192.0.2.3"), "send_bw: more than one GID");
        oneLine(() -> bw.run(System.out, "-q", "192.0.2.2"), "send_bw: unknown option '-q' (accepted: --server, -j/--vnet, -s, -n, -p, -c, -h)");
        oneLine(() -> bw.run(System.out, "fe80::1::2"), "send_bw: not a GID: 'fe80::1::2': more than one '::'");
        oneLine(() -> bw.run(System.out, "--vnet", "nosuch", "192.0.2.2"), "send_bw: vnet 'nosuch' does not exist (known: b, default)");
        oneLine(() -> lat.run(System.out, "-n", "20000000", "192.0.2.2"), "send_lat: -n 20000000 is out of range (accepted: iterations, 1 to 10000000)");
        // what the stack answers is one line too
        oneLine(() -> bw.run(System.out, "-p", "0x9999", "192.0.2.2"), "send_bw: connect to [::ffff:192.0.2.2]:0x9999 from vnet default:",
                "ECONNREFUSED", "nobody listens on that service ID: start ib:send_bw --server there");
        oneLine(() -> bw.run(System.out, "198.51.100.7"), "send_bw: connect to [::ffff:198.51.100.7]:0x4853 from vnet default:", "ENETUNREACH");
        assertThat(printed(out -> bw.run(out, "-h"))).startsWith("ib:send_bw: send bw test between two vnets").contains("-s size");
    }

    private void awaitListening(long sid) {
        org.protosw.ib.demo.Await.until("a listener on 0x" + Long.toHexString(sid), java.time.Duration.ofSeconds(30),
                () -> lab.ib(lab.b).hca().cm().listening(sid));
    }

    private void awaitNotListening(long sid) {
        org.protosw.ib.demo.Await.until("the listener on 0x" + Long.toHexString(sid) + " gone", java.time.Duration.ofSeconds(30),
                () -> !lab.ib(lab.b).hca().cm().listening(sid));
    }
}
