package org.protosw.tcp.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.protosw.tcp.internal.TcpTestbed.*;

import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.protosw.internal.net.PipeConfig;
import org.protosw.socket.InetSockAddr;
import org.protosw.socket.SockOpt;
import org.protosw.socket.Socket;
import org.protosw.socket.SocketConstants;

/**
 * The same bulk transfer over a 20 Mbit/s, 10 ms RTT epair losing 5% of the packets each way
 * (same loss pattern),
 * once with SACK and once with it disabled (NewReno recovery). Both must arrive intact; with
 * SACK the sender resends fewer bytes, because it resends only the holes.
 */
class SackRecoveryTest {
    private static final int SIZE = 2 << 20;

    private record Result(long rexmitBytes, long sackEpisodes, long sackRexmits, long timeouts, double secs) {
    }

    private Result transfer(boolean sack) throws Exception {
        try (TcpTestbed tb = new TcpTestbed()) {
            tb.a.pipes().config(1, PipeConfig.parse("bw 20Mbit/s delay 5ms plr 0.05 seed 21"));
            tb.a.pipes().attach(1, tb.pair.a(), false);
            tb.b.pipes().config(1, PipeConfig.parse("bw 20Mbit/s delay 5ms plr 0.05 seed 23"));
            tb.b.pipes().attach(1, tb.pair.b(), false);
            tb.a.sysctl().find(TcpProtocol.SYSCTL_SACK).set(sack ? 1 : 0);
            tb.b.sysctl().find(TcpProtocol.SYSCTL_SACK).set(sack ? 1 : 0);
            byte[] data = randomBytes(SIZE, 77);
            try (Socket l = tcpSocket(tb.b)) {
                l.setOption(SockOpt.SO_RCVBUF, 256 * 1024);
                l.bind(new InetSockAddr(B, 8200));
                l.listen(4);
                Future<byte[]> server = tb.async(() -> {
                    try (Socket c = l.accept()) {
                        return readAll(c, SIZE + 1);
                    }
                });
                try (Socket c = tcpSocket(tb.a)) {
                    c.setOption(SockOpt.SO_SNDBUF, 256 * 1024);
                    long start = System.nanoTime();
                    c.connect(new InetSockAddr(B, 8200));
                    sendAll(c, data, 64 * 1024);
                    c.shutdown(SocketConstants.SHUT_WR);
                    byte[] got = server.get(60, TimeUnit.SECONDS);
                    double secs = (System.nanoTime() - start) / 1e9;
                    assertThat(got.length).isEqualTo(SIZE);
                    assertThat(sha256(got)).isEqualTo(sha256(data));
                    return new Result(tb.stat(tb.a, "data bytes retransmitted"), tb.stat(tb.a, "SACK recovery episodes"),
                            tb.stat(tb.a, "segment rexmits in SACK recovery"), tb.stat(tb.a, "retransmit timeouts"), secs);
                }
            }
        }
    }

    @Test
    void sackResendsFewerBytesThanNewRenoAtFivePercentLoss() throws Exception {
        Result withSack = transfer(true);
        Result without = transfer(false);
        System.out.printf("2 MiB at 5%% loss each way, 10 ms RTT: SACK %d bytes retransmitted (%d SACK recoveries, %d segments"
                + " resent in them, %d timeouts, %.2f s); no SACK %d bytes retransmitted (%d timeouts, %.2f s)%n",
                withSack.rexmitBytes, withSack.sackEpisodes, withSack.sackRexmits, withSack.timeouts, withSack.secs,
                without.rexmitBytes, without.timeouts, without.secs);
        assertThat(withSack.sackEpisodes).isPositive();
        assertThat(withSack.sackRexmits).isPositive();
        assertThat(without.sackEpisodes).isZero();
        // which segments the pipe drops depends on thread timing, so one run against one run
        // is noisy (SACK resent about 0.6x NewReno's bytes in every run seen); the exact "holes
        // only" behaviour is pinned down by sack-recovery-two-holes.pkt, so here only a clear
        // regression fails
        assertThat(withSack.rexmitBytes).isLessThan(without.rexmitBytes * 5 / 4);
    }
}
