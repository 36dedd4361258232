package org.protosw.tcp.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.protosw.tcp.internal.TcpTestbed.*;

import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.protosw.socket.InetSockAddr;
import org.protosw.socket.SockOpt;
import org.protosw.socket.Socket;
import org.protosw.socket.SocketConstants;
import org.protosw.tcp.TcpInfo;
import org.protosw.tcp.TcpSockOpts;

/**
 * Slow start into a bottleneck with a deep queue and no random loss: plain slow start fills
 * the queue until it overflows and then, doubling, loses up to a window's worth of segments
 * in one round; HyStart++ sees the queue as a rising RTT long before and slows down. Every
 * retransmission here comes from such an overshoot, so the sender's count of retransmitted
 * segments measures it. The bytes must arrive intact either way.
 */
class HyStartTransferTest {
    private static final int SIZE = 2 << 20;
    /** 10 Mbit/s, 20 ms RTT: 17 segments in flight fill the link, 400 more the queue. */
    private static final String PATH = "bw 10Mbit/s delay 10ms queue 400";

    private record Run(long retransmits, long ssthresh, double secs) {
    }

    private static Run transfer(String algo, boolean hystart) throws Exception {
        try (TcpTestbed tb = new TcpTestbed()) {
            tb.pipes(PATH);
            tb.a.sysctl().find(TcpProtocol.SYSCTL_HYSTART).set(hystart ? 1 : 0);
            byte[] data = randomBytes(SIZE, 77);
            try (Socket l = tcpSocket(tb.b)) {
                // a window far above what the queue holds, so the queue is what slow start runs into
                l.setOption(SockOpt.SO_RCVBUF, 1 << 20);
                l.bind(new InetSockAddr(B, 8200));
                l.listen(1);
                Future<byte[]> server = tb.async(() -> {
                    try (Socket c = l.accept()) {
                        return readAll(c, SIZE + 1);
                    }
                });
                try (Socket c = tcpSocket(tb.a)) {
                    c.setOption(SockOpt.SO_SNDBUF, 1 << 20);
                    c.setOption(TcpSockOpts.TCP_CONGESTION, algo);
                    long start = System.nanoTime();
                    c.connect(new InetSockAddr(B, 8200));
                    sendAll(c, data, 64 * 1024);
                    c.shutdown(SocketConstants.SHUT_WR);
                    byte[] got = server.get(60, TimeUnit.SECONDS);
                    double secs = (System.nanoTime() - start) / 1e9;
                    assertThat(got.length).isEqualTo(SIZE);
                    assertThat(sha256(got)).isEqualTo(sha256(data));
                    TcpInfo info = c.getOption(TcpSockOpts.TCP_INFO);
                    return new Run(info.totalRetransmits(), info.ssthresh(), secs);
                }
            }
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"cubic", "newreno"})
    void hystartOvershootsFarLessThanPlainSlowStart(String algo) throws Exception {
        Run plain = transfer(algo, false);
        Run hy = transfer(algo, true);
        System.out.printf("%s, %d MiB over %s: plain slow start %d segments retransmitted (%.2f s, ssthresh %d),"
                + " HyStart++ %d (%.2f s, ssthresh %d)%n", algo, SIZE >> 20, PATH, plain.retransmits(), plain.secs(),
                plain.ssthresh(), hy.retransmits(), hy.secs(), hy.ssthresh());
        // the overshoot is real: dozens of segments lost at the end of plain slow start
        assertThat(plain.retransmits()).isGreaterThanOrEqualTo(30);
        assertThat(hy.retransmits()).isLessThanOrEqualTo(plain.retransmits() / 2);
    }
}
