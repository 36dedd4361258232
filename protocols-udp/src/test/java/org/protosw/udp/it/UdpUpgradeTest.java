package org.protosw.udp.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.protosw.socket.SocketConstants.AF_INET;
import static org.protosw.socket.SocketConstants.IPPROTO_UDP;
import static org.protosw.socket.SocketConstants.SOCK_RAW;

import java.nio.ByteBuffer;

import org.junit.jupiter.api.Test;
import org.protosw.internal.kern.Vnet;
import org.protosw.internal.sw.ProtoEntry;
import org.protosw.internal.sw.UpgradeRecord;
import org.protosw.socket.Errno;
import org.protosw.socket.InetSockAddr;
import org.protosw.socket.RecvInfo;
import org.protosw.socket.SockOpt;
import org.protosw.socket.Socket;
import org.protosw.socket.SocketException;

/**
 * A live upgrade of the real UDP between two vnets joined by an epair: bindings, connections,
 * options and every queued datagram survive it; datagrams arriving during the pause are held
 * (no ICMP port or protocol unreachable) and delivered in order after it; what overflows the
 * hold is counted; a revision that never comes ends as an unload.
 */
class UdpUpgradeTest {
    /** A UDP datagram from the raw socket of {@code from}: sport 4000 to {@code dport}, one int of payload, no checksum. */
    private static void rawUdp(Socket raw, String to, int dport, int n) throws SocketException {
        ByteBuffer udp = ByteBuffer.allocate(8 + 4);
        udp.putShort(0, (short) 4000).putShort(2, (short) dport).putShort(4, (short) 12).putShort(6, (short) 0).putInt(8, n);
        raw.sendto(udp, 0, InetSockAddr.of(to, 0));
    }

    private static int readInt(Socket s) throws SocketException {
        // bounded: a datagram that is missing fails the test with EAGAIN instead of hanging it
        s.setOption(SockOpt.SO_RCVTIMEO, 5000);
        ByteBuffer b = ByteBuffer.allocate(64);
        RecvInfo r = s.recvfrom(b, 0);
        assertThat(r.length()).isEqualTo(4);
        return b.getInt(0);
    }

    @Test
    void bindingsOptionsQueuedAndHeldDatagramsSurviveTheUpgrade() throws Exception {
        try (Lab lab = new Lab()) {
            Vnet a = lab.def();
            Vnet b = lab.vnet("b");
            lab.link(a, "192.0.2.1", b, "192.0.2.2", 24);
            Socket rx = Lab.udpSocket(a);
            rx.bind(InetSockAddr.of("192.0.2.1", 7000));
            rx.setOption(SockOpt.IP_TTL, 33);
            Socket sink = Lab.udpSocket(b);
            sink.bind(InetSockAddr.of("192.0.2.2", 7001));
            Socket c = Lab.udpSocket(a);
            c.connect(InetSockAddr.of("192.0.2.2", 7001));
            c.setOption(SockOpt.IP_TOS, 0x10);
            InetSockAddr cLocal = (InetSockAddr) c.localAddress();
            Socket tx = Lab.udpSocket(b);
            for (int i = 0; i < 20; i++) {
                tx.sendto(ByteBuffer.allocate(4).putInt(0, i), 0, InetSockAddr.of("192.0.2.1", 7000));
            }
            Lab.await("20 datagrams queued on rx", 5000, () -> lab.udpStat(a, "delivered") >= 20);
            Socket raw = b.socket(AF_INET, SOCK_RAW, IPPROTO_UDP);
            long unreachBefore = Lab.icmpStat(a, "calls to icmp_error");
            long forHostBefore = Lab.ipStat(a, "packets for this host");

            lab.stack.core().registry().unregisterForUpgrade(lab.udp());
            for (int i = 20; i < 25; i++) {
                rawUdp(raw, "192.0.2.1", 7000, i);
            }
            Lab.await("5 datagrams held in vnet default", 5000, () -> Lab.ipStat(a, "packets for this host") >= forHostBefore + 5);
            lab.loadUdp();

            ProtoEntry e = lab.stack.core().registry().entry("udp");
            UpgradeRecord rec = e.lastUpgrade();
            assertThat(rec).isNotNull();
            assertThat(rec.failed()).isFalse();
            assertThat(rec.sockets()).as("rx, c, sink and tx").isEqualTo(4);
            assertThat(rec.held()).isEqualTo(5);
            assertThat(rec.overflowed()).isZero();
            for (int i = 0; i < 25; i++) {
                assertThat(readInt(rx)).as("datagram %d: queued ones first, then the held ones, in order", i).isEqualTo(i);
            }
            assertThat(Lab.icmpStat(a, "calls to icmp_error")).as("nothing answered during the pause").isEqualTo(unreachBefore);
            assertThat(rx.getOption(SockOpt.IP_TTL)).isEqualTo(33);
            assertThat(rx.localAddress()).isEqualTo(InetSockAddr.of("192.0.2.1", 7000));
            assertThat(c.peerAddress()).isEqualTo(InetSockAddr.of("192.0.2.2", 7001));
            assertThat(c.localAddress()).isEqualTo(cLocal);
            assertThat(c.getOption(SockOpt.IP_TOS)).isEqualTo(0x10);
            c.send(ByteBuffer.allocate(4).putInt(0, 99));
            assertThat(readInt(sink)).isEqualTo(99);
            assertThat(lab.udpStat(a, "delivered")).as("the counters came along").isGreaterThanOrEqualTo(25);
            // a new socket cannot take a port the moved socket holds: its binding is in the new table
            Socket dup = Lab.udpSocket(a);
            assertThatThrownBy(() -> dup.bind(InetSockAddr.of("192.0.2.1", 7000))).isInstanceOfSatisfying(SocketException.class,
                    x -> assertThat(x.errno()).isEqualTo(Errno.EADDRINUSE));
        }
    }

    @Test
    void whatOverflowsTheHoldIsCounted() throws Exception {
        try (Lab lab = new Lab()) {
            Vnet a = lab.def();
            Vnet b = lab.vnet("b");
            lab.link(a, "192.0.2.1", b, "192.0.2.2", 24);
            Lab.sysctl(a, "net.protosw.upgrade_holdq", 2);
            Socket rx = Lab.udpSocket(a);
            rx.bind(InetSockAddr.of("192.0.2.1", 7000));
            Socket raw = b.socket(AF_INET, SOCK_RAW, IPPROTO_UDP);
            long forHostBefore = Lab.ipStat(a, "packets for this host");
            lab.stack.core().registry().unregisterForUpgrade(lab.udp());
            for (int i = 0; i < 5; i++) {
                rawUdp(raw, "192.0.2.1", 7000, i);
            }
            Lab.await("5 datagrams arrived", 5000, () -> Lab.ipStat(a, "packets for this host") >= forHostBefore + 5);
            lab.loadUdp();
            UpgradeRecord rec = lab.stack.core().registry().entry("udp").lastUpgrade();
            assertThat(rec.held()).isEqualTo(2);
            assertThat(rec.overflowed()).isEqualTo(3);
            assertThat(Lab.ipStat(a, "packets dropped while their protocol was upgraded")).isEqualTo(3);
            assertThat(readInt(rx)).isEqualTo(0);
            assertThat(readInt(rx)).isEqualTo(1);
            rx.setNonBlocking(true);
            assertThatThrownBy(() -> rx.recv(ByteBuffer.allocate(8))).isInstanceOfSatisfying(SocketException.class,
                    x -> assertThat(x.errno()).isEqualTo(Errno.EAGAIN));
        }
    }

    @Test
    void aRevisionThatNeverComesEndsAsAnUnloadAndUdpServesAgainWhenItDoes() throws Exception {
        try (Lab lab = new Lab()) {
            Vnet a = lab.def();
            Lab.sysctl(a, "net.protosw.upgrade_wait_ms", 100);
            Socket rx = Lab.udpSocket(a);
            rx.bind(InetSockAddr.of("127.0.0.1", 7000));
            Lab.Task<Errno> reader = lab.spawn("reader", () -> {
                try {
                    rx.recv(ByteBuffer.allocate(8));
                    return null;
                } catch (SocketException x) {
                    return x.errno();
                }
            });
            lab.stack.core().registry().unregisterForUpgrade(lab.udp());
            assertThat(reader.join(10_000)).isEqualTo(Errno.ECONNABORTED);
            Lab.await("udp gone", 5000, () -> lab.stack.core().registry().entry("udp") == null);
            assertThat(lab.stack.core().registry().upgradeFailures()).last().satisfies(
                    f -> assertThat(f.failure()).contains("no new revision of udp registered within 100 ms"));
            lab.loadUdp();
            Socket again = Lab.udpSocket(a);
            again.bind(InetSockAddr.of("127.0.0.1", 7000));
            again.sendto(ByteBuffer.allocate(4).putInt(0, 5), 0, InetSockAddr.of("127.0.0.1", 7000));
            assertThat(readInt(again)).isEqualTo(5);
        }
    }
}
