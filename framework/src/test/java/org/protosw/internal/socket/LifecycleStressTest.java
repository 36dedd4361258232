package org.protosw.internal.socket;

import static org.assertj.core.api.Assertions.assertThat;
import static org.protosw.socket.SocketConstants.MSG_DONTWAIT;

import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.Set;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

import org.junit.jupiter.api.Test;
import org.protosw.internal.sw.ProtoSwRegistry;
import org.protosw.socket.Errno;
import org.protosw.socket.InetSockAddr;
import org.protosw.socket.SockOpt;
import org.protosw.socket.Socket;
import org.protosw.socket.SocketException;
import org.protosw.spi.ProtoSw;
import org.slf4j.LoggerFactory;

/**
 * The stress test: threads call setsockopt, getsockopt, send and recv on sockets
 * while another thread closes one and the core aborts them all (the protocol is unloaded),
 * round after round. Nothing but the documented errnos may come out, every attached pcb is
 * detached exactly once, no pcb call arrives after its detach (the test protocols' ledger
 * checks every call), and each protocol instance is destroyed only after its last detach.
 * Rounds are bounded by count and by time.
 */
class LifecycleStressTest {
    private static final int MAX_ROUNDS = 3000;
    private static final long MAX_NANOS = TimeUnit.SECONDS.toNanos(12);
    private static final int WORKERS = 3;
    /** A round ends when its sockets die; this bounds a round that would not end. */
    private static final long MAX_ROUND_NANOS = TimeUnit.SECONDS.toNanos(10);

    private final Queue<Throwable> failures = new ConcurrentLinkedQueue<>();
    private final AtomicLong calls = new AtomicLong();
    private final AtomicLong ebadf = new AtomicLong();
    private final AtomicLong econnaborted = new AtomicLong();
    private volatile Socket[] current;
    private volatile org.protosw.socket.SockAddr self;
    private volatile boolean stop;

    /** One worker's calls on the round's sockets; returns when its socket is dead. */
    private interface Worker {
        void run(int id, Socket[] socks) throws SocketException;
    }

    private interface Setup {
        Socket[] open(TestNet net) throws SocketException;
    }

    @Test
    void datagramSocketCallsRaceCloseAndUnload() throws Exception {
        TestDgramProto proto = new TestDgramProto();
        Set<Errno> documented = EnumSet.of(Errno.EBADF, Errno.ECONNABORTED, Errno.EAGAIN);
        int rounds = run(proto, TestDgramProto.props("tudp", 17), proto.ledger, documented, net -> {
            Socket s = net.dgram();
            s.bind(InetSockAddr.of("127.0.0.1", 0));
            self = s.localAddress();
            // a second socket nobody uses: only the unload ends it
            return new Socket[] {s, net.dgram()};
        }, (id, socks) -> {
            Socket s = socks[0];
            var to = self;
            ThreadLocalRandom r = ThreadLocalRandom.current();
            ByteBuffer out = ByteBuffer.allocate(64);
            ByteBuffer in = ByteBuffer.allocate(128);
            untilDead(documented, i -> {
                switch (id == 0 ? 7 : r.nextInt(7)) {
                    case 0 -> s.setOption(SockOpt.SO_RCVBUF, 8192 + r.nextInt(8192));
                    case 1 -> s.getOption(SockOpt.SO_SNDBUF);
                    case 2 -> s.setOption(TestDgramProto.TEST_OPT, i);
                    case 3 -> s.getOption(TestDgramProto.TEST_OPT);
                    case 4 -> s.sendto(out.clear(), 0, to);
                    case 5 -> s.recv(in.clear(), MSG_DONTWAIT);
                    case 6 -> {
                        s.getOption(SockOpt.SO_ERROR);
                        s.localAddress();
                    }
                    default -> s.recv(in.clear(), 0); // blocks until data, close or abort
                }
            });
        });
        assertThat(proto.ledger.attaches.get()).isEqualTo(2 * rounds);
    }

    @Test
    void streamSocketCallsRaceCloseAndUnload() throws Exception {
        TestStreamProto proto = new TestStreamProto();
        // the peer's close or reset shows on the other end: EPIPE for send, ECONNRESET once,
        // ENOTCONN for getpeername once the connection is gone
        Set<Errno> documented = EnumSet.of(Errno.EBADF, Errno.ECONNABORTED, Errno.EAGAIN, Errno.EPIPE, Errno.ECONNRESET,
                Errno.ENOTCONN);
        int rounds = run(proto, TestStreamProto.props("tstream", 6), proto.ledger, documented, net -> {
            Socket l = net.stream();
            l.listen(4);
            Socket c = net.stream();
            c.connect(l.localAddress());
            Socket s = l.accept();
            // the listener keeps a queued, never accepted connection for the unload to find
            Socket q = net.stream();
            q.connect(l.localAddress());
            return new Socket[] {c, s, l, q};
        }, (id, socks) -> {
            ThreadLocalRandom r = ThreadLocalRandom.current();
            ByteBuffer big = ByteBuffer.allocate(40_000);
            ByteBuffer in = ByteBuffer.allocate(3000);
            switch (id) {
                case 0 -> untilDead(documented, i -> socks[0].send(big.clear())); // blocks for room
                case 1 -> untilDead(documented, i -> socks[1].recv(in.clear())); // blocks for data
                default -> untilDead(documented, i -> {
                    Socket c = socks[0];
                    switch (r.nextInt(6)) {
                        case 0 -> c.setOption(SockOpt.SO_SNDBUF, 4096 + r.nextInt(8192));
                        case 1 -> c.getOption(SockOpt.SO_RCVBUF);
                        case 2 -> c.send(in.clear(), MSG_DONTWAIT);
                        case 3 -> c.recv(in.clear(), MSG_DONTWAIT);
                        case 4 -> c.peerAddress();
                        default -> c.setOption(SockOpt.SO_KEEPALIVE, r.nextBoolean());
                    }
                });
            }
        });
        // listener, both ends, the queued connection's two ends
        assertThat(proto.ledger.attaches.get()).isEqualTo(5 * rounds);
    }

    private interface Call {
        void run(int i) throws SocketException;
    }

    /** Repeats a call until it fails with EBADF or ECONNABORTED (the socket's end). */
    private void untilDead(Set<Errno> documented, Call call) {
        long t0 = System.nanoTime();
        for (int i = 0; (i & 1023) != 0 || System.nanoTime() - t0 < MAX_ROUND_NANOS; i++) {
            calls.incrementAndGet();
            try {
                call.run(i);
            } catch (SocketException e) {
                if (!documented.contains(e.errno())) {
                    failures.add(e);
                    return;
                }
                if (e.errno() == Errno.EBADF) {
                    ebadf.incrementAndGet();
                    return;
                }
                if (e.errno() == Errno.ECONNABORTED) {
                    econnaborted.incrementAndGet();
                    return;
                }
            }
        }
        failures.add(new AssertionError("socket still alive " + TimeUnit.NANOSECONDS.toSeconds(MAX_ROUND_NANOS)
                + " s after close and unload began"));
    }

    private int run(ProtoSw proto, Map<String, Object> props, PcbLedger ledger, Set<Errno> documented, Setup setup,
            Worker worker) throws Exception {
        TestNet net = new TestNet(new ProtoSwRegistry(Duration.ofSeconds(10)), "default");
        CyclicBarrier start = new CyclicBarrier(WORKERS + 2);
        CyclicBarrier end = new CyclicBarrier(WORKERS + 2);
        List<Thread> threads = new ArrayList<>();
        for (int i = 0; i < WORKERS; i++) {
            int id = i;
            threads.add(Thread.ofPlatform().daemon().name("stress-worker-" + i).start(
                    () -> loop(start, end, () -> worker.run(id, current))));
        }
        threads.add(Thread.ofPlatform().daemon().name("stress-closer").start(() -> loop(start, end, () -> {
            LockSupport.parkNanos(ThreadLocalRandom.current().nextLong(300_000));
            current[0].close();
        })));

        long t0 = System.nanoTime();
        int rounds = 0;
        try {
            while (rounds < MAX_ROUNDS && System.nanoTime() - t0 < MAX_NANOS && failures.isEmpty()) {
                assertThat(net.register(proto, props).accepted()).isTrue();
                Socket[] socks = setup.open(net);
                current = socks;
                start.await(10, TimeUnit.SECONDS);
                LockSupport.parkNanos(ThreadLocalRandom.current().nextLong(300_000));
                net.registry.unregister(proto);
                end.await(10, TimeUnit.SECONDS);
                rounds++;

                for (Socket s : socks) {
                    assertThat(s.isClosed()).isTrue();
                    s.close();
                }
                assertThat(net.layer.socketCount()).isZero();
                assertThat(ledger.detaches.get()).isEqualTo(ledger.attaches.get());
                assertThat(ledger.destroys.get()).isEqualTo(rounds);
            }
        } finally {
            stop = true;
            // a round that failed half-way leaves threads at the end barrier: break it
            end.reset();
            // the others wait at (or are about to reach) the start barrier: let them see stop
            try {
                start.await(5, TimeUnit.SECONDS);
            } catch (Exception e) {
                start.reset();
            }
            for (Thread t : threads) {
                t.join(TimeUnit.SECONDS.toMillis(10));
            }
            net.close();
        }

        assertThat(failures).isEmpty();
        assertThat(threads).noneMatch(Thread::isAlive);
        assertThat(ledger.violations()).isEmpty();
        assertThat(rounds).isPositive();
        assertThat(ledger.detaches.get()).isEqualTo(ledger.attaches.get());
        // each pcb heard exactly one of close and abort (the ledger flags a second one)
        assertThat(ledger.closes.get() + ledger.aborts.get()).isEqualTo(ledger.attaches.get());
        assertThat(ledger.destroys.get()).isEqualTo(rounds);
        assertThat(calls.get()).isPositive();
        LoggerFactory.getLogger(LifecycleStressTest.class).info(
                "{} rounds, {} socket calls, {} ended by EBADF, {} by ECONNABORTED; {} closes and {} aborts reached pcbs",
                rounds, calls.get(), ebadf.get(), econnaborted.get(), ledger.closes.get(), ledger.aborts.get());
        return rounds;
    }

    private interface Body {
        void run() throws Exception;
    }

    private void loop(CyclicBarrier start, CyclicBarrier end, Body body) {
        try {
            for (;;) {
                start.await();
                if (stop) {
                    return;
                }
                try {
                    body.run();
                } catch (Throwable t) {
                    failures.add(t);
                }
                end.await();
            }
        } catch (Exception e) {
            if (!stop) {
                failures.add(e);
            }
        }
    }
}
