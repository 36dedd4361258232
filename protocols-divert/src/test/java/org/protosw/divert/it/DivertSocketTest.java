package org.protosw.divert.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.protosw.internal.kern.Vnet;
import org.protosw.internal.shell.NetstatCommand;
import org.protosw.socket.Errno;
import org.protosw.socket.InAddr;
import org.protosw.socket.InetSockAddr;
import org.protosw.socket.RecvInfo;
import org.protosw.socket.SockOpt;
import org.protosw.socket.Socket;
import org.protosw.socket.SocketConstants;
import org.protosw.socket.SocketException;
import org.protosw.wire.Ipv4Header;

/** The PF_DIVERT socket itself: socket(2) triples, bind, and how netstat shows it and counts its work. */
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

    /**
     * A known exchange between two vnets, then every divert counter netstat prints, by value:
     * a diverts 3 datagrams outbound and writes all 3 back; b diverts them inbound and writes
     * 2 back intact and 1 with a broken header checksum; b diverts 2 more to a port no socket
     * holds, and tees 1.
     */
    @Test
    void netstatCountsWhatWasDivertedReinjectedDroppedAndTeed() throws Exception {
        try (DivertLab lab = new DivertLab()) {
            Vnet a = lab.vnet("a");
            Vnet b = lab.vnet("b");
            lab.link(a, "10.0.0.1", b, "10.0.0.2");
            lab.rule(a, 100, "divert 8669 udp from any to any 9000 out");
            lab.rule(b, 100, "divert 8668 udp from any to any 9000 in");
            lab.rule(b, 200, "divert 8670 udp from any to any 9001 in"); // nobody binds 8670
            lab.rule(b, 300, "tee 8668 udp from any to any 9002 in");
            Socket da = DivertLab.divertSocket(a, 8669);
            da.setOption(SockOpt.SO_RCVTIMEO, 5000);
            Socket db = DivertLab.divertSocket(b, 8668);
            db.setOption(SockOpt.SO_RCVTIMEO, 5000);
            Socket rx = DivertLab.udp(b, "10.0.0.2", 9000);
            Socket rxTee = DivertLab.udp(b, "10.0.0.2", 9002);
            Socket tx = DivertLab.udp(a, "10.0.0.1", 0);
            ByteBuffer buf = ByteBuffer.allocate(65535);

            for (int i = 0; i < 3; i++) {
                tx.sendto(ByteBuffer.wrap(Stream.datagram(i)), 0, InetSockAddr.of("10.0.0.2", 9000));
                buf.clear();
                RecvInfo out = da.recvfrom(buf, 0);
                buf.flip();
                da.sendto(buf, 0, out.from());
                buf.clear();
                RecvInfo in = db.recvfrom(buf, 0);
                if (i == 1) {
                    buf.put(Ipv4Header.OFF_CHECKSUM, (byte) ~buf.get(Ipv4Header.OFF_CHECKSUM));
                }
                buf.position(in.length()).flip();
                db.sendto(buf, 0, in.from());
            }
            assertThat(ByteBuffer.wrap(DivertLab.receive(rx)).getInt(0)).isZero();
            assertThat(ByteBuffer.wrap(DivertLab.receive(rx)).getInt(0)).as("1 was dropped for its checksum").isEqualTo(2);
            for (int i = 0; i < 2; i++) {
                tx.sendto(ByteBuffer.wrap(Stream.datagram(10 + i)), 0, InetSockAddr.of("10.0.0.2", 9001));
            }
            tx.sendto(ByteBuffer.wrap(Stream.datagram(20)), 0, InetSockAddr.of("10.0.0.2", 9002));
            assertThat(ByteBuffer.wrap(DivertLab.receive(rxTee)).getInt(0)).as("a tee lets the packet pass").isEqualTo(20);
            buf.clear();
            assertThat(db.recvfrom(buf, 0).from()).as("and sends a copy").isEqualTo(InetSockAddr.of("10.0.0.2", 300));

            Map<String, Long> wantA = counters(3, 0, 0, 0, 3, 0);
            Map<String, Long> wantB = counters(0, 1, 2, 2, 0, 1);
            wantB.put("packets diverted inbound", 3L);
            // the workers count right after they deliver: wait until they are done, then compare
            awaitCounters(lab, a, wantA);
            awaitCounters(lab, b, wantB);
            NetstatCommand netstat = new NetstatCommand();
            netstat.useCore(lab.stack.core());
            assertThat(capture(() -> netstat.netstat("-j", "a", "-s", "-p", "divert"))).contains(lines(wantA));
            assertThat(capture(() -> netstat.netstat("-j", "b", "-s", "-p", "divert"))).contains(lines(wantB));
        }
    }

    /** The eight counters in netstat's order; "diverted inbound" 0 (set it after). */
    private static Map<String, Long> counters(long divertedOut, long teed, long noSocket, long reinjectedIn,
            long reinjectedOut, long badSum) {
        Map<String, Long> m = new LinkedHashMap<>();
        m.put("packets diverted inbound", 0L);
        m.put("packets diverted outbound", divertedOut);
        m.put("packets tee'd", teed);
        m.put("dropped due to no socket", noSocket);
        m.put("dropped due to full socket buffers", 0L);
        m.put("packets reinjected inbound", reinjectedIn);
        m.put("packets reinjected outbound", reinjectedOut);
        m.put("reinjected with bad header checksum", badSum);
        return m;
    }

    private static void awaitCounters(DivertLab lab, Vnet v, Map<String, Long> want) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (!DivertLab.stats(lab, "divert", v).equals(want) && System.nanoTime() - deadline < 0) {
            Thread.sleep(2);
        }
        assertThat(DivertLab.stats(lab, "divert", v)).as("divert counters of vnet " + v.name()).isEqualTo(want);
    }

    /** The block netstat -s prints for these counters, in order. */
    private static String lines(Map<String, Long> m) {
        StringBuilder sb = new StringBuilder();
        m.forEach((k, n) -> sb.append('\t').append(n).append(' ').append(k).append('\n'));
        return sb.toString();
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
