package org.protosw.tcp.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.protosw.tcp.internal.TcpTestbed.*;

import java.util.concurrent.Future;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.protosw.socket.InetSockAddr;
import org.protosw.socket.Socket;
import org.protosw.socket.SocketConstants;
import org.protosw.tcp.TcpInfo;
import org.protosw.tcp.TcpSockOpts;

/** Bulk data both ways between two stack instances over an epair, with and without link trouble. */
class TcpTransferTest {
    private TcpTestbed tb;

    @BeforeEach
    void setUp() throws Exception {
        tb = new TcpTestbed();
    }

    @AfterEach
    void tearDown() {
        tb.close();
    }

    /** Each side sends {@code size} bytes and reads the other's; both arrive intact. */
    private TcpInfo exchange(int size) throws Exception {
        byte[] up = randomBytes(size, 1);
        byte[] down = randomBytes(size, 2);
        try (Socket l = listener(tb.b, B, 8000, 4)) {
            Future<byte[]> server = tb.async(() -> {
                try (Socket c = l.accept()) {
                    Future<Void> w = tb.async(() -> {
                        sendAll(c, down, 64 * 1024);
                        c.shutdown(SocketConstants.SHUT_WR);
                        return null;
                    });
                    byte[] got = readAll(c, size + 1);
                    tb.await(w, "the server's sender", c);
                    return got;
                }
            });
            try (Socket c = tcpSocket(tb.a)) {
                c.connect(new InetSockAddr(B, 8000));
                Future<Void> w = tb.async(() -> {
                    sendAll(c, up, 64 * 1024);
                    c.shutdown(SocketConstants.SHUT_WR);
                    return null;
                });
                byte[] got = readAll(c, size + 1);
                tb.await(w, "the client's sender", c);
                TcpInfo info = c.getOption(TcpSockOpts.TCP_INFO);
                byte[] atServer = tb.await(server, "the server");
                assertThat(sha256(atServer)).isEqualTo(sha256(up));
                assertThat(sha256(got)).isEqualTo(sha256(down));
                assertThat(atServer.length).isEqualTo(size);
                assertThat(got.length).isEqualTo(size);
                return info;
            }
        }
    }

    @Test
    void eightMebibytesEachWayClean() throws Exception {
        TcpInfo info = exchange(8 << 20);
        assertThat(info.windowScaling()).isTrue();
        assertThat(info.timestamps()).isTrue();
        assertThat(info.sackPermitted()).isTrue();
    }

    @Test
    void twoPercentLoss() throws Exception {
        tb.pipes("plr 0.02");
        exchange(2 << 20);
        assertThat(tb.stat(tb.a, "data packets retransmitted") + tb.stat(tb.b, "data packets retransmitted")).isPositive();
    }

    @Test
    void reordering() throws Exception {
        tb.pipes("reorder 0.05 gap 3ms");
        exchange(4 << 20);
        assertThat(tb.stat(tb.a, "out-of-order packets") + tb.stat(tb.b, "out-of-order packets")).isPositive();
    }

    @Test
    void twentyMillisecondsDelay() throws Exception {
        tb.pipes("delay 20ms");
        exchange(2 << 20);
    }

    @Test
    void delayLossAndReorderingTogether() throws Exception {
        tb.pipes("delay 20ms plr 0.02 reorder 0.02 gap 5ms");
        exchange(512 << 10);
    }
}
