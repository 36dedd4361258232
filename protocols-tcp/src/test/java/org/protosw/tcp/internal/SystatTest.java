package org.protosw.tcp.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;
import static org.protosw.tcp.internal.TcpTestbed.*;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.Future;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.Test;
import org.protosw.internal.net.IfCounters;
import org.protosw.internal.net.PipeConfig;
import org.protosw.internal.shell.SystatCommand;
import org.protosw.socket.InetSockAddr;
import org.protosw.socket.Socket;

/** {@code net:systat -n 2} during a transfer: two screens whose rates are the counters' change over the interval shown. */
class SystatTest {
    private static final Pattern INTERVAL = Pattern.compile("interval (\\d+\\.\\d{3}) s");

    /** The cells of the row starting with {@code name}. */
    private static String[] row(String screen, String name) {
        return screen.lines().filter(l -> l.startsWith(name + " ")).findFirst()
                .map(l -> l.trim().split("\\s+")).orElseThrow(() -> new AssertionError("no row " + name + " in\n" + screen));
    }

    @Test
    void twoScreensWithRatesMatchingTheCounters() throws Exception {
        try (TcpTestbed tb = new TcpTestbed()) {
            // about 6 s of data at 4 Mbit/s: the transfer runs through both screens
            tb.a.pipes().config(1, PipeConfig.parse("bw 4Mbit/s delay 2ms"));
            tb.a.pipes().attach(1, tb.pair.a(), false);
            String ifname = tb.pair.a().name();
            IfCounters counters = tb.pair.a().counters();
            try (Socket l = listener(tb.b, B, 8400, 4)) {
                Future<StreamDigest> server = tb.async(() -> {
                    try (Socket c = l.accept()) {
                        return readStream(c);
                    }
                });
                Socket c = tcpSocket(tb.a);
                c.connect(new InetSockAddr(B, 8400));
                Future<StreamDigest> client = tb.async(() -> sendStream(c, 3 << 20, 9, 16 * 1024));
                assertThat(eventually(30_000, () -> counters.obytes.sum() > 64 * 1024)).as("the transfer runs").isTrue();
                long beforePkts = counters.opackets.sum();

                SystatCommand systat = new SystatCommand();
                systat.useCore(tb.stack.core());
                ByteArrayOutputStream buf = new ByteArrayOutputStream();
                PrintStream saved = System.out;
                System.setOut(new PrintStream(buf, true, StandardCharsets.UTF_8));
                try {
                    systat.systat("-n", "2");
                } finally {
                    System.setOut(saved);
                }
                long afterPkts = counters.opackets.sum();
                String text = buf.toString(StandardCharsets.UTF_8);
                System.out.print(text);
                assertThat(text).doesNotContain("\033[");
                List<String> screens = Arrays.stream(text.split("(?=systat: vnet )")).filter(s -> !s.isBlank()).toList();
                assertThat(screens).hasSize(2);
                assertThat(screens.get(0)).startsWith("systat: vnet default, screen 1 of 2, interval ");
                assertThat(screens.get(1)).startsWith("systat: vnet default, screen 2 of 2, interval ");

                String[] r1 = row(screens.get(0), ifname);
                String[] r2 = row(screens.get(1), ifname);
                // columns: name, in pkt/s, in KiB/s, out pkt/s, out KiB/s, in pkts, in bytes, out pkts, out bytes
                long out1 = Long.parseLong(r1[7]);
                long out2 = Long.parseLong(r2[7]);
                long outBytes1 = Long.parseLong(r1[8]);
                long outBytes2 = Long.parseLong(r2[8]);
                long in1 = Long.parseLong(r1[5]);
                long in2 = Long.parseLong(r2[5]);
                assertThat(out1).isBetween(beforePkts, out2);
                assertThat(out2).isLessThanOrEqualTo(afterPkts);
                Matcher m = INTERVAL.matcher(screens.get(1));
                assertThat(m.find()).isTrue();
                double secs = Double.parseDouble(m.group(1));
                assertThat(secs).isGreaterThanOrEqualTo(1.0);
                // the second screen's rates are its totals' change over its interval (to the digits shown)
                assertThat(Double.parseDouble(r2[3])).isPositive().isCloseTo((out2 - out1) / secs, within(0.05 + (out2 - out1) * 1e-3));
                assertThat(Double.parseDouble(r2[4])).isPositive()
                        .isCloseTo((outBytes2 - outBytes1) / secs / 1024, within(0.05 + (outBytes2 - outBytes1) / 1024.0 * 1e-3));
                assertThat(Double.parseDouble(r2[1])).isCloseTo((in2 - in1) / secs, within(0.05 + (in2 - in1) * 1e-3));
                assertThat(Double.parseDouble(r1[3])).as("the first screen's rate too").isPositive();

                for (String s : screens) {
                    assertThat(s).containsPattern("tcp: [1-9][0-9.]* segments/s sent");
                    String conn = s.lines().filter(x -> x.contains("10.0.0.2:8400")).findFirst()
                            .orElseThrow(() -> new AssertionError("the transfer is not among the busiest connections:\n" + s));
                    String[] cells = conn.trim().split("\\s+");
                    assertThat(cells[1]).isEqualTo("tcp");
                    assertThat(cells[2]).startsWith("10.0.0.1:");
                    assertThat(cells[4]).isEqualTo("ESTABLISHED");
                    assertThat(Double.parseDouble(cells[6])).as("out KiB/s").isPositive();
                }
                // let the transfer end so the stack closes quietly
                c.close();
                client.cancel(true);
                server.cancel(true);
            }
        }
    }
}
