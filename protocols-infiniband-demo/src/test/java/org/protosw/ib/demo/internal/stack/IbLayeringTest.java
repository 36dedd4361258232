package org.protosw.ib.demo.internal.stack;

import static org.assertj.core.api.Assertions.assertThat;
import static org.protosw.socket.SocketConstants.SOCK_SEQPACKET;
import static org.protosw.socket.SocketConstants.SOCK_STREAM;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.protosw.ib.demo.IbSockAddr;
import org.protosw.ib.demo.internal.verbs.IbStats.Counter;
import org.protosw.internal.kern.Vnet;
import org.protosw.internal.socket.SocketImpl;
import org.protosw.internal.sw.ProtoSwRegistry;
import org.protosw.socket.Errno;
import org.protosw.socket.Socket;
import org.protosw.socket.SocketException;
import org.protosw.spi.Protocol;
import org.slf4j.LoggerFactory;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;

/**
 * AF_IB runs on UDP: unloading UDP aborts the IB sockets first (their users see
 * ECONNABORTED), then UDP's own sockets, the RoCEv2 port among them; while UDP is away a new
 * connection cannot start (ENETDOWN); when UDP is back, new IB connections work without the
 * IB bundle being touched (the same protocol instances), and every pcb was detached exactly
 * once.
 */
class IbLayeringTest {
    private final IbLab lab;
    private final ListAppender<ILoggingEvent> log = new ListAppender<>();
    private final Logger registryLog = (Logger) LoggerFactory.getLogger(ProtoSwRegistry.class);

    IbLayeringTest() throws Exception {
        lab = new IbLab();
        log.start();
        registryLog.addAppender(log);
        // the registry's unload steps are INFO lines: seen here, not printed
        registryLog.setLevel(Level.INFO);
        registryLog.setAdditive(false);
    }

    @AfterEach
    void tearDown() {
        registryLog.detachAppender(log);
        registryLog.setLevel(null);
        registryLog.setAdditive(true);
        lab.close();
    }

    /** Waits until a caller is inside a call on {@code s} and parked there. */
    private static void awaitBlocked(Socket s) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (true) {
            List<Thread> in = ((SocketImpl) s).threadsInFlight();
            if (!in.isEmpty() && in.stream().allMatch(t -> t.getState() == Thread.State.WAITING || t.getState() == Thread.State.TIMED_WAITING)) {
                return;
            }
            if (System.nanoTime() > deadline) {
                throw new AssertionError("no caller parked in " + s + " (in flight: " + in + ")");
            }
            Thread.sleep(1);
        }
    }

    private static Errno errnoOf(Future<?> f) throws Exception {
        try {
            f.get(30, TimeUnit.SECONDS);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof SocketException se) {
                return se.errno();
            }
            throw e;
        }
        throw new AssertionError("the call returned");
    }

    private Protocol instance(String proto, Vnet v) {
        return lab.stack.core().registry().entry(proto).instance(v.name()).protocol();
    }

    private long protoStat(String proto, Vnet v, String key) {
        return lab.stack.core().registry().entry(proto).instance(v.name()).statistics().get(key);
    }

    private static void exchange(Socket from, Socket to, String text) throws SocketException {
        from.send(ByteBuffer.wrap(text.getBytes(StandardCharsets.US_ASCII)));
        ByteBuffer in = ByteBuffer.allocate(256);
        int n = to.recv(in);
        assertThat(new String(in.array(), 0, n, StandardCharsets.US_ASCII)).isEqualTo(text);
    }

    @Test
    void unloadingUdpAbortsIbFirstAndIbWorksAgainWhenUdpIsBack() throws Exception {
        Socket[] rc = lab.connect(SOCK_SEQPACKET, 0x4000);
        Socket[] sdp = lab.connect(SOCK_STREAM, 0x4001);
        exchange(rc[0], rc[1], "before");
        exchange(sdp[0], sdp[1], "before");
        Socket listener = IbLab.listener(lab.b, SOCK_SEQPACKET, 0x4002);
        Future<Integer> reader = lab.async(() -> rc[1].recv(ByteBuffer.allocate(64)));
        Future<Integer> streamReader = lab.async(() -> sdp[0].recv(ByteBuffer.allocate(64)));
        Future<Socket> acceptor = lab.async(listener::accept);
        awaitBlocked(rc[1]);
        awaitBlocked(sdp[0]);
        awaitBlocked(listener);
        Protocol rcA = instance("ib-rc", lab.a);
        Protocol sdpB = instance("ib-sdp", lab.b);

        lab.unloadUdp();
        assertThat(errnoOf(reader)).isEqualTo(Errno.ECONNABORTED);
        assertThat(errnoOf(streamReader)).isEqualTo(Errno.ECONNABORTED);
        assertThat(errnoOf(acceptor)).isEqualTo(Errno.ECONNABORTED);
        for (Vnet v : new Vnet[] {lab.a, lab.b}) {
            assertThat(lab.stat(v, Counter.PORT_ABORTS)).as("port aborts in " + v.name()).isEqualTo(1);
            // the IB sockets (and their QPs) were gone before UDP aborted the port under them
            assertThat(lab.stat(v, Counter.PORT_ABORTS_UNDER_QPS)).as("port aborted under live QPs in " + v.name()).isZero();
            assertThat(lab.ib(v).hca().qps()).isEmpty();
        }
        List<String> lines = log.list.stream().map(ILoggingEvent::getFormattedMessage).toList();
        int ibAborts = indexOf(lines, "aborting", "of ib-");
        int udpAborts = indexOf(lines, "protocol udp", "unloading: aborting");
        assertThat(ibAborts).as("the log line of the IB sockets' abort").isNotNegative();
        assertThat(ibAborts).as("IB sockets aborted before UDP's own: " + lines).isLessThan(udpAborts);
        // while UDP is away no connection can start
        try (Socket s = IbLab.socket(lab.a, SOCK_SEQPACKET)) {
            assertThat(errno(() -> s.connect(new IbSockAddr(IbLab.GID_B, 0x4002)))).isEqualTo(Errno.ENETDOWN);
        }
        for (Socket s : new Socket[] {rc[0], rc[1], sdp[0], sdp[1], listener}) {
            s.close();
        }

        lab.loadUdp();
        // b has no socket that needed its port since: the REQ meets a closed UDP port, and the
        // ICMP port unreachable refuses the attempt at once
        try (Socket s = IbLab.socket(lab.a, SOCK_SEQPACKET)) {
            assertThat(errno(() -> s.connect(new IbSockAddr(IbLab.GID_B, 0x4002)))).isEqualTo(Errno.ECONNREFUSED);
        }
        assertThat(lab.stat(lab.a, Counter.CM_UNREACHABLE)).isEqualTo(1);
        Socket[] again = lab.connect(SOCK_SEQPACKET, 0x4003);
        exchange(again[0], again[1], "after UDP came back");
        Socket[] againStream = lab.connect(SOCK_STREAM, 0x4004);
        exchange(againStream[0], againStream[1], "the stream too");
        assertThat(instance("ib-rc", lab.a)).as("the same ib-rc instance: the IB bundle was not touched").isSameAs(rcA);
        assertThat(instance("ib-sdp", lab.b)).isSameAs(sdpB);
        for (Socket s : new Socket[] {again[0], again[1], againStream[0], againStream[1]}) {
            s.close();
        }
        for (Vnet v : new Vnet[] {lab.a, lab.b}) {
            for (String proto : new String[] {"ib-rc", "ib-sdp"}) {
                String where = proto + " in " + v.name();
                org.protosw.ib.demo.Await.until("every " + where + " socket detached", java.time.Duration.ofSeconds(30),
                        () -> protoStat(proto, v, "sockets detached") == protoStat(proto, v, "sockets attached"));
                assertThat(protoStat(proto, v, "sockets detached twice (a bug)")).as(where).isZero();
            }
        }
        assertThat(protoStat("ib-rc", lab.a, "sockets aborted by the stack (ECONNABORTED)")).isEqualTo(1);
    }

    /**
     * As UdpUnloadIT asks of a real uninstall: once UDP left, nothing of it stays reachable,
     * although the IB domain had opened (and UDP aborted) an in-stack socket of it in each
     * vnet, and the IB bundle is still there. Its per-vnet protocol objects are collected.
     */
    @Test
    void nothingOfUdpStaysReachableAfterItLeft() throws Exception {
        Socket[] rc = lab.connect(SOCK_SEQPACKET, 0x4010);
        exchange(rc[0], rc[1], "use it");
        java.lang.ref.WeakReference<Protocol> udpA = new java.lang.ref.WeakReference<>(instance("udp", lab.a));
        java.lang.ref.WeakReference<Protocol> udpB = new java.lang.ref.WeakReference<>(instance("udp", lab.b));
        lab.unloadUdp();
        rc[0].close();
        rc[1].close();
        lab.forgetUdp();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        List<byte[]> pressure = new java.util.ArrayList<>();
        while ((udpA.get() != null || udpB.get() != null) && System.nanoTime() < deadline) {
            System.gc();
            pressure.add(new byte[1 << 20]);
            if (pressure.size() > 32) {
                pressure.clear();
            }
            Thread.sleep(50);
        }
        assertThat(udpA.get()).as("UDP's protocol object of vnet default, after UDP left").isNull();
        assertThat(udpB.get()).as("UDP's protocol object of vnet b, after UDP left").isNull();
    }

    private static int indexOf(List<String> lines, String a, String b) {
        for (int i = 0; i < lines.size(); i++) {
            if (lines.get(i).contains(a) && lines.get(i).contains(b)) {
                return i;
            }
        }
        return -1;
    }

    private interface Call {
        void run() throws Exception;
    }

    private static Errno errno(Call c) throws Exception {
        try {
            c.run();
        } catch (SocketException e) {
            return e.errno();
        }
        throw new AssertionError("no error");
    }
}
