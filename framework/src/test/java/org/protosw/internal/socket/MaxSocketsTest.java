package org.protosw.internal.socket;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.protosw.internal.socket.Errnos.assertErrno;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.protosw.socket.Errno;
import org.protosw.socket.InetSockAddr;
import org.protosw.socket.Socket;
import org.protosw.socket.SocketException;

/** kern.ipc.maxsockets: a bound on the sockets one stack instance holds, exact under races. */
class MaxSocketsTest {
    private final TestNet net = new TestNet();
    private final TestStreamProto proto = net.streamProto();
    private final List<Socket> open = new ArrayList<>();

    @AfterEach
    void tearDown() {
        open.forEach(Socket::close);
        net.close();
        assertThat(proto.ledger.violations()).isEmpty();
        assertThat(proto.ledger.detaches.get()).isEqualTo(proto.ledger.attaches.get());
    }

    private void max(long n) {
        net.sysctl.find(SocketLayer.MAXSOCKETS).set(n);
    }

    private Socket keep(Socket s) {
        open.add(s);
        return s;
    }

    @Test
    void pastTheLimitSocketFailsWithEnobufsAndAClosedSocketGivesItsPlaceBack() throws Exception {
        max(3);
        Socket a = keep(net.stream());
        keep(net.stream());
        keep(net.stream());
        assertThatThrownBy(net::stream).isInstanceOfSatisfying(SocketException.class, e -> {
            assertThat(e.errno()).isEqualTo(Errno.ENFILE);
            assertThat(e.getMessage()).endsWith(": socket: kern.ipc.maxsockets (3) reached in vnet default");
        });
        assertThat(proto.ledger.attaches.get()).as("the protocol never saw the refused one").isEqualTo(3);
        assertThat(net.layer.maxSocketsRefused()).isEqualTo(1);
        a.close();
        keep(net.stream());
        assertErrno(Errno.ENFILE, net::stream);
        assertThat(net.layer.maxSocketsRefused()).isEqualTo(2);
    }

    @Test
    void aFullInstanceRefusesNewConnectionsAtTheListener() throws Exception {
        // the listener, a client, its accepted connection, a second client: four
        max(4);
        Socket l = keep(net.stream());
        l.bind(InetSockAddr.of("127.0.0.1", 0));
        l.listen(5);
        Socket c1 = keep(net.stream());
        c1.connect(l.localAddress());
        keep(l.accept());
        Socket c2 = keep(net.stream());
        assertErrno(Errno.ECONNREFUSED, () -> c2.connect(l.localAddress()));
        assertThat(net.layer.maxSocketsRefused()).isEqualTo(1);
        // the refused client and the first one going away make room for a new connection
        c2.close();
        c1.close();
        Socket c3 = keep(net.stream());
        c3.connect(l.localAddress());
        assertThat(l.accept()).isNotNull();
    }

    /**
     * Eight threads open and close sockets as fast as they can against a limit of 40: the
     * instance never holds more than 40, and once they stop every place is free again (a
     * count that leaked on a refusal, a failed attach or a close would show here).
     */
    @Test
    void theCountIsExactUnderRacingOpensAndCloses() throws Exception {
        max(40);
        ExecutorService pool = Executors.newFixedThreadPool(8);
        AtomicInteger highest = new AtomicInteger();
        AtomicInteger refusals = new AtomicInteger();
        CountDownLatch go = new CountDownLatch(1);
        // every thread holds its eight before any closes one: 64 asked of 40, so refusals are
        // certain however the threads are scheduled (a loaded machine ran them one by one)
        java.util.concurrent.CyclicBarrier filled = new java.util.concurrent.CyclicBarrier(8);
        List<Future<?>> done = new ArrayList<>();
        for (int t = 0; t < 8; t++) {
            done.add(pool.submit(() -> {
                go.await();
                List<Socket> mine = new ArrayList<>();
                for (int i = 0; i < 8; i++) {
                    try {
                        mine.add(net.stream());
                    } catch (SocketException e) {
                        assertThat(e.errno()).isEqualTo(Errno.ENFILE);
                        refusals.incrementAndGet();
                    }
                }
                highest.accumulateAndGet(net.layer.socketCount(), Math::max);
                filled.await(60, TimeUnit.SECONDS);
                for (int i = 0; i < 4000; i++) {
                    if (mine.size() < 8) {
                        try {
                            mine.add(net.stream());
                        } catch (SocketException e) {
                            assertThat(e.errno()).isEqualTo(Errno.ENFILE);
                            refusals.incrementAndGet();
                        }
                    } else {
                        mine.remove(0).close();
                    }
                    highest.accumulateAndGet(net.layer.socketCount(), Math::max);
                }
                mine.forEach(Socket::close);
                return null;
            }));
        }
        go.countDown();
        for (Future<?> f : done) {
            f.get(60, TimeUnit.SECONDS);
        }
        pool.shutdown();
        assertThat(highest.get()).isLessThanOrEqualTo(40);
        assertThat(refusals.get()).as("eight threads of eight each meet a limit of 40").isPositive();
        assertThat(net.layer.maxSocketsRefused()).isEqualTo(refusals.get());
        for (int i = 0; i < 40; i++) {
            keep(net.stream());
        }
        assertErrno(Errno.ENFILE, net::stream);
    }
}
