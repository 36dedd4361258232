package org.protosw.itest;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;
import static org.junit.Assert.fail;
import static org.protosw.socket.SocketConstants.AF_INET;
import static org.protosw.socket.SocketConstants.SOCK_DGRAM;
import static org.protosw.itest.BundleBuilds.jarOf;
import static org.protosw.itest.BundleBuilds.other;
import static org.protosw.itest.BundleBuilds.withVersion;

import java.io.ByteArrayInputStream;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.jar.Attributes;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.apache.felix.service.command.CommandProcessor;
import org.junit.Test;
import org.junit.runner.RunWith;
import org.ops4j.pax.exam.junit.PaxExam;
import org.ops4j.pax.exam.spi.reactors.ExamReactorStrategy;
import org.ops4j.pax.exam.spi.reactors.PerMethod;
import org.osgi.framework.Bundle;
import org.protosw.socket.Errno;
import org.protosw.socket.InetSockAddr;
import org.protosw.socket.NetStack;
import org.protosw.socket.SockOpt;
import org.protosw.socket.Socket;
import org.protosw.socket.SocketException;

/**
 * Live upgrade of the real UDP bundle (issue 11) between two builds that differ in their
 * Bundle-Version (the second made here from the first jar): through {@code Bundle.update}
 * as the shell's {@code update} does, and through FileInstall replacing the jar in the
 * watched folder. Datagrams queued at the moment of each upgrade are all read afterwards,
 * in order; loss of datagrams in flight would be counted (it is asserted to add up). A
 * revision that never registers ends as an unload with the reason in {@code net:diag}.
 */
@RunWith(PaxExam.class)
@ExamReactorStrategy(PerMethod.class)
public class UdpUpgradeIT extends ProtoswTestSupport {
    private static final Pattern UDP_ROW = Pattern.compile("(?m)^\\S+\\s+\\S+\\s+17\\s+udp\\s+(\\S+)\\s+(\\d+)\\s+(\\S+)\\s+(\\S+)");

    private NetStack stack() {
        return service(NetStack.class, "(" + NetStack.VNET_PROPERTY + "=" + NetStack.DEFAULT_VNET + ")", TIMEOUT);
    }

    private GogoShell shell() {
        return new GogoShell(service(CommandProcessor.class, TIMEOUT));
    }

    /** The VERSION column of udp's row in net:protocols, or null without a row. */
    private static String udpVersion(GogoShell sh) throws Exception {
        Matcher m = UDP_ROW.matcher(sh.run("net:protocols"));
        return m.find() ? m.group(3) : null;
    }

    private static void awaitUdpVersion(GogoShell sh, String version) {
        waitFor("udp served by version " + version, TIMEOUT, () -> {
            try {
                return version.equals(udpVersion(sh));
            } catch (Exception e) {
                return false;
            }
        });
    }

    private static int readSeq(Socket s) throws SocketException {
        ByteBuffer b = ByteBuffer.allocate(64);
        int n = s.recv(b, 0);
        assertEquals(64, n);
        return b.getInt(0);
    }

    private long stat(GogoShell sh, String command, String key) throws Exception {
        for (String line : sh.run(command).split("\n")) {
            String t = line.trim();
            if (t.endsWith(" " + key) || t.contains(" " + key)) {
                String first = t.split("\\s+")[0];
                if (first.matches("\\d+")) {
                    return Long.parseLong(first);
                }
            }
        }
        return 0;
    }

    @Test
    public void updatingUdpBackAndForthKeepsEveryQueuedDatagram() throws Exception {
        NetStack stack = stack();
        GogoShell sh = shell();
        Bundle udp = requireBundle("org.protosw.udp");
        byte[] original = jarOf(udp);
        String v0 = udp.getVersion().toString();
        String v1 = other(udp.getVersion());
        byte[] alt = withVersion(original, v1);

        Socket rx = stack.socket(AF_INET, SOCK_DGRAM, 0);
        rx.setOption(SockOpt.SO_RCVBUF, 1 << 20);
        rx.bind(InetSockAddr.of("127.0.0.1", 0));
        Socket tx = stack.socket(AF_INET, SOCK_DGRAM, 0);
        tx.connect(rx.localAddress());
        // a reader parked in the core the whole time: it must neither hold an upgrade up nor be aborted
        Socket idle = stack.socket(AF_INET, SOCK_DGRAM, 0);
        idle.bind(InetSockAddr.of("127.0.0.1", 0));
        AtomicReference<Object> idleEnd = new AtomicReference<>();
        Thread idleReader = new Thread(() -> {
            try {
                ByteBuffer b = ByteBuffer.allocate(64);
                idleEnd.set(idle.recv(b, 0));
            } catch (Throwable t) {
                idleEnd.set(t);
            }
        }, "idle-reader");
        idleReader.start();

        AtomicInteger sent = new AtomicInteger();
        AtomicReference<Throwable> senderFailed = new AtomicReference<>();
        int rounds = 4;
        int perRound = 400;
        for (int r = 0; r < rounds; r++) {
            int from = sent.get();
            for (int i = 0; i < perRound / 2; i++) {
                ByteBuffer b = ByteBuffer.allocate(64).putInt(0, sent.getAndIncrement());
                tx.send(b);
            }
            // and more flowing while the bundle is updated
            Thread sender = new Thread(() -> {
                try {
                    for (int i = 0; i < perRound / 2; i++) {
                        ByteBuffer b = ByteBuffer.allocate(64).putInt(0, sent.getAndIncrement());
                        tx.send(b);
                    }
                } catch (Throwable t) {
                    senderFailed.set(t);
                }
            }, "sender-" + r);
            sender.start();
            boolean toAlt = r % 2 == 0;
            udp.update(new ByteArrayInputStream(toAlt ? alt : original));
            awaitUdpVersion(sh, toAlt ? v1 : v0);
            sender.join(20_000);
            assertFalse("sender stuck", sender.isAlive());
            if (senderFailed.get() != null) {
                throw new AssertionError("a send failed during upgrade " + r, senderFailed.get());
            }
            String protocols = sh.run("net:protocols");
            assertTrue(protocols, protocols.contains("last upgrade of udp: "));
            assertTrue(protocols, protocols.contains(" socket(s) moved, from org.protosw.udp"));
            assertEquals(from + perRound, sent.get());
        }
        String diag = sh.run("net:diag");
        assertFalse(diag, diag.contains("upgrade failed"));
        long fullDrops = stat(sh, "net:netstat -s -p udp", "dropped due to full socket buffers");
        long holdDrops = stat(sh, "net:netstat -s -p ip", "packets dropped while their protocol was upgraded");
        int expect = sent.get() - (int) (fullDrops + holdDrops);
        int last = -1;
        for (int i = 0; i < expect; i++) {
            int seq = readSeq(rx);
            assertTrue("datagram " + seq + " after " + last + ": in order, no duplicate", seq > last);
            last = seq;
        }
        assertEquals("nothing was lost (drops counted: " + fullDrops + " full, " + holdDrops + " hold)", 0, fullDrops + holdDrops);
        assertEquals(sent.get() - 1, last);
        Socket poke = stack.socket(AF_INET, SOCK_DGRAM, 0);
        poke.connect(idle.localAddress());
        poke.send(ByteBuffer.allocate(64));
        idleReader.join(10_000);
        assertEquals("the idle reader got its datagram, never an error", 64, idleEnd.get());
        rx.close();
        tx.close();
        idle.close();
        poke.close();
    }

    @Test
    public void fileInstallReplacingTheJarIsAnUpgradeAndDeletingItAnUnload() throws Exception {
        NetStack stack = stack();
        GogoShell sh = shell();
        Bundle installed = requireBundle("org.protosw.udp");
        byte[] original = jarOf(installed);
        String v0 = installed.getVersion().toString();
        String v1 = other(installed.getVersion());
        // hand UDP to FileInstall: the test framework installed it from elsewhere
        installed.uninstall();
        Path jar = hotDeployFolder().resolve("protocols-udp.jar");
        Path part = hotDeployFolder().resolve("protocols-udp.jar.part");
        try {
            Files.write(jar, original);
            awaitUdpVersion(sh, v0);
            Socket rx = stack.socket(AF_INET, SOCK_DGRAM, 0);
            rx.bind(InetSockAddr.of("127.0.0.1", 0));
            Socket tx = stack.socket(AF_INET, SOCK_DGRAM, 0);
            for (int i = 0; i < 10; i++) {
                tx.sendto(ByteBuffer.allocate(64).putInt(0, i), 0, rx.localAddress());
            }
            Files.write(part, withVersion(original, v1));
            Files.move(part, jar, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            awaitUdpVersion(sh, v1);
            assertTrue(sh.run("net:protocols").contains("last upgrade of udp: "));
            for (int i = 0; i < 10; i++) {
                assertEquals(i, readSeq(rx));
            }
            tx.sendto(ByteBuffer.allocate(64).putInt(0, 77), 0, rx.localAddress());
            assertEquals(77, readSeq(rx));

            Files.delete(jar);
            waitFor("udp unloaded", TIMEOUT, () -> {
                try {
                    return udpVersion(sh) == null;
                } catch (Exception e) {
                    return false;
                }
            });
            try {
                rx.recv(ByteBuffer.allocate(64), 0);
                fail("recv after the jar was deleted");
            } catch (SocketException e) {
                assertEquals("deleting the jar is an unload", Errno.ECONNABORTED, e.errno());
            }
            rx.close();
            tx.close();
        } finally {
            Files.deleteIfExists(part);
            Files.deleteIfExists(jar);
        }
    }

    @Test
    public void aRevisionThatNeverRegistersAbortsTheSocketsWithTheReasonInDiag() throws Exception {
        NetStack stack = stack();
        GogoShell sh = shell();
        sh.run("net:sysctl net.protosw.upgrade_wait_ms=300");
        Bundle udp = requireBundle("org.protosw.udp");
        byte[] original = jarOf(udp);
        // a build that cannot resolve: its bundle never starts, so no ProtoSw comes
        byte[] broken = BundleBuilds.withManifest(original, m -> m.getMainAttributes().put(new Attributes.Name("Import-Package"),
                m.getMainAttributes().getValue("Import-Package") + ",org.protosw.nonexistent;version=\"[1,2)\""));
        Socket rx = stack.socket(AF_INET, SOCK_DGRAM, 0);
        rx.bind(InetSockAddr.of("127.0.0.1", 0));
        try {
            udp.update(new ByteArrayInputStream(broken));
        } catch (org.osgi.framework.BundleException e) {
            // the framework could not start the new revision: what this test is about
        }
        waitFor("the upgrade to fail", TIMEOUT, () -> {
            try {
                return sh.run("net:diag").contains("upgrade failed: ");
            } catch (Exception e) {
                return false;
            }
        });
        String diag = sh.run("net:diag");
        assertTrue(diag, diag.contains("no new revision of udp registered within 300 ms"));
        assertTrue(diag, diag.contains("socket(s) aborted (ECONNABORTED)"));
        try {
            rx.recv(ByteBuffer.allocate(10), 0);
            fail("recv after a failed upgrade");
        } catch (SocketException e) {
            assertEquals(Errno.ECONNABORTED, e.errno());
        }
        rx.close();
        // the stack keeps serving: the good build comes back as a fresh protocol
        udp.update(new ByteArrayInputStream(original));
        if (udp.getState() != Bundle.ACTIVE) {
            // the broken revision never started, so the update does not start the good one
            udp.start();
        }
        waitFor("UDP to serve again", TIMEOUT, () -> {
            try {
                stack.socket(AF_INET, SOCK_DGRAM, 0).close();
                return true;
            } catch (SocketException e) {
                return false;
            }
        });
        UdpEchoIT.echo(stack, "127.0.0.1", stack, "127.0.0.1", 20, 500);
    }

    private void refresh() throws InterruptedException {
        java.util.concurrent.CountDownLatch done = new java.util.concurrent.CountDownLatch(1);
        bundleContext.getBundle(0).adapt(org.osgi.framework.wiring.FrameworkWiring.class).refreshBundles(null, e -> {
            if (e.getType() == org.osgi.framework.FrameworkEvent.PACKAGES_REFRESHED) {
                done.countDown();
            }
        });
        assertTrue("refresh did not finish", done.await(30, java.util.concurrent.TimeUnit.SECONDS));
    }

    private static boolean collected(java.lang.ref.WeakReference<ClassLoader> ref) throws InterruptedException {
        long deadline = System.nanoTime() + java.util.concurrent.TimeUnit.SECONDS.toNanos(20);
        java.util.List<byte[]> pressure = new java.util.ArrayList<>();
        while (ref.get() != null && System.nanoTime() < deadline) {
            System.gc();
            pressure.add(new byte[1 << 20]);
            if (pressure.size() > 64) {
                pressure.clear();
            }
            Thread.sleep(50);
        }
        return ref.get() == null;
    }

    /**
     * Neither a live-upgraded socket nor an aborted socket the application never closes keeps
     * an old revision's classes: after the update (and a refresh) the old class loader is
     * collected while the socket serves on; after an uninstall the aborted, never closed socket
     * points at the core's dead pcb and the loader is collected too.
     */
    @Test
    public void noSocketPinsAnOldRevision() throws Exception {
        NetStack stack = stack();
        GogoShell sh = shell();
        Bundle udp = requireBundle("org.protosw.udp");
        byte[] original = jarOf(udp);
        String v1 = other(udp.getVersion());
        Socket rx = stack.socket(AF_INET, SOCK_DGRAM, 0);
        rx.bind(InetSockAddr.of("127.0.0.1", 0));
        rx.sendto(ByteBuffer.allocate(64).putInt(0, 1), 0, rx.localAddress());
        java.lang.ref.WeakReference<ClassLoader> before = new java.lang.ref.WeakReference<>(
                udp.adapt(org.osgi.framework.wiring.BundleWiring.class).getClassLoader());
        udp.update(new ByteArrayInputStream(withVersion(original, v1)));
        awaitUdpVersion(sh, v1);
        refresh();
        assertTrue("the revision before the update is still reachable", collected(before));
        assertEquals(1, readSeq(rx));

        java.lang.ref.WeakReference<ClassLoader> current = new java.lang.ref.WeakReference<>(
                udp.adapt(org.osgi.framework.wiring.BundleWiring.class).getClassLoader());
        udp.uninstall();
        refresh();
        assertTrue("an aborted socket that was never closed pins the uninstalled UDP", collected(current));
        try {
            rx.recv(ByteBuffer.allocate(64), 0);
            fail("recv on a socket of an uninstalled protocol");
        } catch (SocketException e) {
            assertEquals(Errno.ECONNABORTED, e.errno());
        }
    }

    /** The shell trigger: net:upgrade PROTOCOL LOCATION updates the serving bundle and says what moved. */
    @Test
    public void netUpgradeMovesTheSocketsAndSaysSo() throws Exception {
        NetStack stack = stack();
        GogoShell sh = shell();
        Bundle udp = requireBundle("org.protosw.udp");
        String v1 = other(udp.getVersion());
        Path next = Files.createTempFile(itestFolder(), "udp-next", ".bin");
        Files.write(next, withVersion(jarOf(udp), v1));
        Socket rx = stack.socket(AF_INET, SOCK_DGRAM, 0);
        rx.bind(InetSockAddr.of("127.0.0.1", 0));
        rx.sendto(ByteBuffer.allocate(64).putInt(0, 3), 0, rx.localAddress());
        String out = sh.run("net:upgrade udp " + next);
        assertTrue(out, out.startsWith("upgraded udp from org.protosw.udp"));
        assertTrue(out, out.contains(" to org.protosw.udp [" + udp.getBundleId() + "] " + v1));
        assertTrue(out, out.contains(" socket(s) moved"));
        assertEquals(v1, udpVersion(sh));
        assertEquals(3, readSeq(rx));
        String bad = sh.fail("net:upgrade nosuch " + next);
        assertTrue(bad, bad.contains("no protocol named 'nosuch'"));
        rx.close();
        Files.delete(next);
    }
}
