package org.protosw.internal.socket;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.protosw.socket.InAddr;
import org.protosw.socket.InetSockAddr;
import org.protosw.socket.Socket;

/**
 * Upgrades back and forth while application threads hammer their sockets with option
 * changes, sends and receives: no call fails, none reaches a pcb after its detach (the gate
 * and the count of threads inside the protocol), every option value and datagram comes
 * through, and each revision's pcbs are detached exactly once each.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class UpgradeStressTest {
    static final int SOCKETS = 6;
    static final int ROUNDS = 40;

    private final TestNet net = new TestNet();

    @AfterEach
    void tearDown() {
        net.close();
        TestTransferProto.PORTS.clear();
    }

    @Test
    void callsNeverSeeAnUpgrade() throws Exception {
        List<TestTransferProto> revisions = new ArrayList<>();
        TestTransferProto cur = new TestTransferProto("r0");
        revisions.add(cur);
        assertThat(net.registry.register(cur, TestTransferProto.props("tx", 17), "test.tx [9] 0").accepted()).isTrue();
        List<Socket> socks = new ArrayList<>();
        for (int i = 0; i < SOCKETS; i++) {
            Socket s = net.dgram();
            s.bind(new InetSockAddr(InAddr.LOOPBACK, 6000 + i));
            socks.add(s);
        }
        AtomicBoolean stop = new AtomicBoolean();
        ConcurrentLinkedQueue<Throwable> errors = new ConcurrentLinkedQueue<>();
        AtomicLong calls = new AtomicLong();
        List<Thread> workers = new ArrayList<>();
        for (int i = 0; i < SOCKETS; i++) {
            Socket s = socks.get(i);
            InetSockAddr self = new InetSockAddr(InAddr.LOOPBACK, 6000 + i);
            Thread t = new Thread(() -> {
                ByteBuffer in = ByteBuffer.allocate(16);
                int n = 0;
                try {
                    while (!stop.get()) {
                        n++;
                        s.setOption(TestTransferProto.TEST_OPT, n);
                        int got = s.getOption(TestTransferProto.TEST_OPT);
                        if (got != n) {
                            throw new AssertionError("option " + got + " after setting " + n);
                        }
                        ByteBuffer out = ByteBuffer.allocate(4).putInt(0, n);
                        s.sendto(out, 0, self);
                        in.clear();
                        s.recv(in, 0);
                        if (in.getInt(0) != n) {
                            throw new AssertionError("datagram " + in.getInt(0) + ", sent " + n);
                        }
                        calls.incrementAndGet();
                    }
                } catch (Throwable e) {
                    errors.add(e);
                }
            }, "stress-" + i);
            t.setDaemon(true);
            t.start();
            workers.add(t);
        }
        for (int r = 1; r <= ROUNDS; r++) {
            long before = calls.get();
            // let every worker get some calls in between the upgrades
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (calls.get() < before + SOCKETS && errors.isEmpty()) {
                if (System.nanoTime() - deadline > 0) {
                    throw new AssertionError("the workers made no progress in 10 s (round " + r + ", errors " + errors + ")");
                }
                Thread.sleep(1);
            }
            net.registry.unregisterForUpgrade(cur);
            TestTransferProto next = new TestTransferProto("r" + r);
            revisions.add(next);
            assertThat(net.registry.register(next, TestTransferProto.props("tx", 17), "test.tx [9] " + r).accepted()).isTrue();
            assertThat(net.registry.entry("tx").lastUpgrade().failed()).isFalse();
            cur = next;
            if (!errors.isEmpty()) {
                break;
            }
        }
        stop.set(true);
        for (Thread t : workers) {
            t.join(10_000);
            if (t.isAlive()) {
                t.interrupt();
                t.join(5_000);
            }
        }
        assertThat(errors).as("calls during upgrades").isEmpty();
        for (Socket s : socks) {
            s.close();
        }
        for (TestTransferProto p : revisions) {
            assertThat(p.violations.get()).as(p.revision + ": " + p.violationLog).isZero();
            assertThat(p.live()).as(p.revision + ": attached + imported = detached").isZero();
        }
        for (int i = 0; i < revisions.size() - 1; i++) {
            assertThat(revisions.get(i).exported.get()).as(revisions.get(i).revision + " exported every socket").isEqualTo(SOCKETS);
        }
        assertThat(calls.get()).isGreaterThan(ROUNDS);
    }
}
