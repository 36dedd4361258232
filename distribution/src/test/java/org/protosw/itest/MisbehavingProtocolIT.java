package org.protosw.itest;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;
import static org.junit.Assert.fail;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.Dictionary;
import java.util.Hashtable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import org.apache.felix.service.command.CommandProcessor;
import org.junit.Test;
import org.junit.runner.RunWith;
import org.ops4j.pax.exam.junit.PaxExam;
import org.ops4j.pax.exam.spi.reactors.ExamReactorStrategy;
import org.ops4j.pax.exam.spi.reactors.PerMethod;
import org.osgi.framework.ServiceRegistration;
import org.protosw.socket.Errno;
import org.protosw.socket.InetSockAddr;
import org.protosw.socket.NetStack;
import org.protosw.socket.SockAddr;
import org.protosw.socket.SockOpt;
import org.protosw.socket.Socket;
import org.protosw.socket.SocketConstants;
import org.protosw.socket.SocketException;
import org.protosw.spi.Pcb;
import org.protosw.spi.ProtoSw;
import org.protosw.spi.ProtoSwEntry;
import org.protosw.spi.Protocol;

/**
 * Issue 13 in the real runtime: this test's bundle serves a protocol whose requests throw and
 * whose setsockopt never returns. Its callers get EIO, the log and net:diag name the bundle,
 * UDP never notices, and taking the service away (what stopping the bundle does) ends within
 * net.protosw.unload_wait_ms with net:diag naming the socket and the thread still inside.
 */
@RunWith(PaxExam.class)
@ExamReactorStrategy(PerMethod.class)
public class MisbehavingProtocolIT extends ProtoswTestSupport {
    private static final int PROTO = 254;
    private static final SockOpt<Integer> OPT = SockOpt.of(254, 1, "MISBEHAVE_OPT", Integer.class);

    /** Throws from bind, blocks in setsockopt until {@link #release}. */
    static final class Misbehaving implements ProtoSw {
        final CountDownLatch release = new CountDownLatch(1);
        final AtomicInteger inside = new AtomicInteger();

        @Override
        public Protocol init(org.protosw.spi.ProtoContext ctx) {
            return so -> new Pcb() {
                @Override
                public void bind(SockAddr addr) {
                    throw new IllegalStateException("misbehaving bind");
                }

                @Override
                public <T> void setOption(SockOpt<T> option, T value) throws SocketException {
                    inside.incrementAndGet();
                    try {
                        release.await();
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                    throw new SocketException(Errno.ENOPROTOOPT, "released");
                }

                @Override
                public void detach() {
                }
            };
        }
    }

    private static void udpStillWorks(NetStack stack, String text) throws Exception {
        try (Socket a = stack.socket(SocketConstants.AF_INET, SocketConstants.SOCK_DGRAM, 0);
                Socket b = stack.socket(SocketConstants.AF_INET, SocketConstants.SOCK_DGRAM, 0)) {
            b.bind(InetSockAddr.of("127.0.0.1", 0));
            a.sendto(ByteBuffer.wrap(text.getBytes(StandardCharsets.UTF_8)), 0, b.localAddress());
            ByteBuffer got = ByteBuffer.allocate(64);
            int n = b.recv(got);
            assertEquals(text, new String(got.array(), 0, n, StandardCharsets.UTF_8));
        }
    }

    @Test
    public void theStackSurvivesAndTheProtocolCanStillBeTakenAway() throws Exception {
        NetStack stack = service(NetStack.class, TIMEOUT);
        GogoShell sh = new GogoShell(service(CommandProcessor.class, TIMEOUT));
        sh.run("net:sysctl net.protosw.unload_wait_ms=300");
        String bsn = bundleContext.getBundle().getSymbolicName();
        Dictionary<String, Object> props = new Hashtable<>();
        props.put(ProtoSwEntry.DOMAIN, SocketConstants.AF_INET);
        props.put(ProtoSwEntry.TYPE, SocketConstants.SOCK_DGRAM);
        props.put(ProtoSwEntry.PROTOCOL, PROTO);
        props.put(ProtoSwEntry.NAME, "misbehave");
        Misbehaving sw = new Misbehaving();
        ServiceRegistration<ProtoSw> reg = bundleContext.registerService(ProtoSw.class, sw, props);
        Thread stuck = null;
        try {
            waitFor("misbehave registered", TIMEOUT, () -> {
                try {
                    return sh.run("net:protocols").contains("misbehave");
                } catch (Exception e) {
                    return false;
                }
            });
            Socket s = stack.socket(SocketConstants.AF_INET, SocketConstants.SOCK_DGRAM, PROTO);
            try {
                s.bind(InetSockAddr.of("127.0.0.1", 0));
                fail("bind through a throwing protocol succeeded");
            } catch (SocketException e) {
                assertEquals(Errno.EIO, e.errno());
            }
            udpStillWorks(stack, "udp does not notice");
            String diag = sh.run("net:diag");
            assertTrue(diag, diag.lines().anyMatch(l -> l.startsWith("faults: misbehave") && l.contains(bsn) && l.contains("requests 1")));
            String log = Files.readString(logFile(), StandardCharsets.UTF_8);
            assertTrue("no log line names the bundle and the failed request",
                    log.lines().anyMatch(l -> l.contains("protocol misbehave from " + bsn) && l.contains("failed in bind")));

            stuck = new Thread(() -> {
                try {
                    s.setOption(OPT, 1);
                } catch (SocketException e) {
                    // released after the unload: whatever it answers
                }
            }, "stuck-in-misbehave");
            stuck.start();
            waitFor("a thread inside the protocol", TIMEOUT, () -> sw.inside.get() == 1);
            long t0 = System.nanoTime();
            reg.unregister();
            reg = null;
            long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
            assertTrue("the unload took " + ms + " ms", ms < 5_000);
            diag = sh.run("net:diag");
            assertTrue(diag, diag.lines().anyMatch(l -> l.startsWith("stuck: misbehave socket #") && l.contains("stuck-in-misbehave")
                    && l.contains(bsn)));
            udpStillWorks(stack, "udp does not notice the stuck thread either");
        } finally {
            sw.release.countDown();
            if (stuck != null) {
                stuck.join(10_000);
            }
            if (reg != null) {
                reg.unregister();
            }
        }
        assertFalse(stuck.isAlive());
        waitFor("the late teardown", TIMEOUT, () -> {
            try {
                return !sh.run("net:diag").contains("stuck:");
            } catch (Exception e) {
                return false;
            }
        });
    }
}
