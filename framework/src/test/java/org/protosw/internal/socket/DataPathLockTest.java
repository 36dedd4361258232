package org.protosw.internal.socket;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;

import org.junit.jupiter.api.Test;
import org.protosw.internal.kern.GlobalLock;
import org.protosw.socket.InetSockAddr;
import org.protosw.socket.Poller;
import org.protosw.socket.Socket;

/** DESIGN.md: no global lock on the send or receive path of established sockets. */
class DataPathLockTest {
    @Test
    void sendReceiveAndPollTakeNoGlobalLock() throws Exception {
        try (TestNet net = new TestNet()) {
            net.dgramProto();
            net.streamProto();
            long atCreate = GlobalLock.acquisitions();
            Socket d = net.dgram();
            // the counter counts: a new socket goes into the socket table under its lock
            assertThat(GlobalLock.acquisitions() - atCreate).as("global lock acquisitions of one socket()").isPositive();
            d.bind(InetSockAddr.of("127.0.0.1", 0));
            d.connect(d.localAddress());
            Socket l = net.stream();
            l.listen(1);
            Socket c = net.stream();
            c.connect(l.localAddress());
            Socket s = l.accept();
            Poller kq = net.layer.newPoller();
            kq.change(s, Poller.EVFILT_READ, Poller.EV_ADD, null);
            ByteBuffer in = ByteBuffer.allocate(2048);
            ByteBuffer out = ByteBuffer.allocate(1000);

            long before = GlobalLock.acquisitions();
            for (int i = 0; i < 1000; i++) {
                out.clear();
                d.send(out);
                in.clear();
                d.recv(in);
                out.clear();
                c.send(out);
                kq.poll(4, 0);
                in.clear();
                s.recv(in);
                d.setOption(org.protosw.socket.SockOpt.SO_RCVBUF, 65536);
                d.getOption(org.protosw.socket.SockOpt.SO_ERROR);
            }
            assertThat(GlobalLock.acquisitions() - before).isZero();

            kq.close();
            long atClose = GlobalLock.acquisitions();
            for (Socket x : new Socket[] {d, l, c, s}) {
                x.close();
            }
            // and each close removes its socket from the tables under their locks
            assertThat(GlobalLock.acquisitions() - atClose).as("global lock acquisitions of four closes").isGreaterThanOrEqualTo(4);
        }
    }
}
