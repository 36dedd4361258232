package org.protosw.tcp.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.protosw.tcp.internal.TcpTestbed.*;

import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.protosw.socket.InAddr;
import org.protosw.socket.InetSockAddr;
import org.protosw.socket.SockOpt;
import org.protosw.socket.Socket;
import org.protosw.socket.SocketConstants;
import org.protosw.tcp.TcpInfo;
import org.protosw.tcp.TcpSockOpts;

/**
 * Bulk over lo0 (64 KiB segments, default buffers) where the receive window, not the link,
 * is the limit: the window must keep opening as the reader drains, without waiting for the
 * persist timer. Both cases stalled before: the passive end scaled its window for the
 * listener's 64 KiB only (the window stopped at 128 KiB while autotuning grew the buffer),
 * and a buffer larger than the scale can say never earned a window update.
 */
class LoopbackBulkTest {
    private static final InAddr LOCALHOST = InAddr.of(127, 0, 0, 1);
    private static final int SIZE = 64 << 20;

    private record Ends(TcpInfo client, TcpInfo server) {
    }

    /** Sends SIZE bytes client to server over lo0, checks them; {@code accepted} runs on the accepted socket first. */
    private Ends transfer(TcpTestbed tb, int port, SocketSetup accepted) throws Exception {
        byte[] data = randomBytes(SIZE, port);
        try (Socket l = tcpSocket(tb.a)) {
            l.bind(new InetSockAddr(LOCALHOST, port));
            l.listen(1);
            Future<Object[]> server = tb.async(() -> {
                try (Socket c = l.accept()) {
                    accepted.apply(c);
                    TcpInfo info = c.getOption(TcpSockOpts.TCP_INFO);
                    return new Object[] {readAll(c, SIZE + 1), info};
                }
            });
            try (Socket c = tcpSocket(tb.a)) {
                c.connect(new InetSockAddr(LOCALHOST, port));
                sendAll(c, data, 64 * 1024);
                TcpInfo info = c.getOption(TcpSockOpts.TCP_INFO);
                c.shutdown(SocketConstants.SHUT_WR);
                // a stall rescued only by 200 ms persist probes would take minutes for 64 MiB
                Object[] r = server.get(60, TimeUnit.SECONDS);
                byte[] got = (byte[]) r[0];
                assertThat(got.length).isEqualTo(SIZE);
                assertThat(sha256(got)).isEqualTo(sha256(data));
                return new Ends(info, (TcpInfo) r[1]);
            }
        }
    }

    private interface SocketSetup {
        void apply(Socket s) throws Exception;
    }

    @Test
    void defaultBuffersBothEndsScaleForAutotuningAndNeverWaitForPersist() throws Exception {
        try (TcpTestbed tb = new TcpTestbed()) {
            Ends e = transfer(tb, 8400, s -> { });
            // recvbuf_max 2 MiB needs shift 6 (65535 << 5 is just under 2 MiB), at both ends
            assertThat(e.client().rcvWscale()).isEqualTo(6);
            assertThat(e.server().rcvWscale()).isEqualTo(6);
            assertThat(e.client().sndWscale()).isEqualTo(6);
            assertThat(tb.stat(tb.a, "persist timeouts")).isZero();
        }
    }

    @Test
    void bufferRaisedBeyondWhatTheScaleCanAdvertiseStillGetsWindowUpdates() throws Exception {
        try (TcpTestbed tb = new TcpTestbed()) {
            // no autotuning: the listener's 64 KiB gives shift 1, a 128 KiB window at most
            tb.a.sysctl().find(TcpProtocol.SYSCTL_RECVBUF_AUTO).set(0);
            Ends e = transfer(tb, 8401, s -> s.setOption(SockOpt.SO_RCVBUF, 1 << 20));
            assertThat(e.server().rcvWscale()).isEqualTo(1);
            assertThat(tb.stat(tb.a, "persist timeouts")).isZero();
            assertThat(tb.stat(tb.a, "window update packets")).isPositive();
        }
    }
}
