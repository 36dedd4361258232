package org.protosw.udp.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.protosw.socket.SocketConstants.MSG_DONTWAIT;

import java.nio.ByteBuffer;

import org.junit.jupiter.api.Test;
import org.protosw.internal.kern.Vnet;
import org.protosw.socket.Errno;
import org.protosw.socket.InetSockAddr;
import org.protosw.socket.SockOpt;
import org.protosw.socket.Socket;
import org.protosw.socket.SocketException;

/** A burst into a small receive buffer: what fits is kept intact, the rest is counted. */
class ReceiveBufferTest {
    @Test
    void aFullReceiveBufferDropsAndCountsTheExcess() throws Exception {
        try (Lab lab = new Lab()) {
            Vnet a = lab.def();
            Vnet b = lab.vnet("b");
            lab.link(a, "192.0.2.1", b, "192.0.2.2", 24);
            for (Socket[] pair : new Socket[][] {pair(a, "127.0.0.1", a, "127.0.0.1"), pair(a, "192.0.2.1", b, "192.0.2.2")}) {
                Socket tx = pair[0];
                Socket rx = pair[1];
                Vnet rv = rx.stack().name().equals("b") ? b : a;
                long fullBefore = lab.udpStat(rv, "dropped due to full socket buffers");
                long deliveredBefore = lab.udpStat(rv, "delivered");
                // room for exactly 10 datagrams of 100 bytes
                rx.setOption(SockOpt.SO_RCVBUF, 1000);
                for (int i = 0; i < 50; i++) {
                    tx.send(ByteBuffer.wrap(Payload.make(i, 100)));
                }
                Lab.await("all 50 datagrams queued or dropped", 5000, () -> lab.udpStat(rv, "delivered") - deliveredBefore
                        + lab.udpStat(rv, "dropped due to full socket buffers") - fullBefore == 50);
                assertThat(lab.udpStat(rv, "dropped due to full socket buffers") - fullBefore).isEqualTo(40);
                ByteBuffer in = ByteBuffer.allocate(200);
                for (int i = 0; i < 10; i++) {
                    in.clear();
                    int n = rx.recv(in, MSG_DONTWAIT);
                    assertThat(Payload.check(in.array(), n)).as("the first ten, in order, intact").isEqualTo(i);
                }
                assertThatThrownBy(() -> rx.recv(ByteBuffer.allocate(200), MSG_DONTWAIT))
                        .isInstanceOfSatisfying(SocketException.class, e -> assertThat(e.errno()).isEqualTo(Errno.EAGAIN));
                // room again: the next datagram is taken
                tx.send(ByteBuffer.wrap(Payload.make(50, 100)));
                rx.setOption(SockOpt.SO_RCVTIMEO, 5000);
                in.clear();
                assertThat(Payload.check(in.array(), rx.recv(in))).isEqualTo(50);
                tx.close();
                rx.close();
            }
        }
    }

    private static Socket[] pair(Vnet tv, String taddr, Vnet rv, String raddr) throws SocketException {
        Socket rx = Lab.udpSocket(rv);
        rx.bind(InetSockAddr.of(raddr, 0));
        Socket tx = Lab.udpSocket(tv);
        tx.bind(InetSockAddr.of(taddr, 0));
        tx.connect(rx.localAddress());
        return new Socket[] {tx, rx};
    }
}
