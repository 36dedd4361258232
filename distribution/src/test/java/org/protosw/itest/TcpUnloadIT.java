package org.protosw.itest;

import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;
import static org.junit.Assert.fail;
import static org.protosw.socket.SocketConstants.AF_INET;
import static org.protosw.socket.SocketConstants.SOCK_STREAM;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

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
import org.protosw.socket.Socket;
import org.protosw.socket.SocketException;

/**
 * DESIGN.md's unload promise with the real TCP bundle: 100 connections between two vnets
 * joined by an epair, each with a caller blocked at both ends; stopping the bundle wakes
 * every one of them with ECONNABORTED, leaves no TCP line in netstat and no tcp entry in the
 * switch table, and TCP works again once the bundle is started.
 *
 * <p>Both vnets run the same TCP bundle, so both ends of every connection are aborted by the
 * core before any protocol's abort runs: "the peer sees a RST" cannot be observed here (there
 * is no peer left running TCP). That RST is covered by TCP's own unit tests, where removing
 * one vnet resets the connections of the other (ECONNRESET).
 */
@RunWith(PaxExam.class)
@ExamReactorStrategy(PerMethod.class)
public class TcpUnloadIT extends ProtoswTestSupport {
    private static final int CONNECTIONS = 100;
    private static final int MESSAGE = 4096;
    private static final int PORT = 7000;

    private NetStack stack(String vnet) {
        return service(NetStack.class, "(" + NetStack.VNET_PROPERTY + "=" + vnet + ")", TIMEOUT);
    }

    /** Vnet b, joined to the default one by an epair: 192.0.2.1 here, 192.0.2.2 there. */
    private void linkToB(GogoShell sh) throws Exception {
        sh.run("net:vnet create b");
        String pair = sh.run("net:ifconfig epair create").trim();
        assertTrue(pair, pair.matches("epair\\d+a"));
        String b = pair.substring(0, pair.length() - 1) + "b";
        sh.run("net:ifconfig " + b + " vnet b");
        sh.run("net:ifconfig " + pair + " inet 192.0.2.1/24 up");
        sh.run("net:ifconfig -j b " + b + " inet 192.0.2.2/24 up");
    }

    @Test
    public void stoppingTcpAbortsEveryConnectionAndStartingItAgainRestoresService() throws Exception {
        GogoShell sh = new GogoShell(service(CommandProcessor.class, TIMEOUT));
        Bundle tcp = requireBundle("org.protosw.tcp");
        linkToB(sh);
        NetStack here = stack(NetStack.DEFAULT_VNET);
        NetStack there = stack("b");

        Socket listener = there.socket(AF_INET, SOCK_STREAM, 0);
        listener.bind(InetSockAddr.of("192.0.2.2", PORT));
        listener.listen(CONNECTIONS);

        Map<String, Errno> clientEnds = new ConcurrentHashMap<>();
        Map<String, Errno> serverEnds = new ConcurrentHashMap<>();
        AtomicReference<Throwable> listenerEnd = new AtomicReference<>();
        AtomicReference<Throwable> unexpected = new AtomicReference<>();
        List<Socket> sockets = new ArrayList<>();
        List<Thread> threads = new ArrayList<>();
        CountDownLatch echoed = new CountDownLatch(CONNECTIONS);
        AtomicInteger accepted = new AtomicInteger();

        threads.add(Thread.ofVirtual().name("acceptor").start(() -> {
            try {
                while (true) {
                    Socket s = listener.accept();
                    int n = accepted.incrementAndGet();
                    synchronized (sockets) {
                        sockets.add(s);
                    }
                    Thread t = Thread.ofVirtual().name("server-" + n).start(() -> serve(s, "server-" + n, serverEnds, unexpected));
                    synchronized (threads) {
                        threads.add(t);
                    }
                }
            } catch (Throwable e) {
                listenerEnd.set(e);
            }
        }));
        for (int i = 0; i < CONNECTIONS; i++) {
            String name = "client-" + i;
            long seed = i;
            Thread t = Thread.ofVirtual().name(name).start(() -> {
                try {
                    Socket c = here.socket(AF_INET, SOCK_STREAM, 0);
                    synchronized (sockets) {
                        sockets.add(c);
                    }
                    c.connect(InetSockAddr.of("192.0.2.2", PORT));
                    byte[] msg = new byte[MESSAGE];
                    new Random(seed).nextBytes(msg);
                    ByteBuffer out = ByteBuffer.wrap(msg);
                    while (out.hasRemaining()) {
                        c.send(out);
                    }
                    byte[] back = readFully(c, MESSAGE);
                    assertArrayEquals(name + ": the echo differs", msg, back);
                    echoed.countDown();
                    // then waits for more that never comes: the unload must wake it
                    c.recv(ByteBuffer.allocate(1));
                    unexpected.compareAndSet(null, new AssertionError(name + ": recv returned after the echo"));
                } catch (SocketException e) {
                    clientEnds.put(name, e.errno());
                } catch (Throwable e) {
                    unexpected.compareAndSet(null, e);
                }
            });
            synchronized (threads) {
                threads.add(t);
            }
        }
        assertTrue("not every connection echoed in time: " + echoed.getCount() + " left; " + unexpected.get(),
                echoed.await(30, TimeUnit.SECONDS));
        String before = sh.run("net:netstat -an");
        assertEquals(before, CONNECTIONS, before.lines().filter(l -> l.startsWith("tcp4") && l.contains("ESTABLISHED")).count());
        Thread.sleep(200);

        tcp.stop();

        List<Thread> all;
        synchronized (threads) {
            all = new ArrayList<>(threads);
        }
        for (Thread t : all) {
            t.join(10_000);
            assertFalse(t.getName() + " is still blocked after the unload", t.isAlive());
        }
        if (unexpected.get() != null) {
            throw new AssertionError("a caller failed otherwise than by the unload", unexpected.get());
        }
        assertEquals(CONNECTIONS, accepted.get());
        assertEquals("client callers: " + clientEnds, CONNECTIONS, clientEnds.size());
        assertEquals("server callers: " + serverEnds, CONNECTIONS, serverEnds.size());
        assertTrue("client callers: " + clientEnds, clientEnds.values().stream().allMatch(e -> e == Errno.ECONNABORTED));
        assertTrue("server callers: " + serverEnds, serverEnds.values().stream().allMatch(e -> e == Errno.ECONNABORTED));
        assertErrno(Errno.ECONNABORTED, listenerEnd.get());
        try {
            here.socket(AF_INET, SOCK_STREAM, 0).close();
            fail("a TCP socket was created while TCP is stopped");
        } catch (SocketException e) {
            assertEquals(Errno.EPROTONOSUPPORT, e.errno());
        }
        for (Socket s : sockets) {
            s.close();
        }
        listener.close();
        // every pcb went with its socket: nothing TCP is listed in either vnet, nor in the switch
        for (String netstat : List.of(sh.run("net:netstat -an"), sh.run("net:netstat -an -j b"))) {
            assertTrue(netstat, netstat.lines().noneMatch(l -> l.startsWith("tcp")));
        }
        String table = sh.run("net:protocols");
        assertTrue(table, table.lines().noneMatch(l -> l.matches("inet\\s+stream\\s+6\\s+tcp\\s.*")));

        tcp.start();
        waitFor("TCP to come back in both vnets", TIMEOUT, () -> tcpWorks(here) && tcpWorks(there));
        assertTrue(sh.run("net:protocols").lines().anyMatch(l -> l.matches("inet\\s+stream\\s+6\\s+tcp\\s+org\\.protosw\\.tcp\\s.*active.*")));
        echoOnce(here, there);
    }

    private static void serve(Socket s, String name, Map<String, Errno> ends, AtomicReference<Throwable> unexpected) {
        try {
            byte[] msg = readFully(s, MESSAGE);
            ByteBuffer out = ByteBuffer.wrap(msg);
            while (out.hasRemaining()) {
                s.send(out);
            }
            s.recv(ByteBuffer.allocate(1));
            unexpected.compareAndSet(null, new AssertionError(name + ": recv returned after the echo"));
        } catch (SocketException e) {
            ends.put(name, e.errno());
        } catch (Throwable e) {
            unexpected.compareAndSet(null, e);
        }
    }

    private static boolean tcpWorks(NetStack stack) {
        try {
            stack.socket(AF_INET, SOCK_STREAM, 0).close();
            return true;
        } catch (SocketException e) {
            return false;
        }
    }

    /** A new connection across the epair carries 64 KiB each way, intact. */
    private static void echoOnce(NetStack here, NetStack there) throws Exception {
        try (Socket l = there.socket(AF_INET, SOCK_STREAM, 0)) {
            l.bind(InetSockAddr.of("192.0.2.2", PORT + 1));
            l.listen(1);
            AtomicReference<Throwable> failed = new AtomicReference<>();
            Thread server = Thread.ofVirtual().start(() -> {
                try (Socket s = l.accept()) {
                    byte[] got = readFully(s, 65536);
                    ByteBuffer out = ByteBuffer.wrap(got);
                    while (out.hasRemaining()) {
                        s.send(out);
                    }
                } catch (Throwable e) {
                    failed.set(e);
                }
            });
            try (Socket c = here.socket(AF_INET, SOCK_STREAM, 0)) {
                c.connect(InetSockAddr.of("192.0.2.2", PORT + 1));
                byte[] msg = new byte[65536];
                new Random(9293).nextBytes(msg);
                ByteBuffer out = ByteBuffer.wrap(msg);
                while (out.hasRemaining()) {
                    c.send(out);
                }
                assertArrayEquals(msg, readFully(c, msg.length));
            }
            server.join(10_000);
            if (failed.get() != null) {
                throw new AssertionError("the echo server failed", failed.get());
            }
        }
    }

    private static byte[] readFully(Socket s, int n) throws SocketException {
        ByteBuffer b = ByteBuffer.allocate(n);
        while (b.hasRemaining()) {
            if (s.recv(b) <= 0) {
                throw new AssertionError("end of stream after " + b.position() + " of " + n + " bytes");
            }
        }
        return b.array();
    }

    private static void assertErrno(Errno expected, Throwable t) {
        if (!(t instanceof SocketException se) || se.errno() != expected) {
            throw new AssertionError("expected " + expected + " but got " + t, t);
        }
    }
}
