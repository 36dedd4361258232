package org.protosw.divert.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;

import org.junit.jupiter.api.Test;
import org.protosw.internal.kern.Vnet;
import org.protosw.internal.shell.NetstatCommand;
import org.protosw.socket.Errno;
import org.protosw.socket.InAddr;
import org.protosw.socket.InetSockAddr;
import org.protosw.socket.Socket;
import org.protosw.socket.SocketConstants;
import org.protosw.socket.SocketException;

/** The PF_DIVERT socket itself: socket(2) triples, bind, and how netstat shows it. */
class DivertSocketTest {
    private static Errno errno(ThrowingCall c) {
        try {
            c.run();
        } catch (SocketException e) {
            return e.errno();
        }
        throw new AssertionError("no error");
    }

    @FunctionalInterface
    interface ThrowingCall {
        void run() throws SocketException;
    }

    @Test
    void protocolZeroAndIpprotoDivertAreAcceptedBindTakesThePort() throws Exception {
        try (DivertLab lab = new DivertLab()) {
            Vnet v = lab.def();
            Socket s = v.socket(SocketConstants.AF_DIVERT, SocketConstants.SOCK_RAW, SocketConstants.IPPROTO_DIVERT);
            s.bind(InetSockAddr.of("10.1.2.3", 8668)); // the address part means nothing
            assertThat(s.localAddress()).isEqualTo(new InetSockAddr(InAddr.ANY, 8668));
            Socket other = v.socket(SocketConstants.AF_DIVERT, SocketConstants.SOCK_RAW, 0);
            assertThat(errno(() -> other.bind(new InetSockAddr(InAddr.ANY, 8668)))).isEqualTo(Errno.EADDRINUSE);
            other.bind(new InetSockAddr(InAddr.ANY, 0));
            assertThat(((InetSockAddr) other.localAddress()).port()).isEqualTo(49152);
            assertThat(errno(() -> other.bind(new InetSockAddr(InAddr.ANY, 1)))).isEqualTo(Errno.EINVAL);
            assertThat(errno(() -> other.peerAddress())).isEqualTo(Errno.ENOTCONN);
            assertThat(errno(() -> v.socket(SocketConstants.AF_DIVERT, SocketConstants.SOCK_RAW, 17))).isEqualTo(Errno.EPROTONOSUPPORT);
            assertThat(errno(() -> v.socket(SocketConstants.AF_DIVERT, SocketConstants.SOCK_DGRAM, 0))).isEqualTo(Errno.ESOCKTNOSUPPORT);
            s.close();
            // closed: the port is free again
            Socket third = v.socket(SocketConstants.AF_DIVERT, SocketConstants.SOCK_RAW, 0);
            third.bind(new InetSockAddr(InAddr.ANY, 8668));
            // a plain send is a write outbound: 20 zero bytes are no IP packet
            assertThatThrownBy(() -> third.send(java.nio.ByteBuffer.allocate(20), 0))
                    .isInstanceOfSatisfying(SocketException.class, e -> assertThat(e.errno()).isEqualTo(Errno.EINVAL));
        }
    }

    @Test
    void netstatListsDivertSocketsWithTheirPortAndTheStatistics() throws Exception {
        try (DivertLab lab = new DivertLab()) {
            Vnet v = lab.def();
            DivertLab.divertSocket(v, 8668);
            NetstatCommand netstat = new NetstatCommand();
            netstat.useCore(lab.stack.core());
            String sockets = capture(() -> netstat.netstat("-a"));
            assertThat(sockets).containsPattern("divert +0 +0 +\\*\\.8668 ");
            String stats = capture(() -> netstat.netstat("-s", "-p", "divert"));
            assertThat(stats).contains("packets diverted inbound").contains("dropped due to no socket")
                    .contains("reinjected with bad header checksum");
        }
    }

    private static String capture(Runnable r) {
        PrintStream old = System.out;
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        System.setOut(new PrintStream(buf, true, StandardCharsets.UTF_8));
        try {
            r.run();
        } finally {
            System.setOut(old);
        }
        return buf.toString(StandardCharsets.UTF_8);
    }
}
