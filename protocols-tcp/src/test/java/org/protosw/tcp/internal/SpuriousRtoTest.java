package org.protosw.tcp.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.protosw.tcp.internal.TcpTestbed.*;

import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.protosw.internal.net.PipeConfig;
import org.protosw.socket.InetSockAddr;
import org.protosw.socket.Socket;
import org.protosw.tcp.TcpInfo;
import org.protosw.tcp.TcpSockOpts;

/**
 * A delay spike longer than the retransmission timeout (a sub-millisecond path suddenly
 * taking 300 ms one way): the timer fires although nothing was lost, and the first ACK
 * echoes the timestamp of the original transmission. TCP must see that (RFC 3522) and take
 * the timeout back, instead of restarting from a one-segment window.
 */
class SpuriousRtoTest {
    private static final int SIZE = 64 << 10;

    @Test
    void aDelaySpikeTimeoutIsUndoneWhenTheOriginalIsAcknowledged() throws Exception {
        try (TcpTestbed tb = new TcpTestbed(); Socket l = listener(tb.b, B, 8500, 1); Socket c = tcpSocket(tb.a)) {
            c.connect(new InetSockAddr(B, 8500));
            try (Socket s = l.accept()) {
                Future<byte[]> got = tb.async(() -> readAll(s, 2 * SIZE + 1));
                byte[] first = randomBytes(SIZE, 1);
                byte[] second = randomBytes(SIZE, 2);
                sendAll(c, first, SIZE);
                assertThat(eventually(2000, () -> tb.stat(tb.b, "bytes received in-sequence") >= SIZE)).isTrue();
                TcpInfo before = c.getOption(TcpSockOpts.TCP_INFO);
                assertThat(before.timestamps()).isTrue();

                // from now on a's packets take 300 ms to b; the timeout (200 ms minimum) fires first
                tb.a.pipes().config(1, PipeConfig.parse("delay 300ms"));
                tb.a.pipes().attach(1, tb.pair.a(), false);
                sendAll(c, second, SIZE);
                assertThat(eventually(5000, () -> tb.stat(tb.a, "spurious retransmit timeouts undone") > 0)).isTrue();
                TcpInfo after = c.getOption(TcpSockOpts.TCP_INFO);
                assertThat(tb.stat(tb.a, "retransmit timeouts")).isPositive();
                assertThat(after.cwnd()).as("the window before the timeout is back").isGreaterThanOrEqualTo(before.cwnd());
                assertThat(after.ssthresh()).as("no slow-start threshold from a loss that never was").isEqualTo(before.ssthresh());

                c.shutdown(org.protosw.socket.SocketConstants.SHUT_WR);
                byte[] all = got.get(30, TimeUnit.SECONDS);
                byte[] expected = new byte[2 * SIZE];
                System.arraycopy(first, 0, expected, 0, SIZE);
                System.arraycopy(second, 0, expected, SIZE, SIZE);
                assertThat(sha256(all)).isEqualTo(sha256(expected));
            }
        }
    }
}
