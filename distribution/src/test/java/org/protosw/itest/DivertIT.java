package org.protosw.itest;

import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;
import static org.protosw.socket.SocketConstants.AF_DIVERT;
import static org.protosw.socket.SocketConstants.AF_INET;
import static org.protosw.socket.SocketConstants.SOCK_DGRAM;
import static org.protosw.socket.SocketConstants.SHUT_WR;
import static org.protosw.socket.SocketConstants.SOCK_RAW;
import static org.protosw.socket.SocketConstants.SOCK_STREAM;

import java.nio.ByteBuffer;
import java.security.MessageDigest;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;

import org.apache.felix.service.command.CommandProcessor;
import org.junit.Test;
import org.junit.runner.RunWith;
import org.ops4j.pax.exam.junit.PaxExam;
import org.ops4j.pax.exam.spi.reactors.ExamReactorStrategy;
import org.ops4j.pax.exam.spi.reactors.PerMethod;
import org.osgi.framework.Bundle;
import org.protosw.socket.Errno;
import org.protosw.socket.InAddr;
import org.protosw.socket.InetSockAddr;
import org.protosw.socket.NetStack;
import org.protosw.socket.RecvInfo;
import org.protosw.socket.SockOpt;
import org.protosw.socket.Socket;
import org.protosw.socket.SocketException;

/**
 * The divert bundle in the running distribution: rules loaded with the shell, the bundle
 * stopped while a diverted UDP flow or TCP transfer runs (its divert socket's reader wakes
 * with ECONNABORTED, the traffic goes on undiverted, TCP retransmits what the divert socket
 * held), started again (the rules come back from Configuration Admin and divert again).
 */
@RunWith(PaxExam.class)
@ExamReactorStrategy(PerMethod.class)
public class DivertIT extends ProtoswTestSupport {
    private static final int PORT = 9000;
    private static final String RULE = "divert 8668 udp from any to 127.0.0.1 " + PORT + " in";

    /** A minimal natd: reads from divert port 8668 and writes every packet back. */
    private static final class PassBack implements Runnable {
        final Socket so;
        final AtomicLong packets = new AtomicLong();
        final AtomicReference<Throwable> end = new AtomicReference<>();

        PassBack(NetStack stack) throws SocketException {
            so = stack.socket(AF_DIVERT, SOCK_RAW, 0);
            so.bind(new InetSockAddr(InAddr.ANY, 8668));
        }

        @Override
        public void run() {
            ByteBuffer b = ByteBuffer.allocate(65535);
            try {
                for (;;) {
                    b.clear();
                    RecvInfo ri = so.recvfrom(b, 0);
                    packets.incrementAndGet();
                    b.flip();
                    so.sendto(b, 0, ri.from());
                }
            } catch (Throwable t) {
                end.set(t);
            }
        }
    }

    @Test
    public void stoppingDivertMidFlowAbortsItsReaderTrafficFlowsOnStartingItRestoresTheRules() throws Exception {
        NetStack stack = service(NetStack.class, "(" + NetStack.VNET_PROPERTY + "=" + NetStack.DEFAULT_VNET + ")", TIMEOUT);
        GogoShell sh = new GogoShell(service(CommandProcessor.class, TIMEOUT));
        Bundle divert = requireBundle("org.protosw.divert");
        // this test's own divert sockets need the right (etc/org.protosw.priv.cfg)
        grantProbe("divert");
        waitFor("divert to serve sockets", TIMEOUT, () -> canOpenDivertSocket(stack));

        String added = sh.run("divert:rule add 100 " + RULE);
        assertTrue(added, added.contains("00100 " + RULE));
        assertTrue(sh.fail("divert:rule add 100 " + RULE).contains("rule 100 exists"));

        PassBack first = new PassBack(stack);
        Thread firstThread = new Thread(first, "divert-reader-1");
        firstThread.start();

        Socket rx = stack.socket(AF_INET, SOCK_DGRAM, 0);
        rx.setOption(SockOpt.SO_RCVTIMEO, 2000);
        rx.bind(InetSockAddr.of("127.0.0.1", PORT));
        Socket tx = stack.socket(AF_INET, SOCK_DGRAM, 0);
        AtomicLong received = new AtomicLong();
        AtomicLong sent = new AtomicLong();
        AtomicReference<Throwable> flowEnd = new AtomicReference<>();
        stopFlow = false;
        Thread receiver = new Thread(() -> {
            ByteBuffer b = ByteBuffer.allocate(2048);
            while (!stopFlow) {
                b.clear();
                try {
                    rx.recv(b, 0);
                    received.incrementAndGet();
                } catch (SocketException e) {
                    if (e.errno() != Errno.EAGAIN) {
                        flowEnd.set(e);
                        return;
                    }
                }
            }
        }, "flow-receiver");
        Thread sender = new Thread(() -> {
            ByteBuffer b = ByteBuffer.allocate(512);
            try {
                // datagrams given up as lost (what the divert reader held when it was aborted)
                long lost = 0;
                while (!stopFlow) {
                    // keep at most 16 datagrams in flight
                    long deadline = System.nanoTime() + 200_000_000L;
                    while (sent.get() - received.get() - lost >= 16 && System.nanoTime() < deadline && !stopFlow) {
                        LockSupport.parkNanos(100_000);
                    }
                    if (sent.get() - received.get() - lost >= 16) {
                        lost = sent.get() - received.get();
                    }
                    b.clear();
                    tx.sendto(b, 0, InetSockAddr.of("127.0.0.1", PORT));
                    sent.incrementAndGet();
                }
            } catch (Throwable t) {
                flowEnd.set(t);
            }
        }, "flow-sender");
        receiver.start();
        sender.start();
        try {
            waitFor("the flow to be diverted", TIMEOUT, () -> first.packets.get() >= 200 && received.get() >= 200);

            divert.stop();

            firstThread.join(10_000);
            Throwable readerEnd = first.end.get();
            assertTrue("the divert reader ended with " + readerEnd,
                    readerEnd instanceof SocketException se && se.errno() == Errno.ECONNABORTED);
            long divertedAtStop = first.packets.get();
            long receivedAtStop = received.get();
            waitFor("the flow to go on undiverted", TIMEOUT, () -> received.get() >= receivedAtStop + 500);
            assertEquals(divertedAtStop, first.packets.get());

            divert.start();
            waitFor("divert to come back", TIMEOUT, () -> canOpenDivertSocket(stack));
            String list = sh.run("divert:rule list");
            assertTrue("rules after the restart:\n" + list, list.contains("00100") && list.contains(RULE));

            PassBack second = new PassBack(stack);
            Thread secondThread = new Thread(second, "divert-reader-2");
            secondThread.start();
            long receivedAtRestart = received.get();
            waitFor("the flow to be diverted again", TIMEOUT,
                    () -> second.packets.get() >= 200 && received.get() >= receivedAtRestart + 200);
            assertTrue(sh.run("netstat -a -p divert").contains("*.8668"));
            assertTrue(sh.run("divert:rule list").matches("(?s).*00100 +[1-9][0-9]* +[1-9][0-9]* +divert.*"));

            sh.run("divert:rule delete 100");
            second.so.close();
            secondThread.join(10_000);
        } finally {
            stopFlow = true;
            sender.join(10_000);
            receiver.join(10_000);
            tx.close();
            rx.close();
        }
        assertEquals(null, flowEnd.get());
    }

    private static final int TCP_PORT = 9001;
    private static final String TCP_RULE = "divert 8668 tcp from any to 127.0.0.1 " + TCP_PORT + " in";

    /** The receiving end of a TCP stream: reads to end of stream, counting and hashing. */
    private static final class TcpSink implements Runnable {
        final Socket listener;
        final AtomicLong received = new AtomicLong();
        final AtomicReference<byte[]> digest = new AtomicReference<>();
        final AtomicReference<Throwable> failure = new AtomicReference<>();

        TcpSink(NetStack stack) throws SocketException {
            listener = stack.socket(AF_INET, SOCK_STREAM, 0);
            listener.bind(InetSockAddr.of("127.0.0.1", TCP_PORT));
            listener.listen(1);
        }

        @Override
        public void run() {
            try (Socket c = listener.accept()) {
                c.setOption(SockOpt.SO_RCVTIMEO, 30_000);
                MessageDigest md = MessageDigest.getInstance("SHA-256");
                ByteBuffer b = ByteBuffer.allocate(64 * 1024);
                for (;;) {
                    b.clear();
                    int n = c.recv(b, 0);
                    if (n <= 0) {
                        break;
                    }
                    md.update(b.array(), 0, n);
                    received.addAndGet(n);
                }
                digest.set(md.digest());
            } catch (Throwable t) {
                failure.set(t);
            }
        }
    }

    /**
     * Stopping divert while a diverted TCP transfer runs: any segments inside the divert
     * socket are lost with it, TCP retransmits them and the stream arrives SHA-256
     * identical; the reader wakes with ECONNABORTED; started again, the rule is back and
     * diverts the same connection again.
     */
    @Test
    public void stoppingDivertMidTcpTransferTcpRecoversWhatWasInFlight() throws Exception {
        NetStack stack = service(NetStack.class, "(" + NetStack.VNET_PROPERTY + "=" + NetStack.DEFAULT_VNET + ")", TIMEOUT);
        GogoShell sh = new GogoShell(service(CommandProcessor.class, TIMEOUT));
        Bundle divert = requireBundle("org.protosw.divert");
        // this test's own divert sockets need the right (etc/org.protosw.priv.cfg)
        grantProbe("divert");
        waitFor("divert to serve sockets", TIMEOUT, () -> canOpenDivertSocket(stack));
        waitFor("tcp to serve sockets", TIMEOUT, () -> canOpen(stack, AF_INET, SOCK_STREAM));
        String added = sh.run("divert:rule add 300 " + TCP_RULE);
        assertTrue(added, added.contains("00300 " + TCP_RULE));

        PassBack first = new PassBack(stack);
        first.so.setOption(SockOpt.SO_RCVBUF, 1024 * 1024);
        Thread firstThread = new Thread(first, "divert-reader-1");
        firstThread.start();
        TcpSink sink = new TcpSink(stack);
        Thread sinkThread = new Thread(sink, "tcp-sink");
        sinkThread.start();

        // the sender streams until told how many bytes to end at
        AtomicLong sent = new AtomicLong();
        AtomicLong endAt = new AtomicLong(Long.MAX_VALUE);
        AtomicReference<byte[]> sentDigest = new AtomicReference<>();
        AtomicReference<Throwable> sendFailure = new AtomicReference<>();
        Socket client = stack.socket(AF_INET, SOCK_STREAM, 0);
        client.connect(InetSockAddr.of("127.0.0.1", TCP_PORT));
        Thread sender = new Thread(() -> {
            try {
                MessageDigest md = MessageDigest.getInstance("SHA-256");
                SplittableRandom rnd = new SplittableRandom(TCP_PORT);
                // whole segments on lo0: a smaller write would wait for the delayed ACK (Nagle)
                byte[] chunk = new byte[64 * 1024];
                while (sent.get() < endAt.get()) {
                    rnd.nextBytes(chunk);
                    int n = (int) Math.min(chunk.length, endAt.get() - sent.get());
                    if (n <= 0) {
                        break;
                    }
                    md.update(chunk, 0, n);
                    ByteBuffer out = ByteBuffer.wrap(chunk, 0, n);
                    while (out.hasRemaining()) {
                        client.send(out, 0);
                    }
                    sent.addAndGet(n);
                }
                client.shutdown(SHUT_WR);
                sentDigest.set(md.digest());
            } catch (Throwable t) {
                sendFailure.set(t);
            }
        }, "tcp-sender");
        sender.start();
        try {
            waitFor("the transfer to be diverted", TIMEOUT, () -> first.packets.get() >= 200 && sink.received.get() >= 1 << 20);

            divert.stop();

            firstThread.join(10_000);
            Throwable readerEnd = first.end.get();
            assertTrue("the divert reader ended with " + readerEnd,
                    readerEnd instanceof SocketException se && se.errno() == Errno.ECONNABORTED);
            long divertedAtStop = first.packets.get();
            long receivedAtStop = sink.received.get();
            waitFor("the transfer to go on undiverted", TIMEOUT, () -> sink.received.get() >= receivedAtStop + (4 << 20));
            assertEquals(divertedAtStop, first.packets.get());

            divert.start();
            waitFor("divert to come back", TIMEOUT, () -> canOpenDivertSocket(stack));
            String list = sh.run("divert:rule list");
            assertTrue("rules after the restart:\n" + list, list.contains("00300") && list.contains(TCP_RULE));
            PassBack second = new PassBack(stack);
            second.so.setOption(SockOpt.SO_RCVBUF, 1024 * 1024);
            Thread secondThread = new Thread(second, "divert-reader-2");
            secondThread.start();
            long receivedAtRestart = sink.received.get();
            waitFor("the same connection to be diverted again", TIMEOUT,
                    () -> second.packets.get() >= 200 && sink.received.get() >= receivedAtRestart + (1 << 20));

            endAt.set(sent.get() + (4 << 20));
            sender.join(60_000);
            sinkThread.join(60_000);
            assertEquals(null, sendFailure.get());
            assertEquals(null, sink.failure.get());
            assertFalse("the sink read to the end", sinkThread.isAlive());
            assertEquals(sent.get(), sink.received.get());
            assertArrayEquals("SHA-256 of what arrived", sentDigest.get(), sink.digest.get());
            assertTrue(sh.run("divert:rule list").matches("(?s).*00300 +[1-9][0-9]* +[1-9][0-9]* +divert.*"));

            sh.run("divert:rule delete 300");
            second.so.close();
            secondThread.join(10_000);
        } finally {
            endAt.set(0);
            client.close();
            sink.listener.close();
            sender.join(10_000);
            sinkThread.join(10_000);
        }
    }

    private static boolean canOpen(NetStack stack, int domain, int type) {
        try {
            stack.socket(domain, type, 0).close();
            return true;
        } catch (SocketException e) {
            return false;
        }
    }

    private volatile boolean stopFlow;

    private static boolean canOpenDivertSocket(NetStack stack) {
        try {
            stack.socket(AF_DIVERT, SOCK_RAW, 0).close();
            return true;
        } catch (SocketException e) {
            return false;
        }
    }
}
