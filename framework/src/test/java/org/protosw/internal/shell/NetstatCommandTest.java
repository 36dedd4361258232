package org.protosw.internal.shell;

import static org.assertj.core.api.Assertions.assertThat;
import static org.protosw.internal.shell.Shell.error;
import static org.protosw.internal.shell.Shell.out;
import static org.protosw.socket.SocketConstants.AF_INET;
import static org.protosw.socket.SocketConstants.SOCK_DGRAM;

import java.nio.ByteBuffer;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.protosw.internal.kern.Vnet;
import org.protosw.internal.socket.TestDgramProto;
import org.protosw.socket.InAddr;
import org.protosw.socket.InetSockAddr;
import org.protosw.socket.Socket;
import org.protosw.spi.ConnectionInfo;

class NetstatCommandTest {
    private Shell sh;
    private NetstatCommand netstat;
    private Vnet dflt;

    @BeforeEach
    void setUp() throws Exception {
        sh = new Shell();
        netstat = sh.command(new NetstatCommand());
        dflt = sh.stack.stack();
    }

    @AfterEach
    void tearDown() {
        sh.close();
    }

    private Socket tdgram() throws Exception {
        return dflt.socket(AF_INET, SOCK_DGRAM, Shell.TDGRAM);
    }

    @Test
    void listsSocketsWithQueuesAddressesAndStateLikeNetstatAn() throws Exception {
        try (Socket server = tdgram(); Socket client = tdgram(); Socket idle = tdgram()) {
            server.bind(new InetSockAddr(InAddr.LOOPBACK, 5000));
            client.connect(new InetSockAddr(InAddr.LOOPBACK, 5000));
            client.send(ByteBuffer.wrap(new byte[100]), 0);
            client.send(ByteBuffer.wrap(new byte[20]), 0);

            assertThat(out(() -> netstat.netstat())).isEqualTo("""
                    Active Internet connections (vnet default)
                    Proto    Recv-Q  Send-Q  Local Address    Foreign Address  (state)
                    tdgram4     120       0  127.0.0.1.5000   *.*
                    tdgram4       0       0  127.0.0.1.49152  127.0.0.1.5000   CONNECTED
                    """);
            // -a adds the socket that is bound to nothing (the wildcard address, no peer)
            assertThat(out(() -> netstat.netstat("-an"))).isEqualTo("""
                    Active Internet connections (including servers) (vnet default)
                    Proto    Recv-Q  Send-Q  Local Address    Foreign Address  (state)
                    tdgram4     120       0  127.0.0.1.5000   *.*
                    tdgram4       0       0  127.0.0.1.49152  127.0.0.1.5000   CONNECTED
                    tdgram4       0       0  *.*              *.*
                    """);
            assertThat(out(() -> netstat.netstat("-a", "-n", "-W"))).isEqualTo(out(() -> netstat.netstat("-anW")));
            assertThat(out(() -> netstat.netstat("-a", "-p", "raw"))).isEqualTo("""
                    Active Internet connections (including servers) (vnet default)
                    Proto  Recv-Q  Send-Q  Local Address  Foreign Address  (state)
                    """);
            assertThat(out(() -> netstat.netstat("-p", "tdgram"))).contains("127.0.0.1.5000");
        }
        assertThat(out(() -> netstat.netstat("-a"))).isEqualTo("""
                Active Internet connections (including servers) (vnet default)
                Proto  Recv-Q  Send-Q  Local Address  Foreign Address  (state)
                """);
    }

    @Test
    void connectionsThatOutlivedTheirSocketFollowTheSockets() throws Exception {
        sh.tdgram.instance("default").orphans.add(new ConnectionInfo(new InetSockAddr(InAddr.LOOPBACK, 7000),
                new InetSockAddr(InAddr.parse("127.0.0.2"), 41000), "TIME_WAIT", 0, 0));
        sh.tdgram.instance("default").orphans.add(new ConnectionInfo(new InetSockAddr(InAddr.LOOPBACK, 7001),
                new InetSockAddr(InAddr.parse("127.0.0.2"), 41001), "FIN_WAIT_1", 0, 1460));
        try (Socket server = tdgram()) {
            server.bind(new InetSockAddr(InAddr.LOOPBACK, 5000));
            String expected = """
                    Active Internet connections (vnet default)
                    Proto    Recv-Q  Send-Q  Local Address   Foreign Address  (state)
                    tdgram4       0       0  127.0.0.1.5000  *.*
                    tdgram4       0       0  127.0.0.1.7000  127.0.0.2.41000  TIME_WAIT
                    tdgram4       0    1460  127.0.0.1.7001  127.0.0.2.41001  FIN_WAIT_1
                    """;
            assertThat(out(() -> netstat.netstat())).isEqualTo(expected);
            assertThat(out(() -> netstat.netstat("-an", "-p", "tdgram"))).isEqualTo(expected.replace("(vnet", "(including servers) (vnet"));
            assertThat(out(() -> netstat.netstat("-p", "raw"))).doesNotContain("TIME_WAIT");
        }
    }

    @Test
    void aClosedSocketWithACallStillInsideShowsAsClosing() throws Exception {
        CountDownLatch stall = new CountDownLatch(1);
        sh.tdgram.stall = stall;
        Socket s = tdgram();
        s.bind(new InetSockAddr(InAddr.LOOPBACK, 6000));
        Thread inside = Thread.ofVirtual().start(() -> {
            try {
                s.setOption(TestDgramProto.TEST_OPT, 1);
            } catch (Exception e) {
                // the socket closed under the call: what this test provokes
            }
        });
        try {
            // parked on the latch inside the protocol's setOption
            for (int i = 0; i < 2500 && inside.getState() != Thread.State.WAITING; i++) {
                Thread.sleep(2);
            }
            assertThat(inside.getState()).isEqualTo(Thread.State.WAITING);
            s.close();
            assertThat(out(() -> netstat.netstat())).endsWith("tdgram4       0       0  *.*            *.*              (closing)\n");
        } finally {
            stall.countDown();
            inside.join(TimeUnit.SECONDS.toMillis(5));
        }
        assertThat(inside.isAlive()).isFalse();
        assertThat(dflt.sockets().sockets()).isEmpty();
    }

    @Test
    void statisticsPerProtocol() throws Exception {
        try (Socket server = tdgram(); Socket client = tdgram()) {
            server.bind(new InetSockAddr(InAddr.LOOPBACK, 5000));
            client.sendto(ByteBuffer.wrap(new byte[10]), 0, new InetSockAddr(InAddr.LOOPBACK, 5000));
        }
        assertThat(out(() -> netstat.netstat("-s", "-p", "tdgram"))).isEqualTo("""
                tdgram:
                \t1 datagrams delivered
                \t0 dropped for a full socket buffer
                """);
        String all = out(() -> netstat.netstat("-s"));
        assertThat(all).startsWith("ip:\n\t0 total packets received\n");
        assertThat(all.lines().filter(l -> !l.startsWith("\t"))).containsExactly("ip:", "icmp:", "raw:", "tdgram:");
        assertThat(out(() -> netstat.netstat("-s", "-p", "icmp"))).startsWith("icmp:\n\t0 calls to icmp_error\n");
    }

    @Test
    void icmpHistogramsPrintUnderTheirHeadingAsFreeBsdDoes() {
        Map<String, Long> m = new LinkedHashMap<>();
        m.put("calls to icmp_error", 0L);
        m.put("Output histogram: echo reply", 3L);
        m.put("Output histogram: destination unreachable", 1L);
        m.put("messages with bad code fields", 0L);
        m.put("Input histogram: echo", 3L);
        StringBuilder sb = new StringBuilder();
        NetstatCommand.section(sb, "icmp", m);
        assertThat(sb).hasToString("""
                icmp:
                \t0 calls to icmp_error
                \tOutput histogram:
                \t\techo reply: 3
                \t\tdestination unreachable: 1
                \t0 messages with bad code fields
                \tInput histogram:
                \t\techo: 3
                """);
        StringBuilder none = new StringBuilder();
        NetstatCommand.section(none, "quiet", Map.of());
        assertThat(none).hasToString("quiet:\n\t(no statistics)\n");
    }

    @Test
    void afterAPingIcmpCountsTheEchoesAndLo0CountsThePackets() {
        PingCommand ping = sh.command(new PingCommand());
        out(() -> ping.ping("-c", "1", "127.0.0.1"));
        assertThat(out(() -> netstat.netstat("-s", "-p", "icmp"))).contains("""
                \tOutput histogram:
                \t\techo reply: 1
                """, """
                \tInput histogram:
                \t\techo reply: 1
                \t\techo: 1
                """);
        assertThat(out(() -> netstat.netstat("-i"))).isEqualTo("""
                Name    Mtu  Network      Address    Ipkts  Ierrs  Idrop  Ibytes  Opkts  Oerrs  Odrop  Obytes
                lo0   65535  <Link#1>     loopback       2      0      0     168      2      0      0     168
                lo0   65535  127.0.0.0/8  127.0.0.1      2      0      0     168      2      0      0     168
                """);
    }

    @Test
    void minusRIsTheRoutingTable() {
        RouteCommand route = sh.command(new RouteCommand());
        assertThat(out(() -> netstat.netstat("-rn"))).isEqualTo(out(() -> route.route("show")));
    }

    @Test
    void badOptionsSayWhatIsAccepted() {
        String accepted = "(accepted: -a, -n, -W, -T, -p proto, -s, -i, -r, -j vnet)";
        assertThat(error(() -> netstat.netstat("-x"))).startsWith("netstat: unknown option '-x' " + accepted);
        assertThat(error(() -> netstat.netstat("-L"))).startsWith("netstat: unknown option '-L' " + accepted);
        assertThat(error(() -> netstat.netstat("-anx"))).startsWith("netstat: unknown option '-x' " + accepted);
        assertThat(error(() -> netstat.netstat("all"))).startsWith("netstat: unexpected 'all' " + accepted);
        assertThat(error(() -> netstat.netstat("-"))).startsWith("netstat: unexpected '-' " + accepted);
        assertThat(error(() -> netstat.netstat("-si"))).startsWith("netstat: -s and -i cannot be combined");
        assertThat(error(() -> netstat.netstat("-r", "-s"))).startsWith("netstat: -r and -s cannot be combined");
        assertThat(error(() -> netstat.netstat("-p"))).startsWith("netstat: missing protocol after -p");
        assertThat(error(() -> netstat.netstat("-s", "-p", "sctp"))).startsWith("netstat: no protocol 'sctp' in vnet default (known: ip, icmp, raw, tdgram)");
        assertThat(error(() -> netstat.netstat("-p", "sctp"))).startsWith("netstat: no protocol 'sctp' in vnet default (known: ip, icmp, raw, tdgram)");
        assertThat(error(() -> netstat.netstat("-i", "-p", "raw"))).startsWith("netstat: -p applies to the socket list and to -s, not to -i");
        assertThat(error(() -> netstat.netstat("-j"))).startsWith("netstat: missing vnet name after -j");
        assertThat(error(() -> netstat.netstat("-j", "nope"))).isEqualTo("netstat: no vnet named 'nope' (known: default)");
    }
}
