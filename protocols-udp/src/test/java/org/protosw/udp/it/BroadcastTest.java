package org.protosw.udp.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.ByteBuffer;

import org.junit.jupiter.api.Test;
import org.protosw.internal.kern.Vnet;
import org.protosw.socket.Errno;
import org.protosw.socket.InAddr;
import org.protosw.socket.InetSockAddr;
import org.protosw.socket.RecvInfo;
import org.protosw.socket.SockAddr;
import org.protosw.socket.SockOpt;
import org.protosw.socket.Socket;
import org.protosw.socket.SocketException;

/** Broadcasts on an epair's subnet: refused without SO_BROADCAST, heard on both sides with it. */
class BroadcastTest {
    private static final int PORT = 5999;

    private static Socket listener(Vnet v, InetSockAddr at) throws SocketException {
        Socket s = Lab.udpSocket(v);
        s.setOption(SockOpt.SO_REUSEPORT, true);
        s.setOption(SockOpt.SO_RCVTIMEO, 5000);
        s.bind(at);
        return s;
    }

    private static void expect(Socket s, int seq, SockAddr from) throws SocketException {
        ByteBuffer in = ByteBuffer.allocate(200);
        RecvInfo ri = s.recvfrom(in, 0);
        assertThat(ri.from()).isEqualTo(from);
        assertThat(Payload.check(in.array(), ri.length())).isEqualTo(seq);
    }

    private static void expectNothing(Socket s) throws SocketException {
        s.setOption(SockOpt.SO_RCVTIMEO, 200);
        assertThatThrownBy(() -> s.recv(ByteBuffer.allocate(200)))
                .isInstanceOfSatisfying(SocketException.class, e -> assertThat(e.errno()).isEqualTo(Errno.EAGAIN));
        s.setOption(SockOpt.SO_RCVTIMEO, 5000);
    }

    @Test
    void broadcastNeedsSoBroadcastAndReachesWildcardListenersOnBothSides() throws Exception {
        try (Lab lab = new Lab()) {
            Vnet a = lab.def();
            Vnet b = lab.vnet("b");
            lab.link(a, "192.0.2.1", b, "192.0.2.2", 24);
            InetSockAddr wildcard = new InetSockAddr(InAddr.ANY, PORT);
            Socket inB1 = listener(b, wildcard);
            Socket inB2 = listener(b, wildcard);
            Socket inA = listener(a, wildcard);
            // bound to a unicast address: no broadcasts for it
            Socket unicastB = listener(b, InetSockAddr.of("192.0.2.2", PORT));

            Socket tx = Lab.udpSocket(a);
            tx.bind(InetSockAddr.of("192.0.2.1", 0));
            SockAddr txAddr = tx.localAddress();
            InetSockAddr limited = new InetSockAddr(InAddr.BROADCAST, PORT);
            InetSockAddr directed = InetSockAddr.of("192.0.2.255", PORT);
            for (InetSockAddr to : new InetSockAddr[] {limited, directed}) {
                assertThatThrownBy(() -> tx.sendto(ByteBuffer.wrap(Payload.make(0, 64)), 0, to))
                        .isInstanceOfSatisfying(SocketException.class, e -> assertThat(e.errno()).isEqualTo(Errno.EACCES));
            }

            tx.setOption(SockOpt.SO_BROADCAST, true);
            int seq = 1;
            for (InetSockAddr to : new InetSockAddr[] {limited, directed}) {
                assertThat(tx.sendto(ByteBuffer.wrap(Payload.make(seq, 64)), 0, to)).isEqualTo(64);
                expect(inB1, seq, txAddr);
                expect(inB2, seq, txAddr);
                // the sender's own vnet hears its broadcast looped back
                expect(inA, seq, txAddr);
                seq++;
            }
            expectNothing(unicastB);
            expectNothing(inA);

            // an unbound sender: the source is the address of the interface it leaves by
            Socket anon = Lab.udpSocket(a);
            anon.setOption(SockOpt.SO_BROADCAST, true);
            anon.sendto(ByteBuffer.wrap(Payload.make(seq, 64)), 0, directed);
            InetSockAddr anonFrom = new InetSockAddr(InAddr.parse("192.0.2.1"), ((InetSockAddr) anon.localAddress()).port());
            expect(inB1, seq, anonFrom);
            expect(inB2, seq, anonFrom);
            expect(inA, seq, anonFrom);

            // a broadcast too big for the link: fragmented on the epair, whole on the loop
            seq++;
            tx.sendto(ByteBuffer.wrap(Payload.make(seq, 3000)), 0, directed);
            for (Socket s : new Socket[] {inB1, inB2, inA}) {
                ByteBuffer big = ByteBuffer.allocate(4000);
                RecvInfo ri = s.recvfrom(big, 0);
                assertThat(ri.from()).isEqualTo(txAddr);
                assertThat(Payload.check(big.array(), ri.length())).isEqualTo(seq);
            }
            assertThat(Lab.ipStat(b, "packets reassembled ok")).isEqualTo(1);

            // nobody on the port: dropped and counted, no ICMP answers a broadcast
            tx.sendto(ByteBuffer.wrap(Payload.make(99, 64)), 0, InetSockAddr.of("192.0.2.255", PORT + 1));
            Lab.await("the broadcast to be dropped in b", 5000,
                    () -> lab.udpStat(b, "broadcast/multicast datagrams undelivered") == 1);
            assertThat(Lab.icmpStat(b, "Output histogram: destination unreachable")).isZero();
            for (Socket s : new Socket[] {inB1, inB2, inA, unicastB, tx, anon}) {
                s.close();
            }
        }
    }
}
