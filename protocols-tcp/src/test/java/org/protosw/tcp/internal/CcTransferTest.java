package org.protosw.tcp.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.protosw.tcp.internal.TcpTestbed.*;

import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.protosw.internal.net.PipeConfig;
import org.protosw.socket.InetSockAddr;
import org.protosw.socket.SockOpt;
import org.protosw.socket.Socket;
import org.protosw.socket.SocketConstants;
import org.protosw.tcp.TcpInfo;
import org.protosw.tcp.TcpSockOpts;

/**
 * Bulk transfers with each algorithm over a 10 Mbit/s, 50 ms RTT path losing 1% of the
 * packets each way. The bytes must arrive intact; the throughput is printed, not asserted.
 * The suite moves 2 MiB (mostly slow start); {@code -Dcc.mib=16} gives the steady state, where
 * random loss bounds any loss-based algorithm near Reno's 1.22 / sqrt(p) segments per RTT
 * (about 28% of this link).
 */
class CcTransferTest {
    private static final int SIZE = Integer.getInteger("cc.mib", 2) << 20;
    private static final double LINK_BPS = 10e6;

    private TcpTestbed tb;

    @BeforeEach
    void setUp() throws Exception {
        tb = new TcpTestbed();
        tb.a.pipes().config(1, PipeConfig.parse("bw 10Mbit/s delay 25ms plr 0.01 seed 5"));
        tb.a.pipes().attach(1, tb.pair.a(), false);
        tb.b.pipes().config(1, PipeConfig.parse("bw 10Mbit/s delay 25ms plr 0.01 seed 9"));
        tb.b.pipes().attach(1, tb.pair.b(), false);
    }

    @AfterEach
    void tearDown() {
        tb.close();
    }

    /** Sends SIZE bytes from a to b with {@code algo}; returns the sender's TCP_INFO at the end. */
    private TcpInfo transfer(String algo) throws Exception {
        byte[] data = randomBytes(SIZE, algo.hashCode());
        try (Socket l = tcpSocket(tb.b)) {
            // buffers above the path's 62.5 KB bandwidth-delay product, so the window is the algorithm's
            l.setOption(SockOpt.SO_RCVBUF, 512 * 1024);
            l.bind(new InetSockAddr(B, 8100));
            l.listen(4);
            Future<byte[]> server = tb.async(() -> {
                try (Socket c = l.accept()) {
                    return readAll(c, SIZE + 1);
                }
            });
            try (Socket c = tcpSocket(tb.a)) {
                c.setOption(SockOpt.SO_SNDBUF, 512 * 1024);
                c.setOption(TcpSockOpts.TCP_CONGESTION, algo);
                long start = System.nanoTime();
                c.connect(new InetSockAddr(B, 8100));
                sendAll(c, data, 64 * 1024);
                c.shutdown(SocketConstants.SHUT_WR);
                byte[] got = server.get(30, TimeUnit.SECONDS);
                double secs = (System.nanoTime() - start) / 1e9;
                TcpInfo info = c.getOption(TcpSockOpts.TCP_INFO);
                assertThat(got.length).isEqualTo(SIZE);
                assertThat(sha256(got)).isEqualTo(sha256(data));
                double bps = SIZE * 8.0 / secs;
                System.out.printf("%s: %d MiB over 10 Mbit/s, 50 ms RTT, 1%% loss: %.2f s, %.2f Mbit/s = %.0f%% of the link"
                        + " (%d segments retransmitted, %d fast retransmits, %d timeouts, cwnd at the end %d, ssthresh %d)%n",
                        algo, SIZE >> 20, secs, bps / 1e6, 100 * bps / LINK_BPS, info.totalRetransmits(),
                        tb.stat(tb.a, "fast retransmits"), tb.stat(tb.a, "retransmit timeouts"), info.cwnd(), info.ssthresh());
                return info;
            }
        }
    }

    @Test
    void cubicTransferIsIntact() throws Exception {
        TcpInfo info = transfer("cubic");
        assertThat(info.congestionControl()).isEqualTo("cubic");
        assertThat(info.totalRetransmits()).isPositive();
    }

    @Test
    void newRenoTransferIsIntact() throws Exception {
        TcpInfo info = transfer("newreno");
        assertThat(info.congestionControl()).isEqualTo("newreno");
        assertThat(info.totalRetransmits()).isPositive();
    }
}
