package org.protosw.ib.demo.itest;

import static org.junit.Assert.assertEquals;
import static org.protosw.socket.SocketConstants.AF_IB;
import static org.protosw.socket.SocketConstants.AF_INET;
import static org.protosw.socket.SocketConstants.SOCK_DGRAM;
import static org.protosw.socket.SocketConstants.SOCK_SEQPACKET;
import static org.protosw.socket.SocketConstants.SOCK_STREAM;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
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
import org.protosw.socket.Errno;
import org.protosw.socket.InetSockAddr;
import org.protosw.socket.NetStack;
import org.protosw.socket.Socket;
import org.protosw.testkit.Footprint;
import org.protosw.testkit.Lab;
import org.protosw.testkit.ProtoswOptions;

/**
 * Uninstalling the IB bundle after it carried traffic, with connections and a listener still
 * open: their users see ECONNABORTED, and once the framework is refreshed the bundle left
 * nothing behind (the kit's Footprint: no service, switch entry, domain, socket, in-stack UDP
 * port or thread of it, and its class loader is collected). UDP, which it ran on, still works.
 */
@RunWith(PaxExam.class)
@ExamReactorStrategy(PerClass.class)
public class IbUninstallIT {
    private static final String DEFAULT = NetStack.DEFAULT_VNET;

    @Inject
    private BundleContext bundleContext;

    @Configuration
    public Option[] configuration() {
        return ProtoswOptions.stack().protocols("org.protosw.udp").bundleUnderTest().build();
    }

    @Test
    public void uninstallingIbLeavesNothingBehindAndItsClassLoaderIsCollected() throws Exception {
        ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor();
        try (Lab lab = new Lab(bundleContext)) {
            NetStack a = lab.stack(DEFAULT);
            NetStack b = lab.vnet("b");
            lab.epair(DEFAULT, "192.0.2.1/24", "b", "192.0.2.2/24");
            for (String v : List.of(DEFAULT, "b")) {
                lab.awaitServed(v, AF_IB, SOCK_SEQPACKET, 0);
                lab.awaitServed(v, AF_IB, SOCK_STREAM, 0);
            }
            // the sockets the test holds while the bundle goes: dropped before the loader is looked at
            List<Socket> open = new ArrayList<>();
            for (int type : new int[] {SOCK_SEQPACKET, SOCK_STREAM}) {
                Socket[] c = IbTraffic.connect(pool, a, b, "192.0.2.2", type, type == SOCK_SEQPACKET ? 0x2000 : 0x2001);
                long total = 4L << 20;
                Future<IbTraffic.Digest> rx = pool.submit(() -> IbTraffic.receive(c[1], total, new AtomicLong()));
                IbTraffic.Digest sent = IbTraffic.send(c[0], total, 3 + type, 64 * 1024, new AtomicLong());
                assertEquals("SHA-256 before the uninstall", sent.sha256(), rx.get(120, TimeUnit.SECONDS).sha256());
                open.add(c[0]);
                open.add(c[1]);
            }
            open.add(IbTraffic.listener(b, SOCK_SEQPACKET, 0x2002));

            Bundle ib = lab.requireBundle("org.protosw.ib.demo");
            Footprint footprint = Footprint.of(lab, ib);
            assertEquals(Set.of("ib-rc", "ib-sdp"), footprint.protocols());
            assertEquals(Set.of("ib"), footprint.domains());
            footprint.uninstall(ib);

            for (Socket s : open) {
                assertEquals(Errno.ECONNABORTED, IbUdpStopIT.errnoOf(() -> s.send(ByteBuffer.allocate(1))));
                s.close();
            }
            // an application closes what failed and lets it go: its sockets were its last link
            open.clear();
            pool.shutdownNow();
            assertEquals(true, pool.awaitTermination(30, TimeUnit.SECONDS));
            try {
                a.socket(AF_IB, SOCK_SEQPACKET, 0).close();
                throw new AssertionError("an AF_IB socket was made after the IB bundle left");
            } catch (org.protosw.socket.SocketException e) {
                // as documented for a protocol that was unloaded (the core has seen the family)
                assertEquals(Errno.EPROTONOSUPPORT, e.errno());
            }
            footprint.assertGone();

            // what it ran on is undisturbed: UDP across the same epair
            try (Socket rx = b.socket(AF_INET, SOCK_DGRAM, 0); Socket tx = a.socket(AF_INET, SOCK_DGRAM, 0)) {
                rx.bind(InetSockAddr.of("192.0.2.2", 9001));
                tx.connect(rx.localAddress());
                tx.send(ByteBuffer.wrap("still there".getBytes(StandardCharsets.US_ASCII)));
                ByteBuffer in = ByteBuffer.allocate(64);
                int n = rx.recv(in);
                assertEquals("still there", new String(in.array(), 0, n, StandardCharsets.US_ASCII));
            }
        } finally {
            pool.shutdownNow();
        }
    }
}
