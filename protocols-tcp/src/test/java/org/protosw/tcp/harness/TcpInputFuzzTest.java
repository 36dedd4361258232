package org.protosw.tcp.harness;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import org.junit.jupiter.api.AfterAll;
import org.protosw.internal.kern.StandaloneStack;
import org.protosw.internal.kern.Vnet;
import org.protosw.socket.InAddr;
import org.protosw.socket.InetSockAddr;
import org.protosw.socket.SockOpt;
import org.protosw.socket.Socket;
import org.protosw.socket.SocketConstants;
import org.protosw.spi.IfAddr;
import org.protosw.tcp.internal.TcpProtoSw;
import org.protosw.wire.Ipv4Header;
import org.protosw.wire.TcpHeader;

/**
 * Fuzz targets for {@code tcp_input} (FreeBSD's tcp_input.c / tcp_syncache.c paths) through
 * the stack's public entry points only: a real stack with TCP loaded, segments entering on
 * the harness interface as from a wire, sockets used through the application API. Nothing
 * of TCP's internals is touched, so TcpCb can change shape under it.
 *
 * <p>{@link #listener} aims at a socket listening on port 80 (SYN cache, cookies, RST and
 * ACK handling in LISTEN); {@link #established} first completes a handshake from a fresh
 * remote port, then sends segments whose sequence and acknowledgment numbers the fuzzer
 * places near the connection's (so they land in the window, just before or after it), with
 * fuzzed flags, window, options and data.
 *
 * <p>The promise after each segment: TCP counted it ("packets received" grows with every
 * segment IP delivered to it), no internal error was caught in TCP or IP, and no input worker
 * threw or died.
 */
class TcpInputFuzzTest {
    private static final InAddr LOCAL = ScriptRunner.LOCAL;
    private static final InAddr REMOTE = ScriptRunner.REMOTE;
    private static final int PORT = 80;

    private static Lab lab;

    private record Lab(StandaloneStack stack, Vnet vnet, HarnessLink link, Socket listener) {
    }

    private static int nextRemotePort = 20000;

    private static Lab lab() throws Exception {
        if (lab == null) {
            StandaloneStack stack = new StandaloneStack();
            stack.register(TcpProtoSw.standalone(), TcpProtoSw.PROPERTIES, "org.protosw.tcp (fuzz)");
            Vnet v = stack.stack();
            HarnessLink link = new HarnessLink("harness0", 1500);
            v.attachInterface(link);
            v.addAddress(link, new IfAddr(LOCAL, 24, InAddr.of(192, 0, 2, 255)));
            Socket l = v.socket(SocketConstants.AF_INET, SocketConstants.SOCK_STREAM, 0);
            l.bind(new InetSockAddr(InAddr.ANY, PORT));
            l.listen(64);
            l.setOption(SockOpt.SO_RCVTIMEO, 5000);
            lab = new Lab(stack, v, link, l);
        }
        return lab;
    }

    @AfterAll
    static void closeLab() {
        if (lab != null) {
            lab.stack().close();
            lab = null;
        }
    }

    @FuzzTest(maxDuration = "10s")
    void listener(FuzzedDataProvider data) throws Exception {
        Lab l = lab();
        int n = data.consumeInt(1, 4);
        for (int i = 0; i < n && data.remainingBytes() > 0; i++) {
            int sport = data.pickValue(new int[] {40000, 40001, data.consumeInt(0, 65535)});
            int dport = data.consumeBoolean() ? PORT : data.consumeInt(0, 65535);
            inject(l, segment(data, sport, dport, data.consumeInt(), data.consumeInt()));
        }
        drain(l);
        // the listener's queue fills with what completed: take it, so the next input finds room
        l.listener().setOption(SockOpt.SO_RCVTIMEO, 1);
        acceptAll(l);
    }

    @FuzzTest(maxDuration = "10s")
    void established(FuzzedDataProvider data) throws Exception {
        Lab l = lab();
        drain(l);
        int rport = nextRemotePort++;
        if (nextRemotePort > 60000) {
            nextRemotePort = 20000;
        }
        int rIsn = data.consumeInt();
        inject(l, raw(rport, PORT, rIsn, 0, TcpHeader.SYN, 65535, new byte[0], new byte[0], true));
        Integer iss = synAckFor(l, rport);
        if (iss == null) {
            return;
        }
        inject(l, raw(rport, PORT, rIsn + 1, iss + 1, TcpHeader.ACK, 65535, new byte[0], new byte[0], true));
        l.listener().setOption(SockOpt.SO_RCVTIMEO, 5000);
        Socket conn = l.listener().accept();
        try {
            int n = data.consumeInt(1, 6);
            for (int i = 0; i < n && data.remainingBytes() > 0; i++) {
                int seq = rIsn + 1 + data.consumeInt(-70000, 70000);
                int ack = iss + 1 + data.consumeInt(-70000, 70000);
                inject(l, segment(data, rport, PORT, seq, ack));
            }
        } finally {
            conn.setOption(SockOpt.SO_LINGER, 0);
            conn.close();
            drain(l);
        }
    }

    /** A fuzzed segment: flags, window, option bytes and data; a valid checksum unless the fuzzer says not. */
    private static byte[] segment(FuzzedDataProvider data, int sport, int dport, int seq, int ack) {
        int flags = data.consumeInt(0, 0x1ff);
        int win = data.consumeInt(0, 65535);
        boolean sum = data.consumeInt(0, 15) != 0;
        byte[] opts = data.consumeBytes(data.consumeInt(0, 40));
        byte[] payload = data.consumeBytes(data.consumeInt(0, 1400));
        return raw(sport, dport, seq, ack, flags, win, opts, payload, sum);
    }

    private static byte[] raw(int sport, int dport, int seq, int ack, int flags, int win, byte[] opts, byte[] payload,
            boolean sum) {
        int olen = (opts.length + 3) & ~3;
        int tlen = 20 + olen + payload.length;
        byte[] b = new byte[20 + tlen];
        Ipv4Header.write(b, 0, 0, b.length, 1, 0, 64, SocketConstants.IPPROTO_TCP, REMOTE.bits(), LOCAL.bits());
        TcpHeader t = new TcpHeader(b, 20, tlen);
        t.setSrcPort(sport).setDstPort(dport).setSeq(seq).setAck(ack).setHeaderLength(20 + olen).setFlags(flags)
                .setWindow(win);
        System.arraycopy(opts, 0, b, 40, opts.length);
        System.arraycopy(payload, 0, b, 40 + olen, payload.length);
        if (sum) {
            t.fillChecksum(REMOTE.bits(), LOCAL.bits());
        }
        return b;
    }

    /** Injects one packet, waits until the input worker took it, and checks the promise. */
    private static void inject(Lab l, byte[] packet) throws InterruptedException {
        Vnet v = l.vnet();
        Map<String, Long> ipBefore = v.ip().ipStatistics();
        long tcpBefore = tcp(l).get("packets received");
        long handled = v.netisr().handledTotal();
        l.link().inject(packet);
        long deadline = System.nanoTime() + 5_000_000_000L;
        while (v.netisr().handledTotal() <= handled && System.nanoTime() < deadline) {
            Thread.onSpinWait();
        }
        assertThat(v.netisr().handledTotal()).as("the input worker took the segment").isGreaterThan(handled);
        Map<String, Long> ipAfter = v.ip().ipStatistics();
        Map<String, Long> tcpAfter = tcp(l);
        assertThat(ipAfter.get("packets dropped by internal errors")).isZero();
        assertThat(tcpAfter).doesNotContainKey("dropped due to internal errors");
        assertThat(v.netisr().failedTotal()).isZero();
        assertThat(v.netisr().liveWorkers()).isEqualTo(v.netisr().threads());
        long delivered = ipAfter.get("packets for this host") - ipBefore.get("packets for this host");
        assertThat(tcpAfter.get("packets received") - tcpBefore).as("TCP counted each segment IP gave it").isEqualTo(delivered);
    }

    private static Map<String, Long> tcp(Lab l) {
        return l.stack().core().registry().entry("tcp").instance(l.vnet().name()).statistics();
    }

    /** The stack's ISS from its SYN-ACK to {@code rport}, or null when it sent none. */
    private static Integer synAckFor(Lab l, int rport) throws InterruptedException {
        long deadline = System.nanoTime() + 2_000_000_000L;
        while (System.nanoTime() < deadline) {
            HarnessLink.Sent s = l.link().next(100_000_000L);
            if (s == null) {
                continue;
            }
            byte[] b = s.bytes();
            int hlen = (b[0] & 0xf) * 4;
            TcpHeader t = new TcpHeader(b, hlen, b.length - hlen);
            if (t.dstPort() == rport && t.has(TcpHeader.SYN) && t.has(TcpHeader.ACK)) {
                return t.seq();
            }
        }
        return null;
    }

    private static void drain(Lab l) {
        while (l.link().peek() != null) {
            try {
                l.link().next(0);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    private static void acceptAll(Lab l) {
        while (true) {
            try {
                Socket s = l.listener().accept();
                s.setOption(SockOpt.SO_LINGER, 0);
                s.close();
            } catch (Exception e) {
                return;
            }
        }
    }
}
