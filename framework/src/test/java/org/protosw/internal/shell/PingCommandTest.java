package org.protosw.internal.shell;

import static org.assertj.core.api.Assertions.assertThat;
import static org.protosw.internal.shell.Shell.error;
import static org.protosw.internal.shell.Shell.failure;
import static org.protosw.internal.shell.Shell.out;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.protosw.internal.kern.Vnet;

class PingCommandTest {
    private static final Pattern RTT = Pattern.compile("round-trip min/avg/max/stddev = (\\d+\\.\\d{3})/(\\d+\\.\\d{3})/(\\d+\\.\\d{3})/(\\d+\\.\\d{3}) ms");

    private Shell sh;
    private PingCommand ping;
    private Vnet dflt;

    @BeforeEach
    void setUp() throws Exception {
        sh = new Shell();
        ping = sh.command(new PingCommand());
        dflt = sh.stack.stack();
    }

    @AfterEach
    void tearDown() {
        sh.close();
    }

    /** ping(8)'s output for {@code n} answered requests of {@code size} data bytes, reply by reply. */
    private static void assertAnswered(String printed, String host, int size, int n, int ttl) {
        List<String> lines = printed.lines().toList();
        assertThat(lines).hasSize(n + 5);
        assertThat(lines.get(0)).isEqualTo("PING " + host + " (" + host + "): " + size + " data bytes");
        for (int i = 0; i < n; i++) {
            assertThat(lines.get(1 + i)).matches(Pattern.quote((size + 8) + " bytes from " + host + ": icmp_seq=" + i + " ttl=" + ttl)
                    + (size >= 8 ? " time=\\d+\\.\\d{3} ms" : ""));
        }
        assertThat(lines.get(n + 1)).isEmpty();
        assertThat(lines.get(n + 2)).isEqualTo("--- " + host + " ping statistics ---");
        assertThat(lines.get(n + 3)).isEqualTo(n + " packets transmitted, " + n + " packets received, 0.0% packet loss");
        Matcher m = RTT.matcher(lines.get(n + 4));
        assertThat(m.matches()).as(lines.get(n + 4)).isTrue();
        double min = Double.parseDouble(m.group(1));
        double avg = Double.parseDouble(m.group(2));
        double max = Double.parseDouble(m.group(3));
        assertThat(min).isLessThanOrEqualTo(avg);
        assertThat(avg).isLessThanOrEqualTo(max);
    }

    @Test
    void pingsTheLoopbackWithBsdOutput() {
        String printed = out(() -> ping.ping("-c", "3", "-i", "0.01", "127.0.0.1"));
        assertAnswered(printed, "127.0.0.1", 56, 3, 64);
        assertThat(printed).contains("\n3 packets transmitted, 3 packets received, 0.0% packet loss\n");
    }

    @Test
    void pingsAcrossAnEpairIntoAnotherVnetAndBack() {
        sh.linkToB();
        assertAnswered(out(() -> ping.ping("-c", "3", "-i", "0.01", "192.0.2.2")), "192.0.2.2", 56, 3, 64);
        assertAnswered(out(() -> ping.ping("-j", "b", "-c", "2", "-i", "0.01", "192.0.2.1")), "192.0.2.1", 56, 2, 64);
    }

    @Test
    void aRequestLargerThanTheEpairMtuIsFragmentedAndReassembled() {
        sh.linkToB();
        Vnet b = sh.core().vnet("b");
        assertAnswered(out(() -> ping.ping("-c", "3", "-i", "0.01", "-s", "3000", "192.0.2.2")), "192.0.2.2", 3000, 3, 64);
        // 3028-byte datagrams over a 1500-byte MTU: three fragments each way
        assertThat(dflt.ip().ipStatistics()).containsEntry("output datagrams fragmented", 3L).containsEntry("fragments created", 9L)
                .containsEntry("packets reassembled ok", 3L);
        assertThat(b.ip().ipStatistics()).containsEntry("output datagrams fragmented", 3L).containsEntry("packets reassembled ok", 3L);
    }

    @Test
    void sizesFromNoDataToTheLargestDatagram() {
        // below 8 data bytes there is no room for the send time: no time= and no round-trip line
        String none = out(() -> ping.ping("-c", "2", "-i", "0.01", "-s", "0", "127.0.0.1"));
        assertThat(none).isEqualTo("""
                PING 127.0.0.1 (127.0.0.1): 0 data bytes
                8 bytes from 127.0.0.1: icmp_seq=0 ttl=64
                8 bytes from 127.0.0.1: icmp_seq=1 ttl=64

                --- 127.0.0.1 ping statistics ---
                2 packets transmitted, 2 packets received, 0.0% packet loss
                """);
        // larger than a raw socket's default buffers (9216): ping sizes them itself
        assertAnswered(out(() -> ping.ping("-c", "1", "-s", "65507", "127.0.0.1")), "127.0.0.1", 65507, 1, 64);
    }

    @Test
    void stopsAfterTheTimeoutWhenNoCountIsGiven() {
        String printed = out(() -> ping.ping("-t", "0.3", "-i", "0.1", "127.0.0.1"));
        Matcher m = Pattern.compile("(?m)^(\\d+) packets transmitted, (\\d+) packets received, 0\\.0% packet loss$").matcher(printed);
        assertThat(m.find()).as(printed).isTrue();
        assertThat(m.group(1)).isEqualTo(m.group(2));
        assertThat(Integer.parseInt(m.group(1))).isBetween(1, 4);
        assertThat(printed).containsPattern("(?m)^round-trip min/avg/max/stddev = ");
    }

    @Test
    void sendsFromTheSourceAddressGiven() throws Exception {
        sh.linkToB();
        // the echo requests as lo0 delivers them: their source is what -S changes
        List<String> sources = new java.util.concurrent.CopyOnWriteArrayList<>();
        try (org.protosw.internal.sw.ScopedContext hooks = dflt.newContext("ping test")) {
            hooks.pfil().addHook("echo requests", org.protosw.spi.Pfil.IN, 10, (p, dir, ifp) -> {
                org.protosw.wire.Ipv4Header ip = new org.protosw.wire.Ipv4Header(p.array(), p.offset(), p.length());
                if (ip.check().ok() && ip.protocol() == 1 && ip.payloadLength() > 0 && p.array()[ip.payloadOffset()] == 8) {
                    sources.add(new org.protosw.socket.InAddr(ip.src()).toString());
                }
                return org.protosw.spi.PfilHook.PASS;
            });
            String printed = out(() -> ping.ping("-c", "1", "-S", "192.0.2.1", "127.0.0.1"));
            assertThat(printed).contains("64 bytes from 127.0.0.1: icmp_seq=0 ttl=64 time=");
            assertThat(sources).containsExactly("192.0.2.1");
            // without -S the route's interface address is the source: the check tells them apart
            out(() -> ping.ping("-c", "1", "127.0.0.1"));
            assertThat(sources).containsExactly("192.0.2.1", "127.0.0.1");
        }
    }

    @Test
    void aTtlTooSmallForTheRouteGetsTimeExceeded() throws Exception {
        // default --epair0-- b (forwarding) --epair1-- c
        sh.linkToB();
        IfconfigCommand ifconfig = sh.command(new IfconfigCommand());
        RouteCommand route = sh.command(new RouteCommand());
        out(() -> {
            sh.command(new VnetCommand()).vnet("create", "c");
            ifconfig.ifconfig("-j", "b", "epair", "create");
            ifconfig.ifconfig("-j", "b", "epair1b", "vnet", "c");
            ifconfig.ifconfig("-j", "b", "epair1a", "inet", "198.51.100.1/24");
            ifconfig.ifconfig("-j", "c", "epair1b", "inet", "198.51.100.2/24");
            route.route("add", "198.51.100.0/24", "192.0.2.2");
            route.route("-j", "c", "add", "default", "198.51.100.1");
            sh.command(new SysctlCommand()).sysctl("-j", "b", "net.inet.ip.forwarding=1");
        });
        assertAnswered(out(() -> ping.ping("-c", "1", "198.51.100.2")), "198.51.100.2", 56, 1, 63);

        Shell.Failure f = failure(() -> ping.ping("-c", "1", "-m", "1", "-t", "0.5", "198.51.100.2"));
        assertThat(f.printed()).containsPattern("(?m)^\\d+ bytes from 192\\.0\\.2\\.2: Time to live exceeded$")
                .endsWith("1 packets transmitted, 0 packets received, 100.0% packet loss\n");
        assertThat(f.message()).isEqualTo("ping: no reply from 198.51.100.2 (1 request(s) sent)");
    }

    @Test
    void duplicatedRepliesAreMarkedAndCounted() {
        sh.linkToB();
        PipeCommand pipe = sh.command(new PipeCommand());
        pipe.pipe("1", "config", "dup", "1");
        pipe.pipe("1", "attach", "epair0a", "out");
        String printed = out(() -> ping.ping("-t", "0.3", "-i", "0.1", "192.0.2.2"));
        assertThat(printed).containsPattern("(?m)^64 bytes from 192\\.0\\.2\\.2: icmp_seq=0 ttl=64 time=\\d+\\.\\d{3} ms \\(DUP!\\)$")
                .containsPattern("(?m)^(\\d+) packets transmitted, \\1 packets received, \\+[1-9]\\d* duplicates, 0\\.0% packet loss$");
    }

    @Test
    void anInterruptStopsThePingWithItsSummary() throws Exception {
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        String printed = interruptedPing(new PrintStream(buf, true, StandardCharsets.UTF_8),
                () -> buf.toString(StandardCharsets.UTF_8));
        assertThat(printed).contains("--- 127.0.0.1 ping statistics ---\n")
                .containsPattern("(?m)^\\d+ packets transmitted, [1-9]\\d* packets received, ");
    }

    /**
     * Gogo gives a command a stream over an interruptible channel: a write by a thread whose
     * interrupt is still set closes it, so the summary is only seen when ping consumed the
     * interrupt before it wrote.
     */
    @Test
    void anInterruptStopsThePingWithItsSummaryThroughTheShellsChannel() throws Exception {
        java.nio.channels.Pipe pipe = java.nio.channels.Pipe.open();
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        Thread reader = Thread.ofVirtual().start(() -> {
            byte[] b = new byte[4096];
            try (var in = java.nio.channels.Channels.newInputStream(pipe.source())) {
                for (int n; (n = in.read(b)) > 0; ) {
                    synchronized (buf) {
                        buf.write(b, 0, n);
                    }
                }
            } catch (java.io.IOException e) {
                // the writer's end closed
            }
        });
        PrintStream channelOut = new PrintStream(java.nio.channels.Channels.newOutputStream(pipe.sink()), true, StandardCharsets.UTF_8);
        String printed = interruptedPing(channelOut, () -> {
            synchronized (buf) {
                return buf.toString(StandardCharsets.UTF_8);
            }
        });
        channelOut.close();
        reader.join(TimeUnit.SECONDS.toMillis(5));
        synchronized (buf) {
            printed = buf.toString(StandardCharsets.UTF_8);
        }
        assertThat(channelOut.checkError()).as("a write failed (the channel closed by the interrupt)").isFalse();
        assertThat(printed).contains("--- 127.0.0.1 ping statistics ---\n")
                .containsPattern("(?m)^\\d+ packets transmitted, [1-9]\\d* packets received, ");
    }

    /** Starts {@code net:ping} writing to {@code out}, interrupts it after its first reply, returns what it printed. */
    private String interruptedPing(PrintStream out, java.util.function.Supplier<String> printed) throws Exception {
        AtomicReference<Throwable> failed = new AtomicReference<>();
        PrintStream saved = System.out;
        System.setOut(out);
        Thread t;
        try {
            // the run takes System.out when it starts, so the swap can end before it does
            t = Thread.ofVirtual().start(() -> {
                try {
                    ping.ping("-i", "0.05", "127.0.0.1");
                } catch (Throwable e) {
                    failed.set(e);
                }
            });
            for (int i = 0; i < 2500 && !printed.get().contains("icmp_seq=0"); i++) {
                Thread.sleep(2);
            }
        } finally {
            System.setOut(saved);
        }
        assertThat(printed.get()).as("a first reply, printed as it came").contains("icmp_seq=0");
        t.interrupt();
        t.join(TimeUnit.SECONDS.toMillis(5));
        assertThat(t.isAlive()).isFalse();
        assertThat(failed.get()).isNull();
        return printed.get();
    }

    @Test
    void anAddressWithoutARouteIsOneLineAndNothingElse() {
        assertThat(error(() -> ping.ping("-c", "1", "198.51.100.1"))).isEqualTo("ping: sendto: Network is unreachable (no route to 198.51.100.1)");
        assertThat(error(() -> ping.ping("-c", "1", "-S", "10.1.1.1", "127.0.0.1"))).isEqualTo("ping: bind 10.1.1.1: not an address of this host");
    }

    @Test
    void badArgumentsSayWhatIsAccepted() {
        assertThat(error(() -> ping.ping())).startsWith("ping: missing host (usage: ping [-j vnet] [-c count] [-s size] [-i wait] [-t timeout] [-m ttl] [-S src] host)");
        assertThat(error(() -> ping.ping("-f", "127.0.0.1"))).startsWith("ping: unknown option '-f' (accepted: -c, -s, -i, -t, -m, -S, -j)");
        assertThat(error(() -> ping.ping("127.0.0.1", "127.0.0.2"))).startsWith("ping: more than one host ('127.0.0.1' and '127.0.0.2')");
        assertThat(error(() -> ping.ping("localhost"))).startsWith("ping: not an IPv4 address: 'localhost' (expected a.b.c.d");
        assertThat(error(() -> ping.ping("-c"))).startsWith("ping: missing count after -c");
        assertThat(error(() -> ping.ping("-c", "x", "127.0.0.1"))).startsWith("ping: 'x' is not a number for count after -c (accepted: 1 to 2147483647)");
        assertThat(error(() -> ping.ping("-c", "0", "127.0.0.1"))).startsWith("ping: count after -c 0 is out of range (accepted: 1 to 2147483647)");
        assertThat(error(() -> ping.ping("-s", "65508", "127.0.0.1"))).startsWith("ping: size after -s 65508 is out of range (accepted: 0 to 65507)");
        assertThat(error(() -> ping.ping("-s", "-1", "127.0.0.1"))).startsWith("ping: size after -s -1 is out of range (accepted: 0 to 65507)");
        assertThat(error(() -> ping.ping("-i", "fast", "127.0.0.1"))).startsWith("ping: 'fast' is not a number of seconds for wait after -i");
        assertThat(error(() -> ping.ping("-i", "0", "127.0.0.1"))).startsWith("ping: wait after -i 0 is out of range (accepted: 0.001 to 86400 seconds)");
        assertThat(error(() -> ping.ping("-i", "NaN", "127.0.0.1"))).startsWith("ping: wait after -i NaN is out of range (accepted: 0.001 to 86400 seconds)");
        assertThat(error(() -> ping.ping("-t", "100000", "127.0.0.1"))).startsWith("ping: timeout after -t 100000 is out of range (accepted: 0.001 to 86400 seconds)");
        assertThat(error(() -> ping.ping("-m", "256", "127.0.0.1"))).startsWith("ping: ttl after -m 256 is out of range (accepted: 1 to 255)");
        assertThat(error(() -> ping.ping("-S", "me", "127.0.0.1"))).startsWith("ping: not an IPv4 address: 'me'");
        assertThat(error(() -> ping.ping("-j"))).startsWith("ping: missing vnet name after -j");
        assertThat(error(() -> ping.ping("-j", "nope", "127.0.0.1"))).isEqualTo("ping: no vnet named 'nope' (known: default)");
        assertThat(dflt.interfaces().byName("lo0").counters().opackets.sum()).as("nothing was sent").isZero();
    }
}
