package org.protosw.udp.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;

import org.junit.jupiter.api.Test;
import org.protosw.internal.kern.GlobalLock;
import org.protosw.internal.kern.Vnet;
import org.protosw.socket.InAddr;
import org.protosw.socket.InetSockAddr;
import org.protosw.socket.RecvInfo;
import org.protosw.socket.SockAddr;
import org.protosw.socket.SockOpt;
import org.protosw.socket.Socket;
import org.protosw.socket.SocketException;

/**
 * DESIGN.md: no global lock on the send or receive path. Once the sockets are bound and
 * connected, thousands of datagrams flow both ways over lo0 and across an epair, through
 * the real IP layer, input workers and UDP, and not one global lock is taken.
 */
class UdpDataPathLockTest {
    private static final int PER_DIRECTION = 1500;
    private static final int SIZE = 200;

    private static Socket socket(Vnet v, String addr) throws SocketException {
        Socket s = Lab.udpSocket(v);
        s.setOption(SockOpt.SO_RCVBUF, 2 * 1024 * 1024);
        s.setOption(SockOpt.SO_RCVTIMEO, 5000);
        s.bind(InetSockAddr.of(addr, 0));
        return s;
    }

    /** One direction: {@code to == null} sends on the connected socket, else sendto. */
    private record Flow(String name, Socket tx, SockAddr to, Socket rx, SockAddr from) {
    }

    @Test
    void establishedSocketsMoveDatagramsWithoutAnyGlobalLock() throws Exception {
        try (Lab lab = new Lab()) {
            Vnet a = lab.def();
            Vnet b = lab.vnet("b");
            lab.link(a, "192.0.2.1", b, "192.0.2.2", 24);

            // connected pairs over lo0 and across the epair
            Socket lo1 = socket(a, "127.0.0.1");
            Socket lo2 = socket(a, "127.0.0.1");
            lo1.connect(lo2.localAddress());
            lo2.connect(lo1.localAddress());
            Socket ep1 = socket(a, "192.0.2.1");
            Socket ep2 = socket(b, "192.0.2.2");
            ep1.connect(ep2.localAddress());
            ep2.connect(ep1.localAddress());
            // unconnected sockets bound to the wildcard: sendto picks the source per datagram
            Socket w1 = socket(a, "0.0.0.0");
            Socket w2 = socket(b, "0.0.0.0");
            int w1port = ((InetSockAddr) w1.localAddress()).port();
            int w2port = ((InetSockAddr) w2.localAddress()).port();
            InetSockAddr w1seen = new InetSockAddr(InAddr.parse("192.0.2.1"), w1port);
            InetSockAddr w2seen = new InetSockAddr(InAddr.parse("192.0.2.2"), w2port);

            List<Flow> flows = List.of(
                    new Flow("lo 1>2", lo1, null, lo2, lo1.localAddress()),
                    new Flow("lo 2>1", lo2, null, lo1, lo2.localAddress()),
                    new Flow("epair a>b", ep1, null, ep2, ep1.localAddress()),
                    new Flow("epair b>a", ep2, null, ep1, ep2.localAddress()),
                    new Flow("sendto a>b", w1, w2seen, w2, w1seen),
                    new Flow("sendto b>a", w2, w1seen, w1, w2seen));
            // one datagram per flow first: every lazy first-use is behind us
            for (Flow f : flows) {
                send(f, -1);
                receive(f, -1);
            }

            CountDownLatch go = new CountDownLatch(1);
            List<Lab.Task<Integer>> tasks = new ArrayList<>();
            for (Flow f : flows) {
                tasks.add(lab.spawn("rx " + f.name(), () -> {
                    go.await();
                    for (int i = 0; i < PER_DIRECTION; i++) {
                        receive(f, i);
                    }
                    return PER_DIRECTION;
                }));
                tasks.add(lab.spawn("tx " + f.name(), () -> {
                    go.await();
                    for (int i = 0; i < PER_DIRECTION; i++) {
                        send(f, i);
                        if (i % 64 == 63) {
                            // let the receivers keep up; the buffers would hold it anyway
                            Thread.yield();
                        }
                    }
                    return PER_DIRECTION;
                }));
            }
            long before = GlobalLock.acquisitions();
            go.countDown();
            for (Lab.Task<Integer> t : tasks) {
                assertThat(t.join(20_000)).isEqualTo(PER_DIRECTION);
            }
            long taken = GlobalLock.acquisitions() - before;
            assertThat(taken).as("global lock acquisitions while %d datagrams flowed", flows.size() * PER_DIRECTION).isZero();
            long atClose = GlobalLock.acquisitions();
            for (Socket s : new Socket[] {lo1, lo2, ep1, ep2, w1, w2}) {
                s.close();
            }
            // the counter counts: each close removes a pcb from its table under the lock
            assertThat(GlobalLock.acquisitions() - atClose).as("global lock acquisitions of six closes").isGreaterThanOrEqualTo(6);
        }
    }

    private static void send(Flow f, int seq) throws SocketException {
        ByteBuffer data = ByteBuffer.wrap(Payload.make(seq, SIZE));
        if (f.to() == null) {
            f.tx().send(data);
        } else {
            f.tx().sendto(data, 0, f.to());
        }
    }

    private static void receive(Flow f, int seq) throws SocketException {
        ByteBuffer in = ByteBuffer.allocate(SIZE + 10);
        RecvInfo ri = f.rx().recvfrom(in, 0);
        assertThat(ri.from()).as(f.name()).isEqualTo(f.from());
        assertThat(Payload.check(in.array(), ri.length())).as(f.name()).isEqualTo(seq);
    }
}
