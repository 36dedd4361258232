package org.protosw.udp.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.protosw.socket.SocketConstants.AF_INET;
import static org.protosw.socket.SocketConstants.IPPROTO_ICMP;
import static org.protosw.socket.SocketConstants.SOCK_RAW;

import java.nio.ByteBuffer;
import java.util.Arrays;

import org.junit.jupiter.api.Test;
import org.protosw.internal.kern.Vnet;
import org.protosw.socket.InAddr;
import org.protosw.socket.InetSockAddr;
import org.protosw.socket.RecvInfo;
import org.protosw.socket.SockOpt;
import org.protosw.socket.Socket;
import org.protosw.socket.SocketException;
import org.protosw.wire.Checksum;
import org.protosw.wire.IcmpHeader;

/** ping(8) through a raw ICMP socket: echo requests answered by the stack, to itself and across an epair. */
class PingTest {
    private static final int DATA = 56;

    private static byte[] echoRequest(int id, int seq) {
        byte[] b = new byte[IcmpHeader.MIN_LENGTH + DATA];
        b[IcmpHeader.OFF_TYPE] = (byte) IcmpHeader.ECHO;
        b[IcmpHeader.OFF_ID] = (byte) (id >>> 8);
        b[IcmpHeader.OFF_ID + 1] = (byte) id;
        b[IcmpHeader.OFF_SEQ] = (byte) (seq >>> 8);
        b[IcmpHeader.OFF_SEQ + 1] = (byte) seq;
        for (int i = 0; i < DATA; i++) {
            b[IcmpHeader.MIN_LENGTH + i] = (byte) (i + seq);
        }
        int sum = Checksum.compute(b, 0, b.length);
        b[IcmpHeader.OFF_CHECKSUM] = (byte) (sum >>> 8);
        b[IcmpHeader.OFF_CHECKSUM + 1] = (byte) sum;
        return b;
    }

    /** Sends echo requests and checks each reply: from the target, same id, seq and data. */
    private static void ping(Vnet v, InAddr target, int id, int count) throws SocketException {
        Socket s = v.socket(AF_INET, SOCK_RAW, IPPROTO_ICMP);
        s.setOption(SockOpt.SO_RCVTIMEO, 5000);
        ByteBuffer in = ByteBuffer.allocate(2048);
        for (int seq = 0; seq < count; seq++) {
            byte[] req = echoRequest(id, seq);
            s.sendto(ByteBuffer.wrap(req), 0, new InetSockAddr(target, 0));
            for (;;) {
                in.clear();
                RecvInfo ri = s.recvfrom(in, 0);
                byte[] b = in.array();
                int hlen = (b[0] & 0xf) << 2;
                int icmpLen = ri.length() - hlen;
                if (icmpLen < IcmpHeader.MIN_LENGTH || (b[hlen + IcmpHeader.OFF_TYPE] & 0xff) != IcmpHeader.ECHOREPLY) {
                    // a raw ICMP socket sees every ICMP message; ping ignores all but replies
                    continue;
                }
                assertThat(ri.from()).isEqualTo(new InetSockAddr(target, 0));
                assertThat(Checksum.verify(b, hlen, icmpLen)).as("reply checksum").isTrue();
                int rid = (b[hlen + IcmpHeader.OFF_ID] & 0xff) << 8 | (b[hlen + IcmpHeader.OFF_ID + 1] & 0xff);
                int rseq = (b[hlen + IcmpHeader.OFF_SEQ] & 0xff) << 8 | (b[hlen + IcmpHeader.OFF_SEQ + 1] & 0xff);
                assertThat(rid).isEqualTo(id);
                assertThat(rseq).isEqualTo(seq);
                assertThat(icmpLen).isEqualTo(req.length);
                assertThat(Arrays.equals(b, hlen + IcmpHeader.MIN_LENGTH, hlen + icmpLen, req, IcmpHeader.MIN_LENGTH, req.length)).isTrue();
                break;
            }
        }
        s.close();
    }

    @Test
    void echoRequestsToLoopbackAndAcrossAnEpairAreAnswered() throws Exception {
        try (Lab lab = new Lab()) {
            Vnet a = lab.def();
            Vnet b = lab.vnet("b");
            lab.link(a, "192.0.2.1", b, "192.0.2.2", 24);
            ping(a, InAddr.LOOPBACK, 0x1234, 5);
            ping(a, InAddr.parse("192.0.2.2"), 0x4321, 5);
            ping(b, InAddr.parse("192.0.2.1"), 0x0101, 3);
            // a reply is counted once sent, which may be just after the pinger read it
            Lab.await("b's replies counted", 5000, () -> Lab.icmpStat(b, "Output histogram: echo reply") == 5);
            Lab.await("a's replies counted", 5000, () -> Lab.icmpStat(a, "Output histogram: echo reply") == 5 + 3);
            assertThat(Lab.icmpStat(a, "Input histogram: echo reply")).isEqualTo(5 + 5);
            assertThat(Lab.icmpStat(b, "Input histogram: echo reply")).isEqualTo(3);
        }
    }
}
