package org.protosw.internal.socket;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.protosw.socket.InetSockAddr;
import org.protosw.socket.SockOpt;
import org.protosw.socket.Socket;
import org.protosw.socket.SocketException;

/**
 * A protocol may call {@code soreserve} again after attach (TCP grows its buffers that way);
 * a limit the application set with SO_SNDBUF/SO_RCVBUF stays as the application set it.
 */
class SoreserveTest {
    private final TestNet net = new TestNet();
    private final TestStreamProto proto = net.streamProto();

    @AfterEach
    void tearDown() {
        net.close();
        assertThat(proto.ledger.violations()).isEmpty();
    }

    @Test
    void soreserveAfterAttachRaisesTheLimits() throws SocketException {
        try (Socket s = net.stream()) {
            ProtoSocketImpl so = ((SocketImpl) s).so;
            so.soreserve(256 * 1024, 512 * 1024);
            assertThat(s.getOption(SockOpt.SO_SNDBUF)).isEqualTo(256 * 1024);
            assertThat(s.getOption(SockOpt.SO_RCVBUF)).isEqualTo(512 * 1024);
        }
    }

    @Test
    void soreserveLeavesWhatTheApplicationSet() throws SocketException {
        try (Socket s = net.stream()) {
            s.setOption(SockOpt.SO_RCVBUF, 16 * 1024);
            s.setOption(SockOpt.SO_SNDLOWAT, 4096);
            ProtoSocketImpl so = ((SocketImpl) s).so;
            so.soreserve(256 * 1024, 512 * 1024);
            assertThat(s.getOption(SockOpt.SO_RCVBUF)).isEqualTo(16 * 1024);
            assertThat(s.getOption(SockOpt.SO_SNDBUF)).isEqualTo(256 * 1024);
            assertThat(s.getOption(SockOpt.SO_SNDLOWAT)).isEqualTo(4096);
        }
    }

    @Test
    void anAcceptedSocketKeepsTheListenersExplicitLimit() throws SocketException {
        try (Socket l = net.stream(); Socket c = net.stream()) {
            l.setOption(SockOpt.SO_SNDBUF, 32 * 1024);
            l.bind(InetSockAddr.of("127.0.0.1", 0));
            l.listen(1);
            c.connect(l.localAddress());
            try (Socket a = l.accept()) {
                ((SocketImpl) a).so.soreserve(300 * 1024, 300 * 1024);
                assertThat(a.getOption(SockOpt.SO_SNDBUF)).isEqualTo(32 * 1024);
                assertThat(a.getOption(SockOpt.SO_RCVBUF)).isEqualTo(300 * 1024);
            }
        }
    }
}
