package org.protosw.ib.demo.itest;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;
import static org.protosw.socket.SocketConstants.AF_IB;
import static org.protosw.socket.SocketConstants.AF_INET;
import static org.protosw.socket.SocketConstants.SOCK_DGRAM;
import static org.protosw.socket.SocketConstants.SOCK_SEQPACKET;
import static org.protosw.socket.SocketConstants.SOCK_STREAM;

import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import javax.inject.Inject;

import org.junit.Test;
import org.junit.runner.RunWith;
import org.ops4j.pax.exam.Configuration;
import org.ops4j.pax.exam.Option;
import org.ops4j.pax.exam.junit.PaxExam;
import org.ops4j.pax.exam.spi.reactors.ExamReactorStrategy;
import org.ops4j.pax.exam.spi.reactors.PerClass;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.BundleEvent;
import org.osgi.framework.BundleListener;
import org.osgi.framework.Constants;
import org.osgi.framework.ServiceReference;
import org.protosw.socket.Errno;
import org.protosw.socket.InetSockAddr;
import org.protosw.socket.NetStack;
import org.protosw.socket.Socket;
import org.protosw.socket.SocketException;
import org.protosw.testkit.Await;
import org.protosw.testkit.Lab;
import org.protosw.testkit.ProtoswOptions;
import org.protosw.testkit.StackLog;

/**
 * The real UDP and IB bundles in Felix: UDP stopped in the middle of an IB transfer between
 * two vnets across an epair. The IB sockets are aborted first (their users see ECONNABORTED),
 * then UDP's own (an application's UDP socket, and the RoCEv2 port the IB domain opened in
 * each vnet): the order is what the core recorded, line by line, and what the IB domain
 * recorded when its port went (no QP was left under it). Started again, UDP serves, and new
 * IB connections carry data intact, while the IB bundle saw no event and kept its services.
 */
@RunWith(PaxExam.class)
@ExamReactorStrategy(PerClass.class)
public class IbUdpStopIT {
    private static final String DEFAULT = NetStack.DEFAULT_VNET;
    private static final int MAX_RECORD = 64 * 1024;

    @Inject
    private BundleContext bundleContext;

    @Configuration
    public Option[] configuration() {
        return ProtoswOptions.stack().protocols("org.protosw.udp").bundleUnderTest().build();
    }

    @Test
    public void stoppingUdpMidTransferAbortsIbFirstThenUdpAndIbWorksAgainWhenUdpIsBack() throws Exception {
        ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor();
        try (Lab lab = new Lab(bundleContext)) {
            NetStack a = lab.stack(DEFAULT);
            NetStack b = lab.vnet("b");
            lab.epair(DEFAULT, "192.0.2.1/24", "b", "192.0.2.2/24");
            for (String v : List.of(DEFAULT, "b")) {
                lab.awaitServed(v, AF_IB, SOCK_SEQPACKET, 0);
                lab.awaitServed(v, AF_IB, SOCK_STREAM, 0);
            }
            Bundle udp = lab.requireBundle("org.protosw.udp");
            Bundle ib = lab.requireBundle("org.protosw.ib.demo");
            Set<Long> ibServices = serviceIds(ib);
            List<String> ibEvents = new ArrayList<>();
            BundleListener watch = e -> {
                if (e.getBundle().getBundleId() == ib.getBundleId()) {
                    synchronized (ibEvents) {
                        ibEvents.add(type(e));
                    }
                }
            };
            bundleContext.addBundleListener(watch);

            Socket[] rc = IbTraffic.connect(pool, a, b, "192.0.2.2", SOCK_SEQPACKET, 0x1000);
            Socket[] sdp = IbTraffic.connect(pool, a, b, "192.0.2.2", SOCK_STREAM, 0x1001);
            Socket app = b.socket(AF_INET, SOCK_DGRAM, 0);
            app.bind(InetSockAddr.of("192.0.2.2", 9000));
            Thread appReader = Thread.ofPlatform().name("udp-app-reader").start(() -> {
                try {
                    app.recv(ByteBuffer.allocate(64));
                } catch (SocketException e) {
                    // what it saw is asked of the socket below
                }
            });
            AtomicLong rcSent = new AtomicLong(), rcRcvd = new AtomicLong(), sdpSent = new AtomicLong(), sdpRcvd = new AtomicLong();
            Future<?> rcTx = pool.submit(() -> IbTraffic.send(rc[0], -1, 1, MAX_RECORD, rcSent));
            Future<?> rcRx = pool.submit(() -> IbTraffic.receive(rc[1], -1, rcRcvd));
            Future<?> sdpTx = pool.submit(() -> IbTraffic.send(sdp[0], -1, 2, MAX_RECORD, sdpSent));
            Future<?> sdpRx = pool.submit(() -> IbTraffic.receive(sdp[1], -1, sdpRcvd));
            Await.until("1 MiB through each IB connection", Duration.ofSeconds(60),
                    () -> rcRcvd.get() >= (1 << 20) && sdpRcvd.get() >= (1 << 20));
            awaitParkedInRecv(appReader);

            StackLog log = StackLog.mark();
            udp.stop();

            // every user of the four IB sockets learns it the same way, mid-transfer
            for (Future<?> f : List.of(rcTx, rcRx, sdpTx, sdpRx)) {
                assertEquals(Errno.ECONNABORTED, errnoOf(f));
            }
            appReader.join(30_000);
            assertEquals("the application's UDP socket", Errno.ECONNABORTED, errnoOf(() -> app.recv(ByteBuffer.allocate(1))));

            // the order, as the core recorded it: each IB entry's sockets, then UDP's own
            int rcAborted = log.indexOf("udp unload: aborting", "of ib-rc, which runs on udp");
            int sdpAborted = log.indexOf("udp unload: aborting", "of ib-sdp, which runs on udp");
            int udpAborted = log.indexOf("protocol udp from", "unloading: aborting");
            String lines = String.join("\n", log.lines());
            assertTrue("the core's line for the ib-rc sockets:\n" + lines, rcAborted >= 0);
            assertTrue("the core's line for the ib-sdp sockets:\n" + lines, sdpAborted >= 0);
            assertTrue("the core's line for UDP's own sockets:\n" + lines, udpAborted >= 0);
            assertTrue("IB's sockets aborted before UDP's own:\n" + lines, rcAborted < udpAborted && sdpAborted < udpAborted);
            // and as the IB domain saw it: when UDP aborted its port, no queue pair was left on it
            for (String v : List.of(DEFAULT, "b")) {
                String stats = lab.shell().run("ib:stats -j " + v);
                assertTrue(stats, stats.contains("(RoCEv2 port udp 4791 closed)"));
                assertTrue(stats, stats.contains("\n    1 times port 4791 was aborted (UDP left)\n"));
                assertTrue(stats, stats.contains("\n    0 port aborts while QPs were still up"));
            }
            // while UDP is away an IB connection cannot start
            try (Socket s = a.socket(AF_IB, SOCK_SEQPACKET, 0)) {
                assertEquals(Errno.ENETDOWN, errnoOf(() -> s.connect(a.parseAddress(AF_IB, "[::ffff:192.0.2.2]:4096"))));
            }
            for (Socket s : List.of(rc[0], rc[1], sdp[0], sdp[1], app)) {
                s.close();
            }

            udp.start();
            for (String v : List.of(DEFAULT, "b")) {
                lab.awaitServed(v, AF_INET, SOCK_DGRAM, 0);
            }
            for (int type : new int[] {SOCK_SEQPACKET, SOCK_STREAM}) {
                Socket[] c = IbTraffic.connect(pool, a, b, "192.0.2.2", type, type == SOCK_SEQPACKET ? 0x1002 : 0x1003);
                long total = 8L << 20;
                Future<IbTraffic.Digest> rx = pool.submit(() -> IbTraffic.receive(c[1], total, new AtomicLong()));
                IbTraffic.Digest sent = IbTraffic.send(c[0], total, 7 + type, MAX_RECORD, new AtomicLong());
                IbTraffic.Digest got = rx.get(120, TimeUnit.SECONDS);
                assertEquals("bytes", sent.bytes(), got.bytes());
                assertEquals("SHA-256 of what arrived", sent.sha256(), got.sha256());
                if (type == SOCK_SEQPACKET) {
                    assertEquals("records (one recv each)", sent.records(), got.records());
                }
                c[0].close();
                c[1].close();
            }

            bundleContext.removeBundleListener(watch);
            assertEquals("the IB bundle was not touched", Bundle.ACTIVE, ib.getState());
            synchronized (ibEvents) {
                assertEquals("bundle events of the IB bundle", List.of(), ibEvents);
            }
            assertEquals("the IB bundle's services, registered once", ibServices, serviceIds(ib));
        } finally {
            pool.shutdownNow();
        }
    }

    private static Set<Long> serviceIds(Bundle bundle) {
        Set<Long> ids = new TreeSet<>();
        ServiceReference<?>[] refs = bundle.getRegisteredServices();
        for (ServiceReference<?> r : refs == null ? new ServiceReference<?>[0] : refs) {
            ids.add((Long) r.getProperty(Constants.SERVICE_ID));
        }
        return ids;
    }

    private static String type(BundleEvent e) {
        return switch (e.getType()) {
            case BundleEvent.STOPPING -> "STOPPING";
            case BundleEvent.STOPPED -> "STOPPED";
            case BundleEvent.STARTING -> "STARTING";
            case BundleEvent.STARTED -> "STARTED";
            case BundleEvent.UNRESOLVED -> "UNRESOLVED";
            case BundleEvent.RESOLVED -> "RESOLVED";
            case BundleEvent.UPDATED -> "UPDATED";
            case BundleEvent.UNINSTALLED -> "UNINSTALLED";
            default -> "event " + e.getType();
        };
    }

    /** Waits until {@code t} is parked inside a socket's recv (its stack says so), not merely started. */
    static void awaitParkedInRecv(Thread t) {
        Await.until(t.getName() + " parked in recv", Duration.ofSeconds(30), () -> {
            Thread.State s = t.getState();
            if (s != Thread.State.WAITING && s != Thread.State.TIMED_WAITING) {
                return false;
            }
            for (StackTraceElement e : t.getStackTrace()) {
                if (e.getMethodName().equals("recv") && e.getClassName().startsWith("org.protosw.internal")) {
                    return true;
                }
            }
            return false;
        });
    }

    interface Call {
        void run() throws Exception;
    }

    static Errno errnoOf(Call c) throws Exception {
        try {
            c.run();
        } catch (SocketException e) {
            return e.errno();
        }
        throw new AssertionError("no error");
    }

    static Errno errnoOf(Future<?> f) throws Exception {
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
}
