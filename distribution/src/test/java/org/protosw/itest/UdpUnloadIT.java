package org.protosw.itest;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertNotNull;
import static org.junit.Assert.assertNull;
import static org.junit.Assert.assertTrue;
import static org.junit.Assert.fail;
import static org.protosw.socket.SocketConstants.AF_INET;
import static org.protosw.socket.SocketConstants.SOCK_DGRAM;

import java.lang.ref.WeakReference;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

import org.junit.Test;
import org.junit.runner.RunWith;
import org.ops4j.pax.exam.junit.PaxExam;
import org.ops4j.pax.exam.spi.reactors.ExamReactorStrategy;
import org.ops4j.pax.exam.spi.reactors.PerMethod;
import org.osgi.framework.Bundle;
import org.osgi.framework.FrameworkEvent;
import org.osgi.framework.wiring.BundleWiring;
import org.osgi.framework.wiring.FrameworkWiring;
import org.protosw.socket.Errno;
import org.protosw.socket.InetSockAddr;
import org.protosw.socket.NetStack;
import org.protosw.socket.Socket;
import org.protosw.socket.SocketException;

/**
 * DESIGN.md's unload promise with the real UDP bundle: callers blocked or busy in calls wake
 * with ECONNABORTED, new sockets get EPROTONOSUPPORT, UDP comes back when started again, and
 * after uninstall + refresh nothing of the old bundle stays: its class loader is collected and
 * none of its threads remain.
 */
@RunWith(PaxExam.class)
@ExamReactorStrategy(PerMethod.class)
public class UdpUnloadIT extends ProtoswTestSupport {

    private NetStack stack() {
        return service(NetStack.class, "(" + NetStack.VNET_PROPERTY + "=" + NetStack.DEFAULT_VNET + ")", TIMEOUT);
    }

    @Test
    public void stoppingUdpAbortsItsSocketsAndStartingItAgainRestoresService() throws Exception {
        NetStack stack = stack();
        Bundle udp = requireBundle("org.protosw.udp");
        Socket rx = stack.socket(AF_INET, SOCK_DGRAM, 0);
        Socket tx = stack.socket(AF_INET, SOCK_DGRAM, 0);
        rx.bind(InetSockAddr.of("127.0.0.1", 0));
        tx.connect(rx.localAddress());

        AtomicReference<Throwable> readerEnd = new AtomicReference<>();
        AtomicReference<Throwable> senderEnd = new AtomicReference<>();
        CountDownLatch sending = new CountDownLatch(1);
        Thread reader = new Thread(() -> {
            // a socket of its own that nobody sends to: the thread stays blocked in recv
            try (Socket idle = stack.socket(AF_INET, SOCK_DGRAM, 0)) {
                idle.bind(InetSockAddr.of("127.0.0.1", 0));
                idle.recv(ByteBuffer.allocate(100));
                readerEnd.set(new AssertionError("recv returned"));
            } catch (Throwable t) {
                readerEnd.set(t);
            }
        }, "blocked-reader");
        Thread sender = new Thread(() -> {
            ByteBuffer b = ByteBuffer.allocate(64);
            try {
                while (true) {
                    b.clear();
                    tx.send(b);
                    sending.countDown();
                }
            } catch (Throwable t) {
                senderEnd.set(t);
            }
        }, "busy-sender");
        reader.start();
        sender.start();
        assertTrue(sending.await(5, TimeUnit.SECONDS));
        Thread.sleep(200);

        udp.stop();

        reader.join(10_000);
        sender.join(10_000);
        assertErrno(Errno.ECONNABORTED, readerEnd.get());
        assertErrno(Errno.ECONNABORTED, senderEnd.get());
        try {
            rx.recv(ByteBuffer.allocate(10));
            fail("recv on an aborted socket succeeded");
        } catch (SocketException e) {
            assertEquals(Errno.ECONNABORTED, e.errno());
        }
        try {
            stack.socket(AF_INET, SOCK_DGRAM, 0).close();
            fail("a UDP socket was created while UDP is stopped");
        } catch (SocketException e) {
            assertEquals(Errno.EPROTONOSUPPORT, e.errno());
        }
        rx.close();
        tx.close();

        udp.start();
        waitFor("UDP to come back", TIMEOUT, () -> {
            try {
                stack.socket(AF_INET, SOCK_DGRAM, 0).close();
                return true;
            } catch (SocketException e) {
                return false;
            }
        });
        UdpEchoIT.echo(stack, "127.0.0.1", stack, "127.0.0.1", 50, 1000);
    }

    @Test
    public void uninstallingUdpLeavesNoClassLoaderAndNoThreadBehind() throws Exception {
        NetStack stack = stack();
        Bundle udp = requireBundle("org.protosw.udp");
        // use UDP first, so its classes are loaded and pcbs existed
        UdpEchoIT.echo(stack, "127.0.0.1", stack, "127.0.0.1", 20, 500);
        Socket open = stack.socket(AF_INET, SOCK_DGRAM, 0);
        open.bind(InetSockAddr.of("127.0.0.1", 0));

        WeakReference<ClassLoader> loader = new WeakReference<>(udp.adapt(BundleWiring.class).getClassLoader());
        assertNotNull(loader.get());

        udp.uninstall();
        refresh();

        try {
            open.send(ByteBuffer.allocate(1));
            fail("send on a socket of an uninstalled protocol succeeded");
        } catch (SocketException e) {
            assertEquals(Errno.ECONNABORTED, e.errno());
        }
        // an application closes what failed; the aborted socket is the application's last link
        open.close();
        open = null;

        List<String> threads = threadsOf(loader.get());
        assertTrue("threads of the uninstalled bundle remain: " + threads, threads.isEmpty());

        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        List<byte[]> pressure = new ArrayList<>();
        while (loader.get() != null && System.nanoTime() < deadline) {
            System.gc();
            pressure.add(new byte[1 << 20]);
            if (pressure.size() > 64) {
                pressure.clear();
            }
            Thread.sleep(50);
        }
        assertNull("the uninstalled UDP bundle's class loader is still reachable", loader.get());
    }

    private void refresh() throws InterruptedException {
        CountDownLatch done = new CountDownLatch(1);
        bundleContext.getBundle(0).adapt(FrameworkWiring.class).refreshBundles(null, e -> {
            if (e.getType() == FrameworkEvent.PACKAGES_REFRESHED) {
                done.countDown();
            }
        });
        assertTrue("refresh did not finish", done.await(30, TimeUnit.SECONDS));
    }

    private static List<String> threadsOf(ClassLoader l) {
        List<String> found = new ArrayList<>();
        if (l == null) {
            return found;
        }
        for (Thread t : Thread.getAllStackTraces().keySet()) {
            if (t.getContextClassLoader() == l || t.getClass().getClassLoader() == l) {
                found.add(t.getName());
            }
        }
        return found;
    }

    private static void assertErrno(Errno expected, Throwable t) {
        if (!(t instanceof SocketException se) || se.errno() != expected) {
            throw new AssertionError("expected " + expected + " but got " + t, t);
        }
    }
}
