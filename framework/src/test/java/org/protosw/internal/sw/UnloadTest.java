package org.protosw.internal.sw;

import static org.assertj.core.api.Assertions.assertThat;
import static org.protosw.internal.socket.Errnos.assertErrno;
import static org.protosw.internal.socket.Errnos.buf;

import java.lang.ref.WeakReference;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.protosw.internal.socket.SocketImpl;
import org.protosw.internal.socket.TestDgramProto;
import org.protosw.internal.socket.TestNet;
import org.protosw.internal.socket.TestStreamProto;
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

/** DESIGN.md, socket lifecycle point 4 (unload), draining, and vnet removal. */
class UnloadTest {
    private final TestNet net = new TestNet(new ProtoSwRegistry(Duration.ofSeconds(5)), "default");
    private final ProtoSwRegistry reg = net.registry;
    private final ExecutorService pool = Executors.newCachedThreadPool();
    private final List<Socket> open = new ArrayList<>();

    @AfterEach
    void tearDown() throws InterruptedException {
        open.forEach(Socket::close);
        pool.shutdownNow();
        assertThat(pool.awaitTermination(5, TimeUnit.SECONDS)).isTrue();
        net.close();
    }

    private Socket keep(Socket s) {
        open.add(s);
        return s;
    }

    private static void waitInFlight(Socket s) {
        while (((SocketImpl) s).threadsInFlight().isEmpty()) {
            Thread.onSpinWait();
        }
    }

    @Test
    void unloadAbortsBlockedCallersThenDetachesThenDestroys() throws Exception {
        TestDgramProto udp = net.dgramProto();
        TestStreamProto tcp = net.streamProto();
        Socket reader = keep(net.dgram());
        reader.bind(InetSockAddr.of("127.0.0.1", 0));
        Socket idle = keep(net.dgram());
        // a blocked sender: a stream whose peer reads nothing
        Socket l = keep(net.stream());
        l.listen(5);
        Socket c = keep(net.stream());
        c.connect(l.localAddress());
        Socket s = keep(l.accept());
        Socket queued = keep(net.stream());
        queued.connect(l.localAddress());

        Future<String> blockedRecv = pool.submit(() -> {
            ByteBuffer b = ByteBuffer.allocate(32);
            int n = reader.recv(b);
            return new String(b.array(), 0, n);
        });
        Future<?> blockedSend = pool.submit(() -> {
            assertErrno(Errno.ECONNABORTED, () -> c.send(ByteBuffer.allocate(100_000)));
            return null;
        });
        waitInFlight(reader);
        // 100 000 bytes do not fit in 16 384 bytes of buffers: the sender blocks
        waitInFlight(c);

        reg.unregister(tcp);
        blockedSend.get(5, TimeUnit.SECONDS);
        // every pcb of the stream protocol (listener, both ends, the queued connection) is gone
        assertThat(tcp.ledger.violations()).isEmpty();
        assertThat(tcp.ledger.attaches.get()).isEqualTo(5);
        assertThat(tcp.ledger.detaches.get()).isEqualTo(5);
        assertThat(tcp.ledger.aborts.get()).isEqualTo(5);
        assertThat(tcp.ledger.destroys.get()).isEqualTo(1);
        assertThat(net.vnet.contextsOf("tstream")).singleElement().satisfies(ctx -> assertThat(ctx.closed.get()).isEqualTo(1));
        // DESIGN.md: new sockets of an unloaded protocol get EPROTONOSUPPORT, also when it
        // was the only stream protocol (the domain had the type; nothing serves it now)
        assertErrno(Errno.EPROTONOSUPPORT, net::stream);
        assertErrno(Errno.ECONNABORTED, () -> s.recv(ByteBuffer.allocate(4)));
        assertErrno(Errno.ECONNABORTED, () -> c.getOption(SockOpt.SO_TYPE));
        assertThat(c.isClosed()).isTrue();

        // the datagram protocol's blocked reader never noticed
        assertThat(blockedRecv.isDone()).isFalse();
        idle.sendto(buf("still here"), 0, reader.localAddress());
        assertThat(blockedRecv.get(5, TimeUnit.SECONDS)).isEqualTo("still here");

        Future<?> blockedAgain = pool.submit(() -> {
            ByteBuffer b = ByteBuffer.allocate(8);
            for (;;) {
                try {
                    reader.recv(b.clear());
                } catch (SocketException e) {
                    assertThat(e.errno()).isEqualTo(Errno.ECONNABORTED);
                    return null;
                }
            }
        });
        waitInFlight(reader);
        reg.unregister(udp);
        blockedAgain.get(5, TimeUnit.SECONDS);
        assertThat(udp.ledger.violations()).isEmpty();
        assertThat(udp.ledger.detaches.get()).isEqualTo(udp.ledger.attaches.get());
        assertThat(udp.ledger.closes.get()).isZero();
        assertThat(udp.ledger.destroys.get()).isEqualTo(1);
        assertErrno(Errno.EAFNOSUPPORT, net::dgram);
        assertThat(net.layer.socketCount()).isZero();
        assertThat(reg.list()).isEmpty();
        // closing an aborted socket is quiet and reaches no pcb
        reader.close();
        assertThat(udp.ledger.closes.get()).isZero();
    }

    @Test
    void aCallThatDoesNotLeaveIsLoggedAndDetachedWhenItLeaves() throws Exception {
        reg.setUnloadTimeout(Duration.ofMillis(200));
        TestDgramProto udp = net.dgramProto();
        Socket stuck = keep(net.dgram());
        Socket other = keep(net.dgram());
        ListAppender<ILoggingEvent> log = new ListAppender<>();
        log.start();
        Logger logger = (Logger) LoggerFactory.getLogger(ProtoSwRegistry.class);
        logger.addAppender(log);
        CountDownLatch stall = new CountDownLatch(1);
        udp.stall = stall;
        try {
            Future<?> caller = pool.submit(() -> {
                Thread.currentThread().setName("stuck-caller");
                stuck.setOption(TestDgramProto.TEST_OPT, 1);
                return null;
            });
            waitInFlight(stuck);
            CompletableFuture<Void> unload = CompletableFuture.runAsync(() -> reg.unregister(udp), pool);
            while (reg.list().isEmpty() || reg.list().get(0).state() != ProtoState.UNLOADING) {
                Thread.onSpinWait();
            }
            // while it unloads, no new socket
            assertErrno(Errno.EPROTONOSUPPORT, net::dgram);
            unload.get(5, TimeUnit.SECONDS);
            assertThat(log.list).filteredOn(e -> e.getLevel() == Level.ERROR).singleElement()
                    .extracting(ILoggingEvent::getFormattedMessage).asString()
                    .contains(((SocketImpl) stuck).describe()).contains("stuck-caller").contains("setOption");
            assertThat(other.isClosed()).isTrue();
            assertThat(udp.ledger.detaches.get()).as("the idle socket is detached").isEqualTo(1);
            assertThat(udp.ledger.destroys.get()).as("not while a call is in flight").isZero();
            assertThat(net.vnet.contextsOf("tudp").get(0).closed.get()).isZero();

            stall.countDown();
            caller.get(5, TimeUnit.SECONDS);
            assertThat(udp.ledger.detaches.get()).isEqualTo(2);
            assertThat(udp.ledger.destroys.get()).isEqualTo(1);
            assertThat(net.vnet.contextsOf("tudp").get(0).closed.get()).isEqualTo(1);
            assertThat(udp.ledger.violations()).isEmpty();
            assertThat(net.layer.socketCount()).isZero();
        } finally {
            stall.countDown();
            logger.detachAppender(log);
        }
    }

    @Test
    void drainRefusesNewSocketsAndReportsWhenTheLastCloses() throws Exception {
        TestDgramProto udp = net.dgramProto();
        Socket a = keep(net.dgram());
        a.bind(InetSockAddr.of("127.0.0.1", 0));
        Socket b = keep(net.dgram());
        assertErrno(Errno.ENOENT, () -> reg.drain("nope"));
        assertErrno(Errno.EINVAL, () -> reg.undrain("tudp"));

        CompletableFuture<Void> drained = reg.drain("tudp");
        assertThat(reg.list().get(0).state()).isEqualTo(ProtoState.DRAINING);
        assertErrno(Errno.EPROTONOSUPPORT, net::dgram);
        // existing sockets keep working
        b.sendto(buf("still served"), 0, a.localAddress());
        assertThat(a.recv(ByteBuffer.allocate(32))).isEqualTo(12);
        a.close();
        assertThat(drained).isNotDone();
        assertThat(reg.list().get(0).drained()).isFalse();
        b.close();
        assertThat(drained).isCompleted();
        assertThat(reg.list().get(0).drained()).isTrue();
        assertThat(reg.list().get(0).state()).isEqualTo(ProtoState.DRAINING);
        assertThat(reg.drain("tudp")).as("draining again: already drained").isCompleted();

        reg.undrain("tudp");
        assertThat(reg.list().get(0).state()).isEqualTo(ProtoState.ACTIVE);
        keep(net.dgram());
        assertThat(udp.ledger.violations()).isEmpty();
    }

    @Test
    void undrainCancelsAPendingDrain() throws Exception {
        net.dgramProto();
        keep(net.dgram());
        CompletableFuture<Void> drained = reg.drain("tudp");
        reg.undrain("tudp");
        assertThat(drained).isCancelled();
    }

    @Test
    void aDrainingListenerStillAcceptsConnections() throws Exception {
        TestStreamProto tcp = net.streamProto();
        Socket l = keep(net.stream());
        l.listen(5);
        Socket c = keep(net.stream());
        reg.drain("tstream");
        assertErrno(Errno.EPROTONOSUPPORT, net::stream);
        c.connect(l.localAddress());
        keep(l.accept()).send(buf("x"));
        assertThat(tcp.ledger.attaches.get()).isEqualTo(3);
    }

    @Test
    void removingAVnetAbortsItsSocketsAndDestroysItsProtocolInstances() throws Exception {
        TestDgramProto udp = net.dgramProto();
        TestNet other = new TestNet(reg, "b");
        Socket there = other.dgram();
        there.bind(InetSockAddr.of("127.0.0.1", 0));
        Socket here = keep(net.dgram());
        Future<?> blocked = pool.submit(() -> {
            assertErrno(Errno.ECONNABORTED, () -> there.recv(ByteBuffer.allocate(8)));
            return null;
        });
        waitInFlight(there);
        reg.removeVnet("b");
        blocked.get(5, TimeUnit.SECONDS);
        assertThat(udp.ledger.destroys.get()).isEqualTo(1);
        assertThat(other.vnet.contextsOf("tudp").get(0).closed.get()).isEqualTo(1);
        assertThat(reg.entry("tudp").instance("b")).isNull();
        assertErrno(Errno.EPROTONOSUPPORT, other::dgram);
        // the default instance is untouched
        here.bind(InetSockAddr.of("127.0.0.1", 0));
        here.sendto(buf("x"), 0, here.localAddress());
        assertThat(here.recv(ByteBuffer.allocate(8))).isEqualTo(1);
        there.close();
        assertThat(udp.ledger.violations()).isEmpty();
    }

    @Test
    void afterUnregisterNothingOfTheServiceIsReachable() throws Exception {
        WeakReference<?>[] refs = registerUseAndUnregister();
        for (int i = 0; i < 50 && (refs[0].get() != null || refs[1].get() != null || refs[2].get() != null); i++) {
            System.gc();
            Thread.sleep(10);
        }
        assertThat(refs[0].get()).as("the ProtoSw").isNull();
        assertThat(refs[1].get()).as("its Protocol").isNull();
        assertThat(refs[2].get()).as("a pcb").isNull();
    }

    private WeakReference<?>[] registerUseAndUnregister() throws Exception {
        TestDgramProto udp = net.dgramProto();
        Socket s = net.dgram();
        s.bind(InetSockAddr.of("127.0.0.1", 0));
        s.sendto(buf("x"), 0, s.localAddress());
        Socket kept = net.dgram();
        WeakReference<?> pcb = new WeakReference<>(pcbOf(s));
        s.close();
        reg.unregister(udp);
        kept.close();
        WeakReference<?>[] refs = {new WeakReference<>(udp), new WeakReference<>(udp.instances.get(0)), pcb};
        udp.instances.clear();
        return refs;
    }

    private static Object pcbOf(Socket s) throws ReflectiveOperationException {
        var f = SocketImpl.class.getDeclaredField("pcb");
        f.setAccessible(true);
        return f.get(s);
    }
}
