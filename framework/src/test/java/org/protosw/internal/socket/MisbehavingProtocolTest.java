package org.protosw.internal.socket;

import static org.assertj.core.api.Assertions.assertThat;
import static org.protosw.internal.socket.Errnos.assertErrno;
import static org.protosw.internal.socket.Errnos.buf;
import static org.protosw.socket.SocketConstants.AF_INET;
import static org.protosw.socket.SocketConstants.SOCK_DGRAM;

import java.nio.ByteBuffer;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.protosw.internal.kern.StandaloneStack;
import org.protosw.internal.sw.Lingering;
import org.protosw.internal.sw.ProtoEntry;
import org.protosw.internal.sw.ProtoFaults;
import org.protosw.internal.sw.ProtoSwRegistry;
import org.protosw.internal.sw.RegisterResult;
import org.protosw.socket.Errno;
import org.protosw.socket.InetSockAddr;
import org.protosw.socket.SockOpt;
import org.protosw.socket.Socket;
import org.protosw.socket.SocketException;
import org.slf4j.LoggerFactory;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;

/**
 * Issue 13, misbehaving protocol bundles, against the real core without OSGi: a protocol
 * that throws from every request, from its input and its timers, whose init or attach fails,
 * or that blocks in a request forever. The stack stays up, a well-behaved protocol's sockets
 * never notice, callers get EIO (or the errno the protocol threw), the unload ends within
 * {@code net.protosw.unload_wait_ms}, and the log names the bundle.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class MisbehavingProtocolTest {
    private static final String BUNDLE = "org.example.misbehave [42] 0.1.0";
    private static final int BAD = 254;
    private static final int GOOD = 253;

    private StandaloneStack stack;
    private final TestDgramProto good = new TestDgramProto();
    private final MisbehavingProto bad = new MisbehavingProto(BAD);
    private final ListAppender<ILoggingEvent> log = new ListAppender<>();
    /** The core's whole log: the fault lines (ProtoFaults), the registry's, the workers'. */
    private final Logger core = (Logger) LoggerFactory.getLogger("org.protosw.internal");
    private Socket a;
    private Socket b;

    @BeforeEach
    void setUp() throws Exception {
        stack = new StandaloneStack();
        stack.register(good, TestDgramProto.props("tgood", GOOD), "org.example.good [41] 1.0.0");
        a = stack.stack().socket(AF_INET, SOCK_DGRAM, GOOD);
        a.bind(InetSockAddr.of("127.0.0.1", 0));
        b = stack.stack().socket(AF_INET, SOCK_DGRAM, GOOD);
        b.bind(InetSockAddr.of("127.0.0.1", 0));
        log.start();
        core.addAppender(log);
    }

    @AfterEach
    void tearDown() {
        core.detachAppender(log);
        a.close();
        b.close();
        stack.close();
    }

    private ProtoSwRegistry registry() {
        return stack.core().registry();
    }

    private RegisterResult load() {
        return registry().register(bad, MisbehavingProto.props("tbad", BAD), BUNDLE);
    }

    private ProtoFaults faults() {
        return registry().entry("tbad").faults();
    }

    private Socket badSocket() throws SocketException {
        return stack.stack().socket(AF_INET, SOCK_DGRAM, BAD);
    }

    /** The well-behaved protocol's sockets exchange a datagram: they never noticed. */
    private void goodStillWorks(String text) throws Exception {
        a.sendto(buf(text), 0, b.localAddress());
        ByteBuffer got = ByteBuffer.allocate(64);
        int n = b.recv(got);
        assertThat(new String(got.array(), 0, n)).isEqualTo(text);
    }

    private List<String> errorsNaming(String what) {
        return log.list.stream().filter(e -> e.getLevel() == Level.ERROR).map(ILoggingEvent::getFormattedMessage)
                .filter(m -> m.contains(what)).toList();
    }

    private static void waitUntil(String what, BooleanSupplier c) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (!c.getAsBoolean()) {
            if (System.nanoTime() - deadline > 0) {
                throw new AssertionError("not reached in 10 s: " + what);
            }
            Thread.sleep(1);
        }
    }

    @Test
    void everyRequestThatThrowsIsEioCountedAndLoggedAtMostOnceASecondWithTheBundle() throws Exception {
        assertThat(load().accepted()).isTrue();
        Socket s = badSocket();
        long t0 = System.nanoTime();
        assertErrno(Errno.EIO, () -> s.bind(InetSockAddr.of("127.0.0.1", 0)));
        goodStillWorks("between two failures");
        assertErrno(Errno.EIO, () -> s.connect(InetSockAddr.of("127.0.0.1", 9)));
        assertErrno(Errno.EIO, () -> s.sendto(buf("x"), 0, InetSockAddr.of("127.0.0.1", 9)));
        assertErrno(Errno.EIO, () -> s.setOption(TestDgramProto.TEST_OPT, 1));
        assertErrno(Errno.EIO, () -> s.getOption(TestDgramProto.TEST_OPT));
        assertErrno(Errno.EIO, s::localAddress);
        assertErrno(Errno.EIO, s::peerAddress);
        assertErrno(Errno.EIO, () -> s.shutdown(org.protosw.socket.SocketConstants.SHUT_WR));
        long seconds = TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - t0);
        assertThat(faults().count(ProtoFaults.Where.REQUEST)).isEqualTo(8);
        List<String> lines = errorsNaming("tbad");
        // one line a second per protocol: a protocol failing on every call cannot flood the log
        assertThat(lines).isNotEmpty().hasSizeLessThanOrEqualTo((int) seconds + 2)
                .allSatisfy(l -> assertThat(l).contains(BUNDLE).contains("protocol tbad"));
        assertThat(lines.get(0)).contains("tbad socket #").contains("failed in bind");
        goodStillWorks("after every request failed");

        // its close and abort throw too: the socket is detached all the same, nothing stays
        s.close();
        assertThat(bad.detaches.get()).isEqualTo(1);
        assertThat(faults().count(ProtoFaults.Where.TEARDOWN)).isEqualTo(1);
        assertThat(stack.stack().sockets().socketCount()).as("only the good protocol's two").isEqualTo(2);
        assertThat(registry().list()).filteredOn(i -> i.name().equals("tbad")).singleElement()
                .satisfies(i -> assertThat(i.faultsByKind()).isEqualTo("requests 8, teardown 1"));
    }

    @Test
    void aThrowingInputDropsThePacketCountsItAndTheInputThreadGoesOn() throws Exception {
        assertThat(load().accepted()).isTrue();
        MisbehavingProto.Inst in = bad.instances.get(0);
        in.sendToSelf(MisbehavingProto.BOOM);
        waitUntil("the failure counted", () -> faults().count(ProtoFaults.Where.INPUT) == 1);
        assertThat(in.delivered.get()).isZero();
        // the thread that ran the input survived: later packets are delivered
        in.sendToSelf((byte) 'o');
        in.sendToSelf((byte) 'k');
        waitUntil("two good packets delivered", () -> in.delivered.get() == 2);
        assertThat(faults().count(ProtoFaults.Where.INPUT)).isEqualTo(1);
        assertThat(errorsNaming("input of IP protocol " + BAD)).singleElement().asString().contains(BUNDLE)
                .contains("misbehaving input");
        goodStillWorks("input failures do not reach other protocols");
    }

    @Test
    void aThrowingTimerIsCountedAndTheWheelGoesOn() throws Exception {
        assertThat(load().accepted()).isTrue();
        MisbehavingProto.Inst in = bad.instances.get(0);
        in.throwingTimer().reset(1, TimeUnit.MILLISECONDS);
        waitUntil("the timer's failure counted", () -> faults().count(ProtoFaults.Where.TIMER) == 1);
        CountDownLatch fired = new CountDownLatch(1);
        in.ctx.newCallout(fired::countDown).reset(1, TimeUnit.MILLISECONDS);
        assertThat(fired.await(10, TimeUnit.SECONDS)).as("the wheel thread survived").isTrue();
        assertThat(errorsNaming("timer task")).singleElement().asString().contains(BUNDLE).contains("tbad");
    }

    @Test
    void anInitThatThrowsIsRefusedWithTheBundleNamedAndTheStackGoesOn() throws Exception {
        bad.initThrows = new IllegalStateException("misbehaving init");
        RegisterResult r = load();
        assertThat(r.accepted()).isFalse();
        assertThat(((RegisterResult.Refused) r).refusal().errno()).isEqualTo(Errno.EIO);
        assertThat(registry().entry("tbad")).isNull();
        assertThat(registry().refusals()).singleElement().asString().contains(BUNDLE).contains("misbehaving init");
        assertThat(errorsNaming("refused")).singleElement().asString().contains(BUNDLE).contains("its init failed in vnet default");
        assertErrno(Errno.EPROTONOSUPPORT, this::badSocket);
        // the input handler its init registered before it threw is gone: the number is free again
        registry().unregister(bad);
        bad.initThrows = new SocketException(Errno.ENOMEM, "no memory for the misbehaving protocol");
        RegisterResult again = load();
        assertThat(((RegisterResult.Refused) again).refusal().errno()).as("a SocketException keeps its errno").isEqualTo(Errno.ENOMEM);
        registry().unregister(bad);
        bad.initThrows = null;
        assertThat(load().accepted()).as("the number was free: its handler was undone").isTrue();
        goodStillWorks("a refused protocol is no concern of the others");
    }

    @Test
    void anAttachThatThrowsFailsSocketWithEioOrItsErrnoAndLeavesNothing() throws Exception {
        assertThat(load().accepted()).isTrue();
        int before = stack.stack().sockets().socketCount();
        bad.attachThrows = new IllegalStateException("misbehaving attach");
        assertErrno(Errno.EIO, this::badSocket);
        bad.attachThrows = new SocketException(Errno.ENOBUFS, "no pcb for you");
        assertErrno(Errno.ENOBUFS, this::badSocket);
        assertThat(stack.stack().sockets().socketCount()).as("no half-made socket in the table").isEqualTo(before);
        assertThat(bad.detaches.get()).as("no detach of a pcb never made").isZero();
        assertThat(faults().count(ProtoFaults.Where.ATTACH)).as("only the unchecked one is a fault").isEqualTo(1);
        assertThat(errorsNaming("failed in attach")).singleElement().asString().contains(BUNDLE);
        bad.attachThrows = null;
        badSocket().close();
        goodStillWorks("attach failures are no concern of the others");
    }

    @Test
    void aRequestThatNeverReturnsHoldsTheUnloadOnlyForTheBoundedWait() throws Exception {
        blockedUnload(false);
    }

    /** The stuck request holds what the protocol's abort needs: the abort blocks too, the unload does not. */
    @Test
    void anAbortThatBlocksBehindTheStuckRequestDoesNotHoldTheUnloadEither() throws Exception {
        blockedUnload(true);
    }

    /** A destroy that never returns holds neither the unload nor the stack: counted, logged with the thread. */
    @Test
    void aDestroyThatNeverReturnsHoldsTheUnloadOnlyForTheBoundedWait() throws Exception {
        assertThat(load().accepted()).isTrue();
        stack.stack().sysctl().find("net.protosw.unload_wait_ms").set(300);
        CountDownLatch never = new CountDownLatch(1);
        bad.destroyBlocks = never;
        try {
            long t0 = System.nanoTime();
            stack.unregister(bad);
            long tookMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
            assertThat(bad.destroys.get()).as("destroy was called").isEqualTo(1);
            assertThat(tookMs).as("the unload waited for the bound, not for destroy").isBetween(250L, 5_000L);
            assertThat(registry().entry("tbad")).as("the protocol is gone from the switch").isNull();
            assertErrno(Errno.EPROTONOSUPPORT, this::badSocket);
            goodStillWorks("while a destroy is stuck");
            assertThat(errorsNaming("did not return within 300 ms")).singleElement().asString().contains(BUNDLE)
                    .contains("protosw destroy (tbad in vnet default)").contains("net.protosw.unload_wait_ms");
            // the protocol can be loaded again: nothing of the stuck instance is in the way
            bad.destroyBlocks = null;
            assertThat(load().accepted()).isTrue();
            Socket s = badSocket();
            s.close();
        } finally {
            never.countDown();
        }
    }

    private void blockedUnload(boolean abortBlocks) throws Exception {
        bad.abortBlocks = abortBlocks;
        assertThat(load().accepted()).isTrue();
        stack.stack().sysctl().find("net.protosw.unload_wait_ms").set(300);
        CountDownLatch release = new CountDownLatch(1);
        bad.block = release;
        Socket s = badSocket();
        Thread stuck = Thread.ofPlatform().name("stuck-in-tbad").start(() -> {
            try {
                s.setOption(SockOpt.of(TestDgramProto.LEVEL, 1, "TEST_OPT", Integer.class), 1);
            } catch (SocketException e) {
                // released: what it answers after an abort does not matter here
            }
        });
        try {
            waitUntil("the caller inside the protocol", () -> bad.blocked.get() == 1);
            long t0 = System.nanoTime();
            stack.unregister(bad);
            long tookMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
            assertThat(tookMs).as("the unload waited for the bound, not for the call").isBetween(250L, 5_000L);
            assertErrno(Errno.EPROTONOSUPPORT, this::badSocket);
            goodStillWorks("while a thread is stuck in another protocol");

            // net:diag's lines: the socket and the thread still inside
            List<Lingering> left = registry().lingering();
            assertThat(left).hasSize(1);
            assertThat(left.get(0).lines()).singleElement().asString().contains(((SocketImpl) s).describe())
                    .contains("thread \"stuck-in-tbad\"").contains("tbad from " + BUNDLE).contains("net.protosw.unload_wait_ms");
            // the log said so once, naming the socket, the thread and the bundle
            assertThat(errorsNaming("did not leave")).singleElement().asString().contains(BUNDLE)
                    .contains(((SocketImpl) s).describe()).contains("stuck-in-tbad").contains("300 ms")
                    .satisfies(l -> assertThat(l.contains("abort had not returned")).isEqualTo(abortBlocks));
            assertThat(bad.destroys.get()).as("not destroyed under a thread still inside").isZero();
            assertThat(bad.detaches.get()).isZero();
        } finally {
            release.countDown();
            stuck.join(10_000);
        }
        assertThat(stuck.isAlive()).isFalse();
        // the thread left: the socket is detached and the protocol instance destroyed, late
        waitUntil("the late teardown", () -> bad.destroys.get() == 1);
        assertThat(bad.detaches.get()).isEqualTo(1);
        assertThat(registry().lingering()).isEmpty();
        assertThat(s.isClosed()).isTrue();
        s.close();
        goodStillWorks("after the late teardown");
    }
}
