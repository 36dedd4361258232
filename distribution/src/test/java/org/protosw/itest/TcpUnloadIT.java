package org.protosw.itest;

import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;
import static org.junit.Assert.fail;
import static org.protosw.socket.SocketConstants.AF_INET;
import static org.protosw.socket.SocketConstants.SOCK_STREAM;

import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeSet;
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
 * core before any protocol's abort runs: no peer is left running TCP to report ECONNRESET.
 * What a peer would see is checked on the wire instead: a capture on the epair shows a RST
 * for every one of the connections (sent by whichever end TCP aborted first). A surviving
 * peer's ECONNRESET is covered by TCP's own unit tests, where removing one vnet resets the
 * connections of the other.
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
    private String linkToB(GogoShell sh) throws Exception {
        sh.run("net:vnet create b");
        String pair = sh.run("net:ifconfig epair create").trim();
        assertTrue(pair, pair.matches("epair\\d+a"));
        String b = pair.substring(0, pair.length() - 1) + "b";
        sh.run("net:ifconfig " + b + " vnet b");
        sh.run("net:ifconfig " + pair + " inet 192.0.2.1/24 up");
        sh.run("net:ifconfig -j b " + b + " inet 192.0.2.2/24 up");
        return pair;
    }

    @Test
    public void stoppingTcpAbortsEveryConnectionAndStartingItAgainRestoresService() throws Exception {
        GogoShell sh = new GogoShell(service(CommandProcessor.class, TIMEOUT));
        Bundle tcp = requireBundle("org.protosw.tcp");
        String pair = linkToB(sh);
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

        // each connection is reset on the wire as it goes: whichever end TCP aborts first
        // sends the RST (the other, already reset by it, has nothing left to reset)
        Path pcap = Files.createTempFile("tcp-unload", ".pcap");
        sh.run("net:capture start " + pair + " " + pcap);
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
        sh.run("net:capture stop " + pair);
        Set<String> reset = resetsIn(pcap);
        Files.deleteIfExists(pcap);
        assertEquals("connections reset on the wire: " + reset, CONNECTIONS, reset.size());
        assertTrue(reset.toString(), reset.stream().allMatch(c -> c.contains("192.0.2.2." + PORT)));
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

    /**
     * The TCP connections ("a.b.c.d.port-e.f.g.h.port", ends in sorted order) with a RST in
     * either direction in a LINKTYPE_RAW pcap file: each record a bare IPv4 packet.
     */
    private static Set<String> resetsIn(Path pcap) throws java.io.IOException {
        ByteBuffer b = ByteBuffer.wrap(Files.readAllBytes(pcap));
        boolean swapped = b.getInt(0) == 0xd4c3b2a1;
        ByteBuffer h = b.duplicate().order(swapped ? java.nio.ByteOrder.LITTLE_ENDIAN : java.nio.ByteOrder.BIG_ENDIAN);
        assertEquals("linktype", 101, h.getInt(20));
        Set<String> ends = new TreeSet<>();
        int off = 24;
        while (off + 16 <= b.limit()) {
            int caplen = h.getInt(off + 8);
            int ip = off + 16;
            off = ip + caplen;
            int ihl = (b.get(ip) & 0xf) * 4;
            if (caplen < ihl + 14 || (b.get(ip + 9) & 0xff) != 6 || (b.get(ip + ihl + 13) & 0x04) == 0) {
                continue;
            }
            String src = addr(b, ip + 12) + "." + (b.getShort(ip + ihl) & 0xffff);
            String dst = addr(b, ip + 16) + "." + (b.getShort(ip + ihl + 2) & 0xffff);
            ends.add(src.compareTo(dst) < 0 ? src + "-" + dst : dst + "-" + src);
        }
        return ends;
    }

    private static String addr(ByteBuffer b, int at) {
        return (b.get(at) & 0xff) + "." + (b.get(at + 1) & 0xff) + "." + (b.get(at + 2) & 0xff) + "." + (b.get(at + 3) & 0xff);
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
