package org.protosw.udp.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.protosw.socket.SocketConstants.MSG_DONTWAIT;
import static org.protosw.socket.SocketConstants.MSG_PEEK;

import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

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

/** UDP over lo0 through the real core: bytes, addresses and receive flags as a user sees them. */
class LoopbackEchoTest {
    private static final int[] SIZES = {0, 1, 64, 1472, 8000, 65507};
    private static final int ROUNDS = 40;

    @Test
    void echoesDatagramsOfEverySizeIntactWithTheRightAddresses() throws Exception {
        try (Lab lab = new Lab()) {
            Vnet v = lab.def();
            Socket server = Lab.udpSocket(v);
            server.setOption(SockOpt.SO_SNDBUF, 65535);
            server.setOption(SockOpt.SO_RCVBUF, 256 * 1024);
            server.bind(InetSockAddr.of("127.0.0.1", 0));
            InetSockAddr serverAddr = (InetSockAddr) server.localAddress();
            assertThat(serverAddr.port()).isPositive();
            List<SockAddr> peers = new CopyOnWriteArrayList<>();
            Lab.Task<Integer> echo = lab.spawn("echo", () -> echo(server, peers));

            Socket client = Lab.udpSocket(v);
            client.setOption(SockOpt.SO_SNDBUF, 65535);
            client.setOption(SockOpt.SO_RCVBUF, 256 * 1024);
            client.setOption(SockOpt.SO_RCVTIMEO, 5000);
            ByteBuffer in = ByteBuffer.allocate(65535);
            int n = 0;
            for (int round = 0; round < ROUNDS; round++) {
                for (int size : SIZES) {
                    byte[] data = size >= Payload.HEADER ? Payload.make(n, size) : Payload.plain(n, size);
                    assertThat(client.sendto(ByteBuffer.wrap(data), 0, serverAddr)).isEqualTo(size);
                    in.clear();
                    RecvInfo ri = client.recvfrom(in, 0);
                    assertThat(ri.length()).isEqualTo(size);
                    assertThat(ri.truncated()).isFalse();
                    assertThat(ri.from()).isEqualTo(serverAddr);
                    assertThat(Arrays.equals(in.array(), 0, size, data, 0, size)).as("datagram %d of %d bytes intact", n, size).isTrue();
                    if (size >= Payload.HEADER) {
                        assertThat(Payload.check(in.array(), size)).isEqualTo(n);
                    }
                    n++;
                }
            }
            // the first sendto bound the client to the wildcard and an ephemeral port; the
            // server saw the loopback address as its source
            InetSockAddr clientAddr = (InetSockAddr) client.localAddress();
            assertThat(clientAddr.addr()).isEqualTo(InAddr.ANY);
            assertThat(peers).hasSize(n).containsOnly(new InetSockAddr(InAddr.LOOPBACK, clientAddr.port()));

            // one byte over the largest UDP payload
            assertThatThrownBy(() -> client.sendto(ByteBuffer.allocate(65508), 0, serverAddr))
                    .isInstanceOfSatisfying(SocketException.class, e -> assertThat(e.errno()).isEqualTo(Errno.EMSGSIZE));
            // over SO_SNDBUF (9216 by default, net.inet.udp.maxdgram)
            Socket small = Lab.udpSocket(v);
            assertThat(small.getOption(SockOpt.SO_SNDBUF)).isEqualTo(9216);
            assertThatThrownBy(() -> small.sendto(ByteBuffer.allocate(9217), 0, serverAddr))
                    .isInstanceOfSatisfying(SocketException.class, e -> assertThat(e.errno()).isEqualTo(Errno.EMSGSIZE));

            int sent = n;
            // a datagram is counted just after the receiver was woken
            Lab.await("every datagram counted as delivered", 5000, () -> lab.udpStat(v, "delivered") == 2L * sent);
            assertThat(lab.udpStat(v, "with bad checksum")).isZero();
            server.close();
            assertThat(echo.join(5000)).isEqualTo(n);
            client.close();
            small.close();
        }
    }

    /** Echoes until the socket is closed; returns the count. */
    private static int echo(Socket s, List<SockAddr> peers) throws SocketException {
        ByteBuffer buf = ByteBuffer.allocate(65535);
        int count = 0;
        for (;;) {
            buf.clear();
            RecvInfo ri;
            try {
                ri = s.recvfrom(buf, 0);
            } catch (SocketException e) {
                if (e.errno() == Errno.EBADF) {
                    return count;
                }
                throw e;
            }
            peers.add(ri.from());
            buf.flip();
            s.sendto(buf, 0, ri.from());
            count++;
        }
    }

    @Test
    void shortBufferTruncatesAndPeekLeavesTheDatagramQueued() throws Exception {
        try (Lab lab = new Lab()) {
            Vnet v = lab.def();
            Socket rx = Lab.udpSocket(v);
            rx.bind(InetSockAddr.of("127.0.0.1", 0));
            Socket tx = Lab.udpSocket(v);
            tx.bind(InetSockAddr.of("127.0.0.1", 0));
            tx.connect(rx.localAddress());
            byte[] first = Payload.make(1, 300);
            byte[] second = Payload.make(2, 200);
            tx.send(ByteBuffer.wrap(first));
            tx.send(ByteBuffer.wrap(second));
            Lab.await("both datagrams queued", 5000, () -> lab.udpStat(v, "delivered") == 2);

            // MSG_PEEK twice: the same datagram, still queued
            for (int i = 0; i < 2; i++) {
                ByteBuffer peek = ByteBuffer.allocate(1000);
                RecvInfo ri = rx.recvfrom(peek, MSG_PEEK);
                assertThat(ri.length()).isEqualTo(300);
                assertThat(ri.from()).isEqualTo(tx.localAddress());
                assertThat(Payload.check(peek.array(), 300)).isEqualTo(1);
            }
            // a short buffer: the first 10 bytes, MSG_TRUNC, and the rest is gone
            ByteBuffer small = ByteBuffer.allocate(10);
            RecvInfo cut = rx.recvfrom(small, 0);
            assertThat(cut.length()).isEqualTo(10);
            assertThat(cut.truncated()).isTrue();
            assertThat(Arrays.equals(small.array(), 0, 10, first, 0, 10)).isTrue();
            // the next receive gets the second datagram whole
            ByteBuffer whole = ByteBuffer.allocate(1000);
            RecvInfo ri = rx.recvfrom(whole, 0);
            assertThat(ri.length()).isEqualTo(200);
            assertThat(ri.truncated()).isFalse();
            assertThat(Payload.check(whole.array(), 200)).isEqualTo(2);
            assertThatThrownBy(() -> rx.recv(ByteBuffer.allocate(10), MSG_DONTWAIT))
                    .isInstanceOfSatisfying(SocketException.class, e -> assertThat(e.errno()).isEqualTo(Errno.EAGAIN));
            // a zero-length datagram is a datagram: recv returns 0 for it, not "would block"
            tx.send(ByteBuffer.allocate(0));
            ByteBuffer any = ByteBuffer.allocate(10);
            rx.setOption(SockOpt.SO_RCVTIMEO, 5000);
            RecvInfo empty = rx.recvfrom(any, 0);
            assertThat(empty.length()).isZero();
            assertThat(empty.from()).isEqualTo(tx.localAddress());
            rx.close();
            tx.close();
        }
    }
}
