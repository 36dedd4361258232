package org.protosw.udp.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.protosw.internal.kern.Vnet;
import org.protosw.internal.net.DummynetPipe;
import org.protosw.internal.net.NetInterface;
import org.protosw.internal.net.PipeConfig;
import org.protosw.socket.Errno;
import org.protosw.socket.InetSockAddr;
import org.protosw.socket.RecvInfo;
import org.protosw.socket.SockAddr;
import org.protosw.socket.SockOpt;
import org.protosw.socket.Socket;
import org.protosw.socket.SocketException;

/**
 * Dummynet pipes on an epair between two vnets, as {@code dnctl pipe 1 config ...} sets
 * them: loss, delay, duplication, reordering and corruption, seen from the sockets. Every
 * datagram carries a self-checking payload, so a damaged one reaching the application
 * would be caught.
 */
class PipeDefectsTest {
    private static final int SIZE = 100;

    /** Two vnets joined by an epair, a sender in the default one and a receiver in "b". */
    private static final class Setup implements AutoCloseable {
        final Lab lab;
        final Vnet a;
        final Vnet b;
        final Lab.Link link;
        final Socket tx;
        final Socket rx;

        Setup() throws Exception {
            lab = new Lab();
            a = lab.def();
            b = lab.vnet("b");
            link = lab.link(a, "192.0.2.1", b, "192.0.2.2", 24);
            tx = Lab.udpSocket(a);
            tx.bind(InetSockAddr.of("192.0.2.1", 0));
            rx = Lab.udpSocket(b);
            rx.setOption(SockOpt.SO_RCVBUF, 2 * 1024 * 1024);
            rx.bind(InetSockAddr.of("192.0.2.2", 0));
            tx.connect(rx.localAddress());
        }

        /** Pipe 1 of {@code v} on the outbound side of {@code ifp}. */
        DummynetPipe pipe(Vnet v, NetInterface ifp, String config) throws SocketException {
            DummynetPipe p = v.pipes().config(1, PipeConfig.parse(config));
            v.pipes().attach(1, ifp, false);
            return p;
        }

        void send(int from, int count) throws SocketException {
            for (int i = from; i < from + count; i++) {
                tx.send(ByteBuffer.wrap(Payload.make(i, SIZE)));
            }
        }

        @Override
        public void close() throws InterruptedException {
            lab.close();
        }
    }

    /**
     * Reads until nothing more comes for {@code quietMillis}; returns the sequence numbers
     * in arrival order, failing on any damaged payload or wrong sender.
     */
    private static List<Integer> readAll(Socket s, SockAddr from, int quietMillis) throws SocketException {
        s.setOption(SockOpt.SO_RCVTIMEO, quietMillis);
        List<Integer> seqs = new ArrayList<>();
        ByteBuffer in = ByteBuffer.allocate(2048);
        for (;;) {
            in.clear();
            RecvInfo ri;
            try {
                ri = s.recvfrom(in, 0);
            } catch (SocketException e) {
                if (e.errno() == Errno.EAGAIN) {
                    return seqs;
                }
                throw e;
            }
            assertThat(ri.length()).isEqualTo(SIZE);
            assertThat(ri.from()).isEqualTo(from);
            int seq = Payload.check(in.array(), ri.length());
            assertThat(seq).as("datagram #%d reached the application damaged", seqs.size()).isNotNegative();
            seqs.add(seq);
        }
    }

    @Test
    void lossRateDropsAboutThatShare() throws Exception {
        try (Setup s = new Setup()) {
            DummynetPipe pipe = s.pipe(s.a, s.link.a(), "plr 0.2 seed 1");
            s.send(0, 5000);
            List<Integer> got = readAll(s.rx, s.tx.localAddress(), 500);
            assertThat(got).doesNotHaveDuplicates();
            assertThat(got).isSorted();
            assertThat(got.size()).as("about 80%% of 5000 arrive").isBetween(3800, 4200);
            assertThat(pipe.stats().lost()).isEqualTo(5000 - got.size());
            assertThat(s.lab.udpStat(s.b, "dropped due to full socket buffers")).isZero();
        }
    }

    @Test
    void delayOnBothSidesMakesTheRoundTripAtLeastTwiceIt() throws Exception {
        try (Setup s = new Setup()) {
            s.pipe(s.a, s.link.a(), "delay 50ms");
            s.pipe(s.b, s.link.b(), "delay 50ms");
            Lab.Task<Integer> echo = s.lab.spawn("echo", () -> {
                ByteBuffer buf = ByteBuffer.allocate(2048);
                for (int i = 0; i < 5; i++) {
                    buf.clear();
                    RecvInfo ri = s.rx.recvfrom(buf, 0);
                    buf.flip();
                    s.rx.sendto(buf, 0, ri.from());
                }
                return 5;
            });
            s.tx.setOption(SockOpt.SO_RCVTIMEO, 5000);
            ByteBuffer in = ByteBuffer.allocate(2048);
            for (int i = 0; i < 5; i++) {
                long t0 = System.nanoTime();
                s.tx.send(ByteBuffer.wrap(Payload.make(i, SIZE)));
                in.clear();
                int n = s.tx.recv(in);
                long rttMillis = (System.nanoTime() - t0) / 1_000_000;
                assertThat(Payload.check(in.array(), n)).isEqualTo(i);
                assertThat(rttMillis).as("round trip %d", i).isGreaterThanOrEqualTo(100);
            }
            assertThat(echo.join(5000)).isEqualTo(5);
        }
    }

    @Test
    void duplicationDeliversSomeDatagramsTwice() throws Exception {
        try (Setup s = new Setup()) {
            DummynetPipe pipe = s.pipe(s.a, s.link.a(), "dup 0.1 seed 2");
            s.send(0, 1000);
            List<Integer> got = readAll(s.rx, s.tx.localAddress(), 500);
            Map<Integer, Integer> times = new HashMap<>();
            got.forEach(q -> times.merge(q, 1, Integer::sum));
            assertThat(times.keySet()).as("every datagram arrives").hasSize(1000);
            assertThat(times.values()).allMatch(n -> n == 1 || n == 2);
            long twice = times.values().stream().filter(n -> n == 2).count();
            assertThat(twice).as("about 10%% twice").isBetween(50L, 160L).isEqualTo(pipe.stats().duplicated());
            assertThat(got).hasSize(1000 + (int) twice);
        }
    }

    @Test
    void reorderingLetsLaterDatagramsOvertake() throws Exception {
        try (Setup s = new Setup()) {
            DummynetPipe pipe = s.pipe(s.a, s.link.a(), "reorder 0.1 gap 20ms seed 3");
            s.send(0, 500);
            List<Integer> got = readAll(s.rx, s.tx.localAddress(), 500);
            assertThat(got).hasSize(500).doesNotHaveDuplicates();
            int overtaken = 0;
            int max = -1;
            for (int q : got) {
                if (q < max) {
                    overtaken++;
                }
                max = Math.max(max, q);
            }
            assertThat(pipe.stats().reordered()).isPositive();
            assertThat(overtaken).as("datagrams arriving after a later one").isPositive();
            assertThat(got).isNotEqualTo(got.stream().sorted().toList());
        }
    }

    @Test
    void corruptedDatagramsAreDroppedByChecksumsAndNeverReachTheApplication() throws Exception {
        try (Setup s = new Setup()) {
            DummynetPipe pipe = s.pipe(s.a, s.link.a(), "corrupt 0.05 seed 4");
            long ipTotal = Lab.ipStat(s.b, "total packets received");
            long ipForUs = Lab.ipStat(s.b, "packets for this host");
            long ipBadSum = Lab.ipStat(s.b, "bad header checksums");
            long udpIn = s.lab.udpStat(s.b, "datagrams received");
            long udpDelivered = s.lab.udpStat(s.b, "delivered");
            long udpBadSum = s.lab.udpStat(s.b, "with bad checksum");

            s.send(0, 2000);
            // readAll fails on any damaged payload
            List<Integer> got = readAll(s.rx, s.tx.localAddress(), 500);
            assertThat(got).doesNotHaveDuplicates();
            long corrupted = pipe.stats().corrupted();
            assertThat(corrupted).as("about 5%% of 2000").isBetween(50L, 160L);
            int lost = 2000 - got.size();
            assertThat(lost).isPositive().isLessThanOrEqualTo((int) corrupted);
            assertThat(Lab.ipStat(s.b, "bad header checksums") - ipBadSum).as("IP header hit").isPositive();
            assertThat(s.lab.udpStat(s.b, "with bad checksum") - udpBadSum).as("UDP header or data hit").isPositive();
            // every datagram that did not arrive was counted as dropped by IP or by UDP
            long ipDropped = (Lab.ipStat(s.b, "total packets received") - ipTotal) - (Lab.ipStat(s.b, "packets for this host") - ipForUs);
            long udpDropped = (s.lab.udpStat(s.b, "datagrams received") - udpIn) - (s.lab.udpStat(s.b, "delivered") - udpDelivered);
            assertThat(ipDropped + udpDropped).isEqualTo(lost);
        }
    }

    @Test
    void corruptionOnLoopbackNeverReachesTheApplicationEvenInFragments() throws Exception {
        try (Lab lab = new Lab()) {
            Vnet v = lab.def();
            NetInterface lo0 = v.interfaces().byName("lo0");
            // a small loopback MTU makes IP fragment; the pipe damages packets as they come in
            lo0.setMtu(1500);
            v.pipes().config(1, PipeConfig.parse("corrupt 0.05 seed 9"));
            v.pipes().attach(1, lo0, true);
            Lab.sysctl(v, "net.inet.ip.maxfragsperpacket", 64);
            Socket rx = Lab.udpSocket(v);
            rx.setOption(SockOpt.SO_RCVBUF, 2 * 1024 * 1024);
            rx.bind(InetSockAddr.of("127.0.0.1", 0));
            Socket tx = Lab.udpSocket(v);
            tx.bind(InetSockAddr.of("127.0.0.1", 0));
            tx.connect(rx.localAddress());
            int[] sizes = {100, 1400, 4000};
            int sent = 0;
            for (int i = 0; i < 600; i++) {
                tx.send(ByteBuffer.wrap(Payload.make(i, sizes[i % sizes.length])));
                sent++;
            }
            rx.setOption(SockOpt.SO_RCVTIMEO, 500);
            ByteBuffer in = ByteBuffer.allocate(5000);
            int received = 0;
            for (;;) {
                in.clear();
                int n;
                try {
                    n = rx.recv(in);
                } catch (SocketException e) {
                    assertThat(e.errno()).isEqualTo(Errno.EAGAIN);
                    break;
                }
                assertThat(Payload.check(in.array(), n)).as("datagram #%d (%d bytes) reached the application damaged", received, n).isNotNegative();
                received++;
            }
            assertThat(v.pipes().get(1).stats().corrupted()).isPositive();
            assertThat(received).isPositive().isLessThan(sent);
        }
    }

    @Test
    void reconfiguringACorruptingPipeOnLoopbackLetsNoDamagedDatagramThrough() throws Exception {
        try (Lab lab = new Lab()) {
            Vnet v = lab.def();
            NetInterface lo0 = v.interfaces().byName("lo0");
            DummynetPipe pipe = v.pipes().config(1, PipeConfig.parse("corrupt 1 delay 200ms"));
            v.pipes().attach(1, lo0, false);
            Socket rx = Lab.udpSocket(v);
            rx.bind(InetSockAddr.of("127.0.0.1", 0));
            Socket tx = Lab.udpSocket(v);
            tx.bind(InetSockAddr.of("127.0.0.1", 0));
            tx.connect(rx.localAddress());
            for (int i = 0; i < 20; i++) {
                tx.send(ByteBuffer.wrap(Payload.make(i, 100)));
            }
            // every one of them is damaged and still in the delay line when the pipe stops corrupting
            v.pipes().config(1, PipeConfig.parse("delay 200ms"));
            tx.send(ByteBuffer.wrap(Payload.make(20, 100)));
            List<Integer> got = readAll(rx, tx.localAddress(), 700);
            assertThat(pipe.stats().corrupted()).isEqualTo(20);
            assertThat(got).containsExactly(20);
        }
    }
}
