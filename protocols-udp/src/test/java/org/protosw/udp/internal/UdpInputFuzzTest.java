package org.protosw.udp.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.protosw.udp.internal.FakeContext.EM0_ADDR;
import static org.protosw.udp.internal.FakeContext.EM0_BCAST;
import static org.protosw.udp.internal.FakeContext.FAR;
import static org.protosw.udp.internal.FakeContext.PEER;

import java.util.Arrays;
import java.util.List;
import java.util.Map;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import org.protosw.socket.InAddr;
import org.protosw.socket.SockOpt;
import org.protosw.spi.Packet;

/**
 * Fuzz target for {@code udp_input} (FreeBSD's udp_usrreq.c input path) behind a header
 * that IP already checked, as ip_input hands it: sockets bound to a port, sharing a port,
 * connected, with small receive buffers so that "full socket buffers" happens too.
 *
 * <p>The fuzzer chooses the UDP bytes and whether to mend the UDP length and checksum. After
 * each datagram: no internal error was caught ("dropped due to internal errors" stays
 * absent), the datagram moved one of the counters that say where it went (incomplete header,
 * bad length, bad checksum, no socket, full buffers, delivered), and what a socket received is
 * exactly the payload the UDP length field covers.
 */
class UdpInputFuzzTest extends UdpTestbed {
    private static final List<String> OUTCOMES = List.of("with incomplete header", "with bad data length field",
            "with bad checksum", "dropped due to no socket", "dropped due to full socket buffers", "delivered");
    private static final int[] DSTS = {EM0_ADDR, EM0_BCAST, 0xffffffff, InAddr.parse("224.0.0.251").bits(),
            InAddr.LOOPBACK.bits()};
    private static final int[] PORTS = {53, 67, 4000, 5353, 9};

    @FuzzTest(maxDuration = "10s")
    void udpInput(FuzzedDataProvider data) throws Exception {
        setUpStack();
        List<Sock> socks = List.of(bound(0, 53), shared(67), shared(67), bound(0, 4000), bound(0, 5353));
        socks.get(3).pcb().connect(addr(PEER, 53));
        for (Sock s : socks) {
            s.so().rcv.hiwat = data.consumeInt(0, 2048);
        }
        int n = data.consumeInt(1, 8);
        for (int i = 0; i < n && data.remainingBytes() > 0; i++) {
            int src = data.pickValue(new int[] {PEER, FAR});
            int dst = data.pickValue(DSTS);
            int optWords = data.consumeInt(0, 10);
            boolean mendLength = data.consumeBoolean();
            boolean mendSum = data.consumeBoolean();
            boolean pickPort = data.consumeBoolean();
            int port = data.pickValue(PORTS);
            boolean bcastFlag = data.consumeBoolean();
            byte[] u = data.consumeBytes(data.consumeInt(0, 1500));
            if (u.length >= 4 && pickPort) {
                Datagrams.put16(u, 0, 53);
                Datagrams.put16(u, 2, port);
            }
            if (u.length >= 8) {
                if (mendLength) {
                    Datagrams.put16(u, 4, u.length);
                }
                if (mendSum) {
                    Datagrams.put16(u, 6, 0);
                    Datagrams.put16(u, 6, Datagrams.fieldFor(src, dst, u));
                }
            }
            Packet p = ipWithOptions(src, dst, u, optWords);
            if (bcastFlag) {
                p.addFlags(Packet.M_BCAST);
            }
            int[] queued = socks.stream().mapToInt(s -> s.so().rcv.queue.size()).toArray();
            Map<String, Long> before = udp.statistics();
            ctx.inject(p);
            Map<String, Long> after = udp.statistics();
            assertThat(after).doesNotContainKey("dropped due to internal errors");
            long moved = 0;
            for (String k : OUTCOMES) {
                moved += after.get(k) - before.get(k);
            }
            assertThat(moved).as("the datagram was counted").isPositive();
            for (int k = 0; k < socks.size(); k++) {
                List<FakeSockBuf.Datagram> q = socks.get(k).so().rcv.queue;
                if (q.size() > queued[k]) {
                    int ulen = Datagrams.get16(u, 4);
                    assertThat(q.getLast().data()).isEqualTo(Arrays.copyOfRange(u, 8, ulen));
                }
            }
        }
    }

    private Sock shared(int port) throws Exception {
        Sock s = open();
        s.so().set(SockOpt.SO_REUSEPORT, true);
        s.pcb().bind(addr(0, port));
        return s;
    }

    /** A checked IPv4 header with {@code optWords} words of NOP options in front of {@code udp}. */
    private static Packet ipWithOptions(int src, int dst, byte[] udp, int optWords) {
        int hlen = 20 + 4 * optWords;
        Packet p = Packet.allocate(64, hlen + udp.length);
        byte[] b = p.array();
        int o = p.offset();
        b[o] = (byte) (0x40 | hlen / 4);
        Datagrams.put16(b, o + 2, hlen + udp.length);
        b[o + 8] = 64;
        b[o + 9] = 17;
        Datagrams.put32(b, o + 12, src);
        Datagrams.put32(b, o + 16, dst);
        Arrays.fill(b, o + 20, o + hlen, (byte) 1);
        System.arraycopy(udp, 0, b, o + hlen, udp.length);
        return p;
    }
}
