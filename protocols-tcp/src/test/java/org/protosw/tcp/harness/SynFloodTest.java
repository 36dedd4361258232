package org.protosw.tcp.harness;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.protosw.internal.kern.StandaloneStack;
import org.protosw.internal.kern.Vnet;
import org.protosw.internal.sw.ProtoInstance;
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
 * A SYN flood from many forged sources against a listener: the SYN cache stays within its
 * limit, the overflow is answered with cookies, a cookie completes into a connection that
 * carries data, and a connection established before the flood keeps working.
 */
class SynFloodTest {
    private static final InAddr LOCAL = InAddr.of(192, 0, 2, 1);
    private static final int PORT = 8080;
    private static final int FLOOD = 2000;
    private static final int CACHE_LIMIT = 64;

    private StandaloneStack stack;
    private Vnet vnet;
    private HarnessLink link;

    @Test
    void floodStaysBoundedAndCookiesComplete() throws Exception {
        stack = new StandaloneStack();
        try {
            stack.register(TcpProtoSw.standalone(), TcpProtoSw.PROPERTIES, "org.protosw.tcp (flood test)");
            vnet = stack.stack();
            link = new HarnessLink("flood0", 1500);
            vnet.attachInterface(link);
            vnet.addAddress(link, new IfAddr(LOCAL, 16, InAddr.of(192, 0, 255, 255)));
            vnet.sysctl().find("net.inet.tcp.syncache.cachelimit").set(CACHE_LIMIT);
            vnet.sysctl().find("net.inet.tcp.syncache.bucketlimit").set(4);
            Socket listener = vnet.socket(SocketConstants.AF_INET, SocketConstants.SOCK_STREAM, SocketConstants.IPPROTO_TCP);
            listener.bind(new InetSockAddr(LOCAL, PORT));
            listener.listen(16);

            // an honest client before the flood
            InAddr honest = InAddr.of(192, 0, 3, 3);
            int serverIss = handshake(honest, 40000, 5000);
            try (Socket early = accept(listener)) {
                for (int i = 0; i < FLOOD; i++) {
                    InAddr forged = InAddr.of(192, 0, 10 + i / 250, 1 + i % 250);
                    injectAndSettle(segment(forged, 1024 + i, i * 7919, 0, TcpHeader.SYN, 0));
                }
                // drain the SYN-ACKs; the last forged source came when the cache was full
                byte[] last = null;
                for (HarnessLink.Sent s; (s = link.next(200_000_000L)) != null;) {
                    if ((ByteBuffer.wrap(s.bytes()).getShort(22) & 0xffff) == 1024 + FLOOD - 1) {
                        last = s.bytes();
                    }
                }
                Map<String, Long> st = stats();
                assertThat(st.get("syncache entries held")).isLessThanOrEqualTo(CACHE_LIMIT);
                // the honest client's handshake went through the cache too
                assertThat(st.get("syncache entries added")).isLessThanOrEqualTo(CACHE_LIMIT + 1);
                assertThat(st.get("cookies sent") + st.get("syncache entries added")).isEqualTo(FLOOD + 1);

                // the established connection still carries data during the flood
                link.inject(segment(honest, 40000, 5001, serverIss + 1, TcpHeader.ACK | TcpHeader.PSH, 5));
                early.setOption(SockOpt.SO_RCVTIMEO, 5000);
                ByteBuffer got = ByteBuffer.allocate(5);
                while (got.hasRemaining() && early.recv(got) > 0) {
                }
                assertThat(got.position()).isEqualTo(5);

                // the last forged SYN's cookie, acknowledged, becomes a connection with data
                assertThat(last).isNotNull();
                InAddr src = new InAddr(ByteBuffer.wrap(last).getInt(16));
                int dport = ByteBuffer.wrap(last).getShort(22) & 0xffff;
                int cookie = ByteBuffer.wrap(last).getInt(24);
                int peerSeq = ByteBuffer.wrap(last).getInt(28);
                link.inject(segment(src, dport, peerSeq, cookie + 1, TcpHeader.ACK | TcpHeader.PSH, 3));
                try (Socket c = accept(listener)) {
                    c.setOption(SockOpt.SO_RCVTIMEO, 5000);
                    ByteBuffer b = ByteBuffer.allocate(3);
                    while (b.hasRemaining() && c.recv(b) > 0) {
                    }
                    assertThat(b.position()).isEqualTo(3);
                    assertThat(((InetSockAddr) c.peerAddress()).addr()).isEqualTo(src);
                }
                assertThat(stats().get("cookies received")).isEqualTo(1);
            }
            listener.close();
        } finally {
            stack.close();
        }
    }

    private void injectAndSettle(byte[] packet) {
        long before = vnet.netisr().handledTotal();
        link.inject(packet);
        long deadline = System.nanoTime() + 1_000_000_000L;
        while (vnet.netisr().handledTotal() <= before && System.nanoTime() < deadline) {
            Thread.onSpinWait();
        }
    }

    private Socket accept(Socket listener) throws Exception {
        listener.setOption(SockOpt.SO_RCVTIMEO, 5000);
        return listener.accept();
    }

    /** SYN, SYN-ACK, ACK from {@code src}; returns the server's ISN. */
    private int handshake(InAddr src, int sport, int iss) throws Exception {
        link.inject(segment(src, sport, iss, 0, TcpHeader.SYN, 0));
        HarnessLink.Sent synAck = link.next(2_000_000_000L);
        assertThat(synAck).as("SYN-ACK").isNotNull();
        int serverIss = ByteBuffer.wrap(synAck.bytes()).getInt(24);
        link.inject(segment(src, sport, iss + 1, serverIss + 1, TcpHeader.ACK, 0));
        return serverIss;
    }

    private Map<String, Long> stats() {
        ProtoInstance pi = stack.core().registry().entry("tcp").instance(vnet.name());
        return pi.statistics();
    }

    private static byte[] segment(InAddr src, int sport, int seq, int ack, int flags, int len) {
        int total = 40 + len;
        byte[] b = new byte[total];
        Ipv4Header.write(b, 0, 0, total, 0, Ipv4Header.FLAG_DF, 64, 6, src.bits(), LOCAL.bits());
        TcpHeader th = new TcpHeader(b, 20, 20 + len);
        th.setSrcPort(sport).setDstPort(PORT).setSeq(seq).setAck(ack).setHeaderLength(20).setFlags(flags)
                .setWindow(65535).setUrgentPointer(0).setChecksum(0);
        for (int i = 0; i < len; i++) {
            b[40 + i] = (byte) ('a' + i);
        }
        th.fillChecksum(src.bits(), LOCAL.bits());
        return b;
    }
}
