package org.protosw.divert.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;
import java.util.Map;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import org.junit.jupiter.api.AfterAll;
import org.protosw.internal.kern.Vnet;
import org.protosw.socket.InAddr;
import org.protosw.socket.InetSockAddr;
import org.protosw.socket.SocketConstants;
import org.protosw.socket.Socket;
import org.protosw.socket.SocketException;
import org.protosw.wire.Checksum;
import org.protosw.wire.Ipv4Header;

/**
 * Fuzz target for divert re-injection ({@code div_output}, FreeBSD's ip_divert.c): whatever a
 * diverter writes back goes inbound (to a local address: ip_input's delivery half, then
 * UDP's or TCP's input, a TCP listener on port 80 included) or outbound (routed out of an
 * epair to the stack on the other end, which takes it through its own input path).
 *
 * <p>The fuzzer picks the bytes and whether to mend the IPv4 header (version, length,
 * checksum) and the TCP/UDP checksum, so that it gets past the early checks. The promise:
 * sendto either succeeds or fails with a {@link SocketException} (an errno), nothing else;
 * no input path in either stack caught an internal error (IP, UDP, TCP counters), no input
 * worker threw or died, and every inbound write was counted (re-injected or bad checksum).
 *
 * <p>One lab serves all inputs: starting two stacks per input would make the fuzzer slow
 * without making it see more.
 */
class DivertReinjectFuzzTest {
    private static final InetSockAddr INBOUND = InetSockAddr.of("10.0.0.2", 0);
    private static final InetSockAddr LOOPBACK_IN = InetSockAddr.of("127.0.0.1", 0);
    private static final InetSockAddr NOT_OURS = InetSockAddr.of("192.0.2.99", 0);
    private static final InetSockAddr OUTBOUND = new InetSockAddr(InAddr.ANY, 0);
    private static final int[] ADDRS = {InAddr.parse("10.0.0.1").bits(), InAddr.parse("10.0.0.2").bits(),
            InAddr.parse("127.0.0.1").bits(), InAddr.parse("10.0.0.255").bits(), InAddr.parse("198.51.100.7").bits()};

    private static Lab lab;

    private record Lab(DivertLab lab, Vnet a, Vnet b, Socket divert, Socket listener, Socket udp) {
    }

    private static Lab lab() throws Exception {
        if (lab == null) {
            DivertLab l = new DivertLab();
            Vnet a = l.vnet("a");
            Vnet b = l.vnet("b");
            l.link(a, "10.0.0.1", b, "10.0.0.2");
            Socket listener = b.socket(SocketConstants.AF_INET, SocketConstants.SOCK_STREAM, 0);
            listener.bind(InetSockAddr.of("0.0.0.0", 80));
            listener.listen(16);
            lab = new Lab(l, a, b, DivertLab.divertSocket(b, 8668), listener, DivertLab.udp(b, "10.0.0.2", 9000));
        }
        return lab;
    }

    @AfterAll
    static void closeLab() throws Exception {
        if (lab != null) {
            lab.lab().close();
            lab = null;
        }
    }

    @FuzzTest(maxDuration = "10s")
    void reinject(FuzzedDataProvider data) throws Exception {
        Lab l = lab();
        int n = data.consumeInt(1, 4);
        for (int i = 0; i < n && data.remainingBytes() > 0; i++) {
            InetSockAddr to = data.pickValue(new InetSockAddr[] {INBOUND, INBOUND, LOOPBACK_IN, NOT_OURS, OUTBOUND});
            int rule = data.consumeInt(0, 65535);
            byte[] b = packet(data);
            long inBefore = l.lab().divertStat(l.b(), "packets reinjected inbound") + l.lab().divertStat(l.b(), "reinjected with bad header checksum");
            boolean sent;
            try {
                l.divert().sendto(ByteBuffer.wrap(b), 0, new InetSockAddr(to.addr(), rule));
                sent = true;
            } catch (SocketException e) {
                assertThat(e.errno()).isNotNull();
                sent = false;
            }
            if (sent && to.addr().bits() != 0) {
                long inAfter = l.lab().divertStat(l.b(), "packets reinjected inbound") + l.lab().divertStat(l.b(), "reinjected with bad header checksum");
                assertThat(inAfter - inBefore).as("the inbound write was counted").isEqualTo(1);
            }
            for (Vnet v : new Vnet[] {l.a(), l.b()}) {
                assertThat(v.ip().ipStatistics().get("packets dropped by internal errors")).as("ip in " + v.name()).isZero();
                assertThat(v.netisr().failedTotal()).as("input worker failures in " + v.name()).isZero();
                assertThat(v.netisr().liveWorkers()).as("input workers alive in " + v.name()).isEqualTo(v.netisr().threads());
                for (String proto : new String[] {"udp", "tcp", "divert"}) {
                    Map<String, Long> st = DivertLab.stats(l.lab(), proto, v);
                    assertThat(st).as(proto + " in " + v.name()).doesNotContainKey("dropped due to internal errors");
                }
            }
        }
    }

    /** Fuzzed bytes, optionally given a sound IPv4 header and a valid TCP or UDP checksum. */
    private static byte[] packet(FuzzedDataProvider data) {
        int mend = data.consumeInt(0, 15);
        int proto = data.pickValue(new int[] {6, 17, 1, 6});
        int src = data.pickValue(ADDRS);
        int dst = data.pickValue(ADDRS);
        int dport = data.pickValue(new int[] {80, 9000, 7, 80});
        byte[] b = data.consumeBytes(data.consumeInt(0, 1600));
        if (b.length < Ipv4Header.MIN_LENGTH || (mend & 1) == 0) {
            return b;
        }
        int hlen = Math.min(Math.max(5, b[0] & 0xf), b.length / 4) * 4;
        Ipv4Header h = new Ipv4Header(b, 0, b.length);
        h.setVersionAndHeaderLength(hlen);
        h.setTotalLength(b.length);
        if ((mend & 2) != 0) {
            h.setProtocol(proto).setSrc(src).setDst(dst).setFragWord(0).setTtl(64);
        }
        int tlen = b.length - hlen;
        int p = h.protocol();
        if ((mend & 4) != 0 && (p == 6 && tlen >= 20 || p == 17 && tlen >= 8)) {
            b[hlen + 2] = (byte) (dport >>> 8);
            b[hlen + 3] = (byte) dport;
            if (p == 17) {
                b[hlen + 4] = (byte) (tlen >>> 8);
                b[hlen + 5] = (byte) tlen;
            }
            int at = hlen + (p == 6 ? 16 : 6);
            b[at] = 0;
            b[at + 1] = 0;
            int sum = Checksum.finish(Checksum.sum(b, hlen, tlen, Checksum.pseudoHeader(h.src(), h.dst(), p, tlen)));
            if (p == 17 && sum == 0) {
                sum = 0xffff;
            }
            b[at] = (byte) (sum >>> 8);
            b[at + 1] = (byte) sum;
        }
        if ((mend & 8) != 0) {
            h.fillChecksum();
        }
        return b;
    }
}
