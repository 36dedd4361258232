package org.protosw.udp.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.ByteBuffer;
import java.util.HashSet;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.api.Test;
import org.protosw.internal.kern.Vnet;
import org.protosw.internal.net.PipeConfig;
import org.protosw.socket.Errno;
import org.protosw.socket.InetSockAddr;
import org.protosw.socket.RecvInfo;
import org.protosw.socket.SockAddr;
import org.protosw.socket.SockOpt;
import org.protosw.socket.Socket;
import org.protosw.socket.SocketConstants;
import org.protosw.socket.SocketException;
import org.protosw.spi.Pfil;
import org.protosw.spi.PfilHook;
import org.protosw.spi.Registration;
import org.protosw.wire.Ipv4Header;

/** UDP between two vnets over an epair (MTU 1500): fragmentation, reassembly, a lost fragment. */
class EpairFragmentTest {
    private static final int BIG = 60000;
    /** 60008 bytes of UDP in fragments of 1480 data bytes. */
    private static final int FRAGMENTS = (BIG + 8 + 1479) / 1480;
    private static final String MAXFRAGS = "net.inet.ip.maxfragsperpacket";

    private static Socket bigSocket(Vnet v, String addr) throws SocketException {
        Socket s = Lab.udpSocket(v);
        s.setOption(SockOpt.SO_SNDBUF, 65535);
        s.setOption(SockOpt.SO_RCVBUF, 1024 * 1024);
        s.setOption(SockOpt.SO_RCVTIMEO, 5000);
        s.bind(InetSockAddr.of(addr, 0));
        return s;
    }

    /** Receives one datagram and checks it is intact, from {@code from}; returns its sequence number. */
    private static int receiveIntact(Socket s, SockAddr from) throws SocketException {
        ByteBuffer in = ByteBuffer.allocate(65535);
        RecvInfo ri = s.recvfrom(in, 0);
        assertThat(ri.length()).isEqualTo(BIG);
        assertThat(ri.from()).isEqualTo(from);
        int seq = Payload.check(in.array(), ri.length());
        assertThat(seq).as("payload intact").isNotNegative();
        return seq;
    }

    private static void assertNothingArrives(Socket s) throws SocketException {
        s.setOption(SockOpt.SO_RCVTIMEO, 300);
        assertThatThrownBy(() -> s.recv(ByteBuffer.allocate(65535)))
                .isInstanceOfSatisfying(SocketException.class, e -> assertThat(e.errno()).isEqualTo(Errno.EAGAIN));
        s.setOption(SockOpt.SO_RCVTIMEO, 5000);
    }

    @Test
    void bigDatagramsCrossFragmentedBothWaysAndArriveIntact() throws Exception {
        try (Lab lab = new Lab()) {
            Vnet a = lab.def();
            Vnet b = lab.vnet("b");
            lab.link(a, "192.0.2.1", b, "192.0.2.2", 24);
            Socket sa = bigSocket(a, "192.0.2.1");
            Socket sb = bigSocket(b, "192.0.2.2");
            assertThat(FRAGMENTS).isEqualTo(41);

            // FreeBSD's net.inet.ip.maxfragsperpacket is 16: 41 fragments are too many and
            // the receiver drops the datagram (counted) until the limit is raised
            sa.sendto(ByteBuffer.wrap(Payload.make(-1, BIG)), 0, sb.localAddress());
            assertNothingArrives(sb);
            assertThat(Lab.ipStat(b, "fragments dropped (dup or out of space)")).isGreaterThanOrEqualTo(16);
            assertThat(Lab.ipStat(b, "packets reassembled ok")).isZero();

            Lab.sysctl(a, MAXFRAGS, 64);
            Lab.sysctl(b, MAXFRAGS, 64);
            long fragmentedBefore = Lab.ipStat(a, "output datagrams fragmented");
            long createdBefore = Lab.ipStat(a, "fragments created");
            for (int i = 0; i < 10; i++) {
                sa.sendto(ByteBuffer.wrap(Payload.make(i, BIG)), 0, sb.localAddress());
                assertThat(receiveIntact(sb, sa.localAddress())).isEqualTo(i);
                sb.sendto(ByteBuffer.wrap(Payload.make(100 + i, BIG)), 0, sa.localAddress());
                assertThat(receiveIntact(sa, sb.localAddress())).isEqualTo(100 + i);
            }
            assertThat(Lab.ipStat(a, "output datagrams fragmented") - fragmentedBefore).isEqualTo(10);
            assertThat(Lab.ipStat(a, "fragments created") - createdBefore).isEqualTo(10L * FRAGMENTS);
            assertThat(Lab.ipStat(b, "packets reassembled ok")).isEqualTo(10);
            assertThat(Lab.ipStat(a, "packets reassembled ok")).isEqualTo(10);

            // the largest UDP datagram, 45 fragments
            sa.sendto(ByteBuffer.wrap(Payload.make(65507, 65507)), 0, sb.localAddress());
            ByteBuffer max = ByteBuffer.allocate(65535);
            RecvInfo ri = sb.recvfrom(max, 0);
            assertThat(ri.length()).isEqualTo(65507);
            assertThat(Payload.check(max.array(), ri.length())).isEqualTo(65507);

            // a burst of them, read afterwards: all there, in order (one flow, one worker)
            for (int i = 0; i < 10; i++) {
                sa.sendto(ByteBuffer.wrap(Payload.make(200 + i, BIG)), 0, sb.localAddress());
            }
            for (int i = 0; i < 10; i++) {
                assertThat(receiveIntact(sb, sa.localAddress())).isEqualTo(200 + i);
            }
            sa.close();
            sb.close();
        }
    }

    @Test
    void aDatagramMissingAFragmentNeverArrivesAndItsQueueTimesOut() throws Exception {
        try (Lab lab = new Lab()) {
            Vnet a = lab.def();
            Vnet b = lab.vnet("b");
            lab.link(a, "192.0.2.1", b, "192.0.2.2", 24);
            Lab.sysctl(b, MAXFRAGS, 64);
            Lab.sysctl(b, "net.inet.ip.fragttl", 1);
            Socket sa = bigSocket(a, "192.0.2.1");
            Socket sb = bigSocket(b, "192.0.2.2");
            // drop the second fragment (offset 1480) of the first UDP datagram that comes in
            AtomicInteger dropped = new AtomicInteger();
            PfilHook dropSecond = (p, dir, ifp) -> {
                int word = p.get16(Ipv4Header.OFF_FRAG);
                boolean second = (word & Ipv4Header.OFFMASK) == 1480 / 8;
                if (p.get8(Ipv4Header.OFF_PROTOCOL) == SocketConstants.IPPROTO_UDP && second && dropped.compareAndSet(0, 1)) {
                    return PfilHook.DROP;
                }
                return PfilHook.PASS;
            };
            Registration hook = b.ip().pfil().addHook("drop-second-fragment", Pfil.IN, 0, dropSecond);
            long timeoutsBefore = Lab.ipStat(b, "fragments dropped after timeout");

            sa.sendto(ByteBuffer.wrap(Payload.make(1, BIG)), 0, sb.localAddress());
            sa.sendto(ByteBuffer.wrap(Payload.make(2, BIG)), 0, sb.localAddress());
            assertThat(receiveIntact(sb, sa.localAddress())).as("only the complete datagram arrives").isEqualTo(2);
            assertThat(dropped.get()).isEqualTo(1);
            assertNothingArrives(sb);

            // net.inet.ip.fragttl = 1 s: the queue with the other 40 fragments expires
            Lab.await("the reassembly queue to expire", 5000,
                    () -> Lab.ipStat(b, "fragments dropped after timeout") - timeoutsBefore == FRAGMENTS - 1);
            assertThat(b.ip().reassemblyQueues()).isZero();
            // the first fragment was there: the sender hears ICMP time exceeded (reassembly)
            Lab.await("ICMP time exceeded at the sender", 5000, () -> Lab.icmpStat(a, "Input histogram: time exceeded") == 1);
            Lab.await("the time exceeded counted as sent", 5000, () -> Lab.icmpStat(b, "Output histogram: time exceeded") == 1);
            Lab.await("the one delivery counted", 5000, () -> lab.udpStat(b, "delivered") == 1);
            assertNothingArrives(sb);
            // an ICMP error about reassembly is no error of the socket
            assertThat(sa.getOption(SockOpt.SO_ERROR)).isZero();
            hook.close();
            sa.close();
            sb.close();
        }
    }

    @Test
    void fragmentsReorderedAndDuplicatedOnTheLinkStillMakeEachDatagramOnce() throws Exception {
        try (Lab lab = new Lab()) {
            Vnet a = lab.def();
            Vnet b = lab.vnet("b");
            Lab.Link link = lab.link(a, "192.0.2.1", b, "192.0.2.2", 24);
            a.pipes().config(1, PipeConfig.parse("reorder 0.3 gap 3ms dup 0.05 seed 5"));
            a.pipes().attach(1, link.a(), false);
            Socket sa = bigSocket(a, "192.0.2.1");
            Socket sb = bigSocket(b, "192.0.2.2");
            sb.setOption(SockOpt.SO_RCVBUF, 2 * 1024 * 1024);
            int size = 8000;
            for (int i = 0; i < 200; i++) {
                sa.sendto(ByteBuffer.wrap(Payload.make(i, size)), 0, sb.localAddress());
            }
            sb.setOption(SockOpt.SO_RCVTIMEO, 500);
            Set<Integer> seen = new HashSet<>();
            ByteBuffer in = ByteBuffer.allocate(65535);
            for (;;) {
                in.clear();
                RecvInfo ri;
                try {
                    ri = sb.recvfrom(in, 0);
                } catch (SocketException e) {
                    assertThat(e.errno()).isEqualTo(Errno.EAGAIN);
                    break;
                }
                assertThat(ri.length()).isEqualTo(size);
                int seq = Payload.check(in.array(), ri.length());
                assertThat(seq).as("payload intact").isNotNegative();
                assertThat(seen.add(seq)).as("datagram %d delivered once", seq).isTrue();
            }
            assertThat(seen).hasSize(200);
            assertThat(a.pipes().get(1).stats().reordered()).isPositive();
            assertThat(a.pipes().get(1).stats().duplicated()).isPositive();
            assertThat(Lab.ipStat(b, "fragments dropped (dup or out of space)")).isPositive();
            sa.close();
            sb.close();
        }
    }

    @Test
    void dontFragmentRefusesWhatTheLinkCannotCarry() throws Exception {
        try (Lab lab = new Lab()) {
            Vnet a = lab.def();
            Vnet b = lab.vnet("b");
            lab.link(a, "192.0.2.1", b, "192.0.2.2", 24);
            Socket sa = bigSocket(a, "192.0.2.1");
            Socket sb = bigSocket(b, "192.0.2.2");
            sa.setOption(SockOpt.IP_DONTFRAG, true);
            // 1472 bytes of data fill an MTU of 1500 exactly; one more needs a fragment
            sa.sendto(ByteBuffer.wrap(Payload.make(1, 1472)), 0, sb.localAddress());
            assertThatThrownBy(() -> sa.sendto(ByteBuffer.wrap(Payload.make(2, 1473)), 0, sb.localAddress()))
                    .isInstanceOfSatisfying(SocketException.class, e -> assertThat(e.errno()).isEqualTo(Errno.EMSGSIZE));
            ByteBuffer in = ByteBuffer.allocate(2000);
            assertThat(Payload.check(in.array(), sb.recv(in))).isEqualTo(1);
            assertThat(Lab.ipStat(a, "datagrams that can't be fragmented")).isEqualTo(1);
            sa.setOption(SockOpt.IP_DONTFRAG, false);
            sa.sendto(ByteBuffer.wrap(Payload.make(3, 1473)), 0, sb.localAddress());
            in.clear();
            assertThat(Payload.check(in.array(), sb.recv(in))).isEqualTo(3);
            sa.close();
            sb.close();
        }
    }

    @Test
    void withoutUdpChecksumsDatagramsStillArriveAndAreCounted() throws Exception {
        try (Lab lab = new Lab()) {
            Vnet a = lab.def();
            Vnet b = lab.vnet("b");
            lab.link(a, "192.0.2.1", b, "192.0.2.2", 24);
            Lab.sysctl(a, "net.inet.udp.checksum", 0);
            Socket sa = bigSocket(a, "192.0.2.1");
            Socket sb = bigSocket(b, "192.0.2.2");
            for (int i = 0; i < 5; i++) {
                sa.sendto(ByteBuffer.wrap(Payload.make(i, 3000)), 0, sb.localAddress());
                ByteBuffer in = ByteBuffer.allocate(4000);
                assertThat(Payload.check(in.array(), sb.recv(in))).isEqualTo(i);
            }
            assertThat(lab.udpStat(b, "with no checksum")).isEqualTo(5);
            // the other direction still computes them
            sb.sendto(ByteBuffer.wrap(Payload.make(9, 100)), 0, sa.localAddress());
            ByteBuffer in = ByteBuffer.allocate(200);
            assertThat(Payload.check(in.array(), sa.recv(in))).isEqualTo(9);
            assertThat(lab.udpStat(a, "with no checksum")).isZero();
            sa.close();
            sb.close();
        }
    }
}
