package org.protosw.tcp.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.protosw.tcp.internal.TcpTestbed.*;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.protosw.internal.shell.NetstatCommand;
import org.protosw.socket.InetSockAddr;
import org.protosw.socket.Socket;

/** {@code net:netstat} lists connections that outlived their socket, as netstat(1) does. */
class TcpNetstatTest {
    private TcpTestbed tb;
    private NetstatCommand netstat;

    @BeforeEach
    void setUp() throws Exception {
        tb = new TcpTestbed();
        netstat = new NetstatCommand();
        netstat.useCore(tb.stack.core());
    }

    @AfterEach
    void tearDown() {
        tb.close();
    }

    private String netstat(String... argv) {
        PrintStream saved = System.out;
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        System.setOut(new PrintStream(buf, true, StandardCharsets.UTF_8));
        try {
            netstat.netstat(argv);
        } finally {
            System.setOut(saved);
        }
        return buf.toString(StandardCharsets.UTF_8);
    }

    /** The listing's lines with their column padding squeezed to one space. */
    private static List<String> rows(String listing) {
        return listing.lines().map(l -> l.trim().replaceAll(" +", " ")).toList();
    }

    @Test
    void afterAnActiveCloseTheClosingConnectionAndThenTimeWaitAreListed() throws Exception {
        tb.tcp(tb.a).msl.set(200);
        Socket l = listener(tb.b, B, 8300, 4);
        Future<Socket> acc = tb.async(l::accept);
        Socket c = tcpSocket(tb.a);
        c.connect(new InetSockAddr(B, 8300));
        Socket s = acc.get(5, TimeUnit.SECONDS);
        l.close();
        InetSockAddr local = (InetSockAddr) c.localAddress();
        String conn = "tcp4 0 0 10.0.0.1." + local.port() + " 10.0.0.2.8300";

        c.close();
        assertThat(eventually(2000, () -> rows(netstat("-an")).contains(conn + " FIN_WAIT_2"))).isTrue();
        assertThat(tb.a.sockets().sockets()).isEmpty();

        assertThat(readAll(s, 10)).isEmpty();
        s.close();
        assertThat(eventually(2000, () -> rows(netstat("-an")).contains(conn + " TIME_WAIT"))).isTrue();
        assertThat(rows(netstat("-an"))).containsExactly(
                "Active Internet connections (including servers) (vnet default)",
                "Proto Recv-Q Send-Q Local Address Foreign Address (state)",
                conn + " TIME_WAIT");
        // the other side closed passively: nothing of it is left
        assertThat(netstat("-an", "-j", "b")).doesNotContain("tcp4");

        // 2*MSL later the connection is gone from the listing too
        assertThat(eventually(3000, () -> !netstat("-an").contains("tcp4"))).isTrue();
    }

    /** {@code netstat -T}: each connection's tcp_info in columns, as the socket option reports it. */
    @Test
    void dashTShowsEachConnectionsTcpInfo() throws Exception {
        tb.pipes("delay 5ms plr 0.02");
        try (Socket l = listener(tb.b, B, 8310, 4)) {
            Future<byte[]> got = tb.async(() -> {
                try (Socket s = l.accept()) {
                    return readAll(s, (1 << 20) + 1);
                }
            });
            try (Socket c = tcpSocket(tb.a)) {
                c.connect(new InetSockAddr(B, 8310));
                sendAll(c, randomBytes(1 << 20, 3), 64 * 1024);
                var info = c.getOption(org.protosw.tcp.TcpSockOpts.TCP_INFO);
                String out = netstat("-T");
                List<String> lines = rows(out);
                assertThat(lines.get(1)).isEqualTo(
                        "Proto Recv-Q Send-Q Local Address Foreign Address (state) rtt rttvar rto mss cwnd ssthresh snd_wnd rcv_wnd rexmt sack cc");
                String row = lines.stream().filter(x -> x.startsWith("tcp4")).findFirst().orElseThrow();
                String[] f = row.split(" ");
                assertThat(f[5]).isEqualTo("ESTABLISHED");
                assertThat(Double.parseDouble(f[6])).as("rtt in ms over 5 ms each way").isGreaterThan(5.0);
                assertThat(Integer.parseInt(f[9])).isEqualTo(info.sndMss());
                assertThat(Long.parseLong(f[14])).as("retransmissions at 2%% loss").isPositive();
                assertThat(f[16]).isEqualTo("cubic");
                // the columns line up under their headers (the table is aligned)
                String header = out.lines().skip(1).findFirst().orElseThrow();
                String raw = out.lines().filter(x -> x.startsWith("tcp4")).findFirst().orElseThrow();
                assertThat(raw.length()).isEqualTo(header.length());
                org.assertj.core.api.Assertions.assertThatThrownBy(() -> netstat("-s", "-T"))
                        .hasMessageContaining("-T applies to the socket list, not to -s");
            }
            assertThat(got.get(30, TimeUnit.SECONDS)).hasSize(1 << 20);
        }
    }
}
