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
}
