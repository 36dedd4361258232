package org.protosw.internal.socket;

import static org.assertj.core.api.Assertions.assertThat;
import static org.protosw.internal.socket.Errnos.assertErrno;
import static org.protosw.internal.socket.Errnos.buf;
import static org.protosw.internal.socket.Errnos.str;

import java.nio.ByteBuffer;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.protosw.internal.sw.ProtoEntry;
import org.protosw.internal.sw.ProtoState;
import org.protosw.internal.sw.UpgradeRecord;
import org.protosw.socket.Errno;
import org.protosw.socket.InAddr;
import org.protosw.socket.InetSockAddr;
import org.protosw.socket.RecvInfo;
import org.protosw.socket.Socket;
import org.protosw.spi.Snapshot;

/**
 * Live upgrade in the core (DESIGN.md, socket lifecycle point 5) with a test protocol that
 * carries its state: the old revision's service goes away as in a bundle update
 * ({@code unregisterForUpgrade}), the new one registers. What an application sees is a
 * pause, never an error; what fails ends as an unload with the reason in net:diag.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class UpgradeTest {
    private final TestNet net = new TestNet();
    private final ExecutorService pool = Executors.newCachedThreadPool();

    @AfterEach
    void tearDown() {
        pool.shutdownNow();
        net.close();
        TestTransferProto.PORTS.clear();
    }

    private TestTransferProto load(String rev) {
        TestTransferProto p = new TestTransferProto(rev);
        assertThat(net.registry.register(p, TestTransferProto.props("tx", 17), "test.tx [9] " + rev).accepted()).isTrue();
        return p;
    }

    private static InetSockAddr lo(int port) {
        return new InetSockAddr(InAddr.LOOPBACK, port);
    }

    /** Waits (bounded: 10 s) for a real condition; fails when it never holds. */
    private static void waitUntil(java.util.function.BooleanSupplier c) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (!c.getAsBoolean()) {
            if (System.nanoTime() - deadline > 0) {
                throw new AssertionError("condition not reached in 10 s");
            }
            Thread.sleep(1);
        }
    }

    private static boolean parked(Thread t) {
        Thread.State s = t.getState();
        return s == Thread.State.WAITING || s == Thread.State.TIMED_WAITING;
    }

    @Test
    void socketsMoveToTheNewRevisionWithTheirQueuedDatagramsWhileAReaderWaits() throws Exception {
        TestTransferProto a = load("1.0.0");
        Socket rx = net.dgram();
        rx.bind(lo(5000));
        rx.setOption(TestTransferProto.TEST_OPT, 42);
        Socket tx = net.dgram();
        tx.bind(lo(5001));
        for (int i = 0; i < 3; i++) {
            tx.sendto(buf("queued " + i), 0, lo(5000));
        }
        // an idle reader, parked in the core (its receive buffer), must not hold the upgrade up
        Socket idle = net.dgram();
        idle.bind(lo(5002));
        Thread[] reader = new Thread[1];
        Future<String> idleRead = pool.submit(() -> {
            reader[0] = Thread.currentThread();
            ByteBuffer b = ByteBuffer.allocate(100);
            int n = idle.recv(b, 0);
            return str(b, n);
        });
        waitUntil(() -> reader[0] != null && parked(reader[0]));

        net.registry.unregisterForUpgrade(a);
        assertThat(net.registry.entry("tx").state()).isEqualTo(ProtoState.UPGRADING);
        assertThat(a.exported.get()).as("each old pcb ended in its exported detach").isEqualTo(3);
        assertThat(a.aborted.get()).as("no pcb aborted: the peers are not told").isZero();
        TestTransferProto b = load("2.0.0");

        ProtoEntry e = net.registry.entry("tx");
        assertThat(e.state()).isEqualTo(ProtoState.ACTIVE);
        assertThat(e.owner()).isEqualTo("test.tx [9] 2.0.0");
        UpgradeRecord rec = e.lastUpgrade();
        assertThat(rec.failed()).isFalse();
        assertThat(rec.sockets()).isEqualTo(3);
        assertThat(b.imported.get()).isEqualTo(3);
        assertThat(rx.getOption(TestTransferProto.TEST_OPT)).as("the option came along").isEqualTo(42);
        assertThat(rx.localAddress()).isEqualTo(lo(5000));
        for (int i = 0; i < 3; i++) {
            ByteBuffer buf = ByteBuffer.allocate(100);
            RecvInfo r = rx.recvfrom(buf, 0);
            assertThat(str(buf, r.length())).isEqualTo("queued " + i);
        }
        tx.sendto(buf("after"), 0, lo(5002));
        assertThat(idleRead.get(10, TimeUnit.SECONDS)).as("the parked reader woke with data through the new revision").isEqualTo("after");
        assertThat(a.destroyed.get()).isEqualTo(1);
        assertThat(a.violations.get() + b.violations.get()).as(a.violationLog + " " + b.violationLog).isZero();
        rx.close();
        tx.close();
        idle.close();
        assertThat(b.live()).as("every imported pcb detached once at close").isZero();
        assertThat(a.live()).isZero();
    }

    /**
     * Once the new revision has imported everything, the sockets' snapshots may not stay
     * reachable until the wait for a new revision (net.protosw.upgrade_wait_ms) would have
     * expired: its timer used to hold the whole upgrade, every snapshot with it (with 1,000 TCP
     * connections, hundreds of MB over a few upgrades, and long GC pauses inside later freezes).
     */
    @Test
    void theSnapshotsAreCollectableRightAfterTheUpgradeNotWhenTheWaitEnds() throws Exception {
        net.vnet.upgradeWaitMillis = 60_000;
        TestTransferProto a = load("1.0.0");
        Socket rx = net.dgram();
        rx.bind(lo(5900));
        net.registry.unregisterForUpgrade(a);
        TestTransferProto b = load("2.0.0");
        assertThat(net.registry.entry("tx").lastUpgrade().failed()).isFalse();
        assertThat(b.importedStates).hasSize(1);
        java.lang.ref.WeakReference<org.protosw.spi.Snapshot> state = b.importedStates.get(0);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (state.get() != null && System.nanoTime() < deadline) {
            System.gc();
            Thread.sleep(20);
        }
        assertThat(state.get()).as("a socket's snapshot, 59 s before the upgrade's wait would end").isNull();
        rx.close();
    }

    @Test
    void aCallDuringTheFreezeWaitsAtTheGateAndRunsOnTheNewPcb() throws Exception {
        TestTransferProto a = load("1.0.0");
        Socket s = net.dgram();
        s.bind(lo(5100));
        net.registry.unregisterForUpgrade(a);
        Thread[] caller = new Thread[1];
        Future<Integer> set = pool.submit(() -> {
            caller[0] = Thread.currentThread();
            s.setOption(TestTransferProto.TEST_OPT, 7);
            return s.getOption(TestTransferProto.TEST_OPT);
        });
        org.protosw.internal.sw.UpgradeGate gate = ((SocketImpl) s).so.pi.gate();
        waitUntil(() -> gate.waiting() == 1);
        assertThat(set.isDone()).isFalse();
        TestTransferProto b = load("2.0.0");
        assertThat(set.get(10, TimeUnit.SECONDS)).isEqualTo(7);
        assertThat(a.violations.get() + b.violations.get()).isZero();
        s.close();
    }

    @Test
    void aCallInsideThePcbIsWaitedForBeforeTheExport() throws Exception {
        TestTransferProto a = load("1.0.0");
        Socket s = net.dgram();
        s.bind(lo(5200));
        a.stall = new java.util.concurrent.CountDownLatch(1);
        Future<?> inside = pool.submit(() -> {
            s.setOption(TestTransferProto.TEST_OPT, 9);
            return null;
        });
        waitUntil(() -> !((SocketImpl) s).outOfProtocol());
        CompletableFuture<Void> upgrade = CompletableFuture.runAsync(() -> net.registry.unregisterForUpgrade(a), pool);
        waitUntil(() -> ((SocketImpl) s).so.pi.gate().isClosed());
        assertThat(upgrade.isDone()).as("the freeze waits for the call inside the protocol").isFalse();
        assertThat(a.exported.get()).isZero();
        a.stall.countDown();
        inside.get(10, TimeUnit.SECONDS);
        upgrade.get(10, TimeUnit.SECONDS);
        load("2.0.0");
        assertThat(s.getOption(TestTransferProto.TEST_OPT)).as("the value set just before the export came along").isEqualTo(9);
        assertThat(a.violations.get()).isZero();
        s.close();
    }

    @Test
    void aNewRevisionThatRefusesTheVersionAbortsTheSocketsAndTheStackServesOn() throws Exception {
        TestTransferProto a = load("1.0.0");
        a.writesVersion = 2;
        Socket s = net.dgram();
        s.bind(lo(5300));
        Future<Integer> blocked = pool.submit(() -> s.recv(ByteBuffer.allocate(10), 0));
        net.registry.unregisterForUpgrade(a);
        TestTransferProto b = load("2.0.0"); // reads up to version 1
        assertThat(blocked).failsWithin(10, TimeUnit.SECONDS).withThrowableThat().havingRootCause()
                .satisfies(t -> assertThat(((org.protosw.socket.SocketException) t).errno()).isEqualTo(Errno.ECONNABORTED));
        assertErrno(Errno.ECONNABORTED, () -> s.getOption(TestTransferProto.TEST_OPT));
        List<UpgradeRecord> f = net.registry.upgradeFailures();
        assertThat(f).hasSize(1);
        assertThat(f.get(0).failure()).contains("refused").contains("version 2").contains("reads test.transfer.pcb up to version 1");
        assertThat(f.get(0).toString()).contains("1 socket(s) aborted (ECONNABORTED)");
        // nothing of either revision in the core: the new one serves as a fresh protocol
        ProtoEntry e = net.registry.entry("tx");
        assertThat(e.owner()).isEqualTo("test.tx [9] 2.0.0");
        assertThat(e.lastUpgrade()).isNull();
        assertThat(b.imported.get()).isZero();
        Socket fresh = net.dgram();
        fresh.bind(lo(5301));
        fresh.setOption(TestTransferProto.TEST_OPT, 1);
        assertThat(b.attached.get()).isEqualTo(1);
        fresh.close();
        s.close();
        assertThat(a.live()).isZero();
        assertThat(b.live()).isZero();
    }

    @Test
    void anImportThatThrowsLeavesNothingHalfImported() throws Exception {
        TestTransferProto a = load("1.0.0");
        Socket s1 = net.dgram();
        s1.bind(lo(5400));
        Socket s2 = net.dgram();
        s2.bind(lo(5401));
        net.registry.unregisterForUpgrade(a);
        TestTransferProto b = new TestTransferProto("2.0.0");
        b.importThrows = new IllegalStateException("import bug");
        assertThat(net.registry.register(b, TestTransferProto.props("tx", 17), "test.tx [9] 2.0.0").accepted()).isTrue();
        assertThat(b.imported.get()).as("one pcb imported before the throw").isEqualTo(1);
        assertThat(b.live()).as("and detached again").isZero();
        assertThat(b.destroyed.get()).as("the half-built instance destroyed").isEqualTo(1);
        assertErrno(Errno.ECONNABORTED, () -> s1.localAddress());
        assertErrno(Errno.ECONNABORTED, () -> s2.localAddress());
        assertThat(net.registry.upgradeFailures().get(0).failure()).contains("import bug");
        Socket fresh = net.dgram();
        fresh.bind(lo(5400));
        fresh.close();
        s1.close();
        s2.close();
    }

    @Test
    void aRevisionThatNeverComesAbortsAfterTheWait() throws Exception {
        net.vnet.upgradeWaitMillis = 50;
        TestTransferProto a = load("1.0.0");
        Socket s = net.dgram();
        s.bind(lo(5500));
        Future<Integer> blocked = pool.submit(() -> s.recv(ByteBuffer.allocate(10), 0));
        net.registry.unregisterForUpgrade(a);
        assertThat(blocked).failsWithin(10, TimeUnit.SECONDS).withThrowableThat().havingRootCause()
                .satisfies(t -> assertThat(((org.protosw.socket.SocketException) t).errno()).isEqualTo(Errno.ECONNABORTED));
        waitUntil(() -> net.registry.entry("tx") == null);
        assertThat(net.registry.upgradeFailures().get(0).failure()).contains("no new revision of tx registered within 50 ms");
        assertErrno(Errno.EPROTONOSUPPORT, () -> net.dgram());
        TestTransferProto b = load("2.0.0");
        Socket fresh = net.dgram();
        fresh.bind(lo(5501));
        fresh.close();
        s.close();
        assertThat(b.imported.get()).isZero();
    }

    @Test
    void aSnapshotHoldingAnObjectOfTheBundleIsRefusedAndTheProtocolUnloads() throws Exception {
        TestTransferProto a = load("1.0.0");
        a.leak = new Object() {
        };
        Socket s = net.dgram();
        s.bind(lo(5600));
        net.registry.unregisterForUpgrade(a);
        assertThat(net.registry.entry("tx")).as("unloaded instead").isNull();
        assertThat(a.aborted.get()).as("aborted through its own pcb, as in an unload").isEqualTo(1);
        assertThat(a.exported.get()).isZero();
        String why = net.registry.upgradeFailures().get(0).failure();
        assertThat(why).contains("snapshot refused").contains("state.leak[0].inner").contains(UpgradeTest.class.getName() + "$");
        assertErrno(Errno.ECONNABORTED, () -> s.localAddress());
        s.close();
    }

    @Test
    void aSocketCreatedDuringTheFreezeWaitsAndGetsTheNewRevision() throws Exception {
        TestTransferProto a = load("1.0.0");
        net.registry.unregisterForUpgrade(a);
        Future<Socket> made = pool.submit(() -> net.dgram());
        org.protosw.internal.sw.UpgradeGate gate = net.registry.entry("tx").instance("default").gate();
        waitUntil(() -> gate.waiting() == 1);
        TestTransferProto b = load("2.0.0");
        Socket s = made.get(10, TimeUnit.SECONDS);
        assertThat(b.attached.get()).isEqualTo(1);
        assertThat(a.attached.get()).isZero();
        s.close();
    }

    @Test
    void snapshotCheckNamesTheOffendingValue() {
        Snapshot ok = new Snapshot("f", 1, java.util.Map.of("a", List.of(1, 2L, "x", true, new byte[] {1}, java.util.Map.of(3, 4.0))));
        assertThat(org.junit.jupiter.api.Assertions.assertDoesNotThrow(() -> org.protosw.internal.sw.SnapshotCheck.check(ok)).state())
                .containsKey("a");
        java.util.Map<String, Object> cyc = new java.util.HashMap<>();
        cyc.put("self", cyc);
        org.junit.jupiter.api.Assertions.assertThrows(org.protosw.internal.sw.SnapshotCheck.Rejected.class,
                () -> org.protosw.internal.sw.SnapshotCheck.check(new Snapshot("f", 1, cyc)));
        class Mine extends java.util.ArrayList<Object> {
            private static final long serialVersionUID = 1L;
        }
        var e = org.junit.jupiter.api.Assertions.assertThrows(org.protosw.internal.sw.SnapshotCheck.Rejected.class,
                () -> org.protosw.internal.sw.SnapshotCheck.check(new Snapshot("f", 1, java.util.Map.of("l", new Mine()))));
        assertThat(e.getMessage()).startsWith("state.l: class " + Mine.class.getName());
    }
}
