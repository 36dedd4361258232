package org.protosw.tcp.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.protosw.tcp.internal.TcpTestbed.*;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.protosw.socket.InAddr;
import org.protosw.socket.InetSockAddr;
import org.protosw.socket.Socket;

class TcpBasicTest {
    private TcpTestbed tb;

    @BeforeEach
    void setUp() throws Exception {
        tb = new TcpTestbed();
    }

    @AfterEach
    void tearDown() {
        tb.close();
    }

    @Test
    void echoOverLoopback() throws Exception {
        try (Socket l = listener(tb.a, InAddr.LOOPBACK, 7000, 8)) {
            Future<byte[]> server = tb.async(() -> {
                try (Socket c = l.accept()) {
                    byte[] got = readAll(c, 1 << 16);
                    sendAll(c, got, 1000);
                    c.shutdown(org.protosw.socket.SocketConstants.SHUT_WR);
                    return got;
                }
            });
            try (Socket c = tcpSocket(tb.a)) {
                c.connect(new InetSockAddr(InAddr.LOOPBACK, 7000));
                assertThat(c.isConnected()).isTrue();
                byte[] msg = "hello, tcp".getBytes(StandardCharsets.US_ASCII);
                c.send(ByteBuffer.wrap(msg));
                c.shutdown(org.protosw.socket.SocketConstants.SHUT_WR);
                byte[] echo = readAll(c, 1 << 16);
                assertThat(echo).isEqualTo(msg);
                assertThat(server.get(5, TimeUnit.SECONDS)).isEqualTo(msg);
            }
        }
    }
}
