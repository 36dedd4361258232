package org.protosw.itest;

import static org.protosw.socket.SocketConstants.AF_DIVERT;
import static org.protosw.socket.SocketConstants.AF_INET;
import static org.protosw.socket.SocketConstants.SOCK_DGRAM;
import static org.protosw.socket.SocketConstants.SOCK_RAW;
import static org.protosw.socket.SocketConstants.SOCK_SEQPACKET;
import static org.protosw.socket.SocketConstants.SOCK_STREAM;

import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

import org.protosw.socket.Errno;
import org.protosw.socket.InAddr;
import org.protosw.socket.InetSockAddr;
import org.protosw.socket.NetStack;
import org.protosw.socket.RecvInfo;
import org.protosw.socket.SockOpt;
import org.protosw.socket.Socket;
import org.protosw.socket.SocketException;
import org.protosw.testkit.Await;

/**
 * The traffic of {@link SoakIT}: one supervised client per protocol, each a thread that opens
 * its sockets, exchanges data and checks every byte, and when its protocol goes away (an
 * errno of those an unload gives) closes what it has and opens again once the protocol is
 * back, as the project's services do. A wrong byte, or any other exception, is a failure.
 *
 * <p>The flows pause at the top of their loop, sockets open, for a sample to be taken.
 */
final class SoakFlows implements AutoCloseable {
    /** AF_IB, the IB demo's family (not referenced from its bundle: no class of it here). */
    static final int AF_IB = 27;
    static final int UDP_PORT = 9100;
    static final int DIVERTED_PORT = 9000;
    static final int DIVERT_PORT = 8668;
    static final int TCP_PORT = 9200;
    static final int IB_SERVICE = 0x3000;
    static final String DIVERT_RULE = "divert " + DIVERT_PORT + " udp from any to 127.0.0.1 " + DIVERTED_PORT + " in";

    /** What an unloaded or returning protocol gives its callers: recovered from by reopening. */
    private static final List<Errno> EXPECTED = List.of(Errno.ECONNABORTED, Errno.EPROTONOSUPPORT, Errno.ECONNRESET,
            Errno.ECONNREFUSED, Errno.ETIMEDOUT, Errno.EAGAIN, Errno.EADDRINUSE, Errno.ENOTCONN, Errno.EPIPE,
            Errno.EAFNOSUPPORT, Errno.ENETRESET, Errno.ENETDOWN);

    private final List<Flow> flows = new ArrayList<>();
    private final Map<String, Long> errors = new ConcurrentHashMap<>();
    private final AtomicReference<Throwable> failure = new AtomicReference<>();
    private volatile boolean pauseRequested;
    private volatile boolean stopped;

    SoakFlows(NetStack here, NetStack there) {
        flows.add(new UdpFlow("udp", here, UDP_PORT));
        flows.add(new UdpFlow("udp-diverted", here, DIVERTED_PORT));
        flows.add(new DivertFlow(here));
        flows.add(new TcpFlow(here));
        flows.add(new IbFlow(here, there));
    }

    static boolean allProtocolsServe(NetStack stack) {
        int[][] kinds = {{AF_INET, SOCK_DGRAM}, {AF_INET, SOCK_STREAM}, {AF_DIVERT, SOCK_RAW}, {AF_IB, SOCK_SEQPACKET}};
        for (int[] k : kinds) {
            try {
                stack.socket(k[0], k[1], 0).close();
            } catch (SocketException e) {
                return false;
            }
        }
        return true;
    }

    void start() {
        flows.forEach(f -> f.thread.start());
    }

    /** Waits until every flow has completed an exchange since this call. */
    void awaitProgress(String what, Duration bound) {
        long[] before = flows.stream().mapToLong(f -> f.exchanges.get()).toArray();
        Await.until(what + " (" + progressLine() + "; errors " + errorsLine() + ")", bound, () -> {
            assertNoFailure();
            for (int i = 0; i < flows.size(); i++) {
                if (flows.get(i).exchanges.get() <= before[i]) {
                    return false;
                }
            }
            return true;
        });
    }

    /** Every flow parked on open sockets. */
    void pause() {
        pauseRequested = true;
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (!flows.stream().allMatch(f -> f.parked)) {
            assertNoFailure();
            if (System.nanoTime() > deadline) {
                throw new AssertionError("flows not paused after 30 s: "
                        + flows.stream().filter(f -> !f.parked).map(f -> f.name + " (" + f.thread.getState() + ")").toList());
            }
            java.util.concurrent.locks.LockSupport.parkNanos(5_000_000);
        }
    }

    void resume() {
        pauseRequested = false;
        flows.forEach(f -> java.util.concurrent.locks.LockSupport.unpark(f.thread));
    }

    void assertNoFailure() {
        Throwable t = failure.get();
        if (t != null) {
            throw new AssertionError("a flow failed: " + t, t);
        }
    }

    String progressLine() {
        StringBuilder b = new StringBuilder();
        for (Flow f : flows) {
            b.append(b.isEmpty() ? "" : ", ").append(f.name).append(' ').append(f.exchanges.get());
        }
        return b.toString();
    }

    String errorsLine() {
        return errors.isEmpty() ? "none" : new java.util.TreeMap<>(errors).toString();
    }

    @Override
    public void close() throws InterruptedException {
        stopped = true;
        resume();
        for (Flow f : flows) {
            f.thread.interrupt();
            f.thread.join(10_000);
            f.closeQuietly();
        }
    }

    /** One supervised client: open, exchange until an unload's errno, close, open again. */
    private abstract class Flow implements Runnable {
        final String name;
        final Thread thread;
        final AtomicLong exchanges = new AtomicLong();
        volatile boolean parked;
        private boolean open;

        Flow(String name) {
            this.name = name;
            this.thread = new Thread(this, "soak-" + name);
            thread.setDaemon(true);
        }

        /** Opens the sockets; throws SocketException while the protocol is away. */
        abstract void open() throws SocketException;

        /** One checked exchange; false when nothing was there to exchange (not counted). */
        abstract boolean exchange() throws SocketException;

        abstract void closeQuietly();

        @Override
        public void run() {
            long n = 0;
            while (!stopped) {
                try {
                    if (!open) {
                        open();
                        open = true;
                    }
                    // parked only on open sockets, so every sample counts the same ones; a flow
                    // whose exchange fails while another is parked (the diverted datagram held
                    // by the paused natd) reopens here and parks
                    if (pauseRequested) {
                        parked = true;
                        while (pauseRequested && !stopped) {
                            java.util.concurrent.locks.LockSupport.parkNanos(1_000_000);
                        }
                        parked = false;
                        continue;
                    }
                    if (exchange()) {
                        exchanges.incrementAndGet();
                    }
                } catch (SocketException e) {
                    if (stopped) {
                        return;
                    }
                    if (!EXPECTED.contains(e.errno())) {
                        failure.compareAndSet(null, new AssertionError(name + ": " + e, e));
                        return;
                    }
                    errors.merge(name + " " + e.errno(), 1L, Long::sum);
                    closeQuietly();
                    open = false;
                    // backoff while the protocol is away
                    java.util.concurrent.locks.LockSupport.parkNanos(Math.min(20, ++n) * 1_000_000L);
                } catch (Throwable t) {
                    if (!stopped) {
                        failure.compareAndSet(null, t instanceof AssertionError ? t : new AssertionError(name + ": " + t, t));
                    }
                    return;
                }
            }
        }
    }

    /** Bytes of exchange {@code n}, so a stale or wrong one is told apart. */
    static void fill(ByteBuffer b, long n, int length) {
        b.clear();
        for (int i = 0; i < length; i++) {
            b.put((byte) (n * 31 + i));
        }
        b.flip();
    }

    static void check(String flow, ByteBuffer got, long n, int length) {
        got.flip();
        if (got.remaining() != length) {
            throw new AssertionError(flow + ": exchange " + n + " came back with " + got.remaining() + " bytes, sent " + length);
        }
        int at = firstDifference(got, n, length);
        if (at >= 0) {
            throw new AssertionError(flow + ": exchange " + n + " differs at byte " + at);
        }
    }

    /** The first of {@code length} bytes of {@code got} that is not exchange {@code n}'s, or -1. */
    private static int firstDifference(ByteBuffer got, long n, int length) {
        for (int i = 0; i < length; i++) {
            if (got.get(i) != (byte) (n * 31 + i)) {
                return i;
            }
        }
        return -1;
    }

    /** A datagram to a socket of our own on lo0 and back: UDP's send, input and receive buffer. */
    private final class UdpFlow extends Flow {
        private final NetStack stack;
        private final int port;
        private Socket rx;
        private Socket tx;
        private final ByteBuffer out = ByteBuffer.allocate(256);
        private final ByteBuffer in = ByteBuffer.allocate(2048);

        UdpFlow(String name, NetStack stack, int port) {
            super(name);
            this.stack = stack;
            this.port = port;
        }

        @Override
        void open() throws SocketException {
            rx = stack.socket(AF_INET, SOCK_DGRAM, 0);
            rx.setOption(SockOpt.SO_RCVTIMEO, 2000);
            rx.bind(InetSockAddr.of("127.0.0.1", port));
            tx = stack.socket(AF_INET, SOCK_DGRAM, 0);
            tx.connect(rx.localAddress());
        }

        @Override
        boolean exchange() throws SocketException {
            long n = exchanges.get();
            int length = datagramLength(n);
            fill(out, n, length);
            tx.send(out);
            in.clear();
            rx.recv(in);
            while (late(in, n)) {
                // an earlier exchange's datagram, intact, that came after its receive had timed
                // out and the flow had reopened on the same port (held meanwhile by a paused
                // natd or an unload): UDP may deliver late, so it is counted, not failed
                errors.merge(name + " late datagram", 1L, Long::sum);
                in.clear();
                rx.recv(in);
            }
            check(name, in, n, length);
            return true;
        }

        /** Whether {@code got} is exactly the datagram of one of the few exchanges before {@code n}. */
        private boolean late(ByteBuffer got, long n) {
            for (long m = n - 1; m >= Math.max(0, n - 4); m--) {
                if (got.position() == datagramLength(m) && firstDifference(got, m, datagramLength(m)) < 0) {
                    return true;
                }
            }
            return false;
        }

        /** Exchange {@code n}'s datagram length: 64 to 191 bytes, so a stale one often differs in length too. */
        private static int datagramLength(long n) {
            return 64 + (int) (n % 128);
        }

        @Override
        void closeQuietly() {
            if (rx != null) {
                rx.close();
            }
            if (tx != null) {
                tx.close();
            }
            rx = tx = null;
        }
    }

    /** A minimal natd on the divert port: every diverted datagram written back as it came. */
    private final class DivertFlow extends Flow {
        private final NetStack stack;
        private Socket so;
        private final ByteBuffer b = ByteBuffer.allocate(65535);

        DivertFlow(NetStack stack) {
            super("divert");
            this.stack = stack;
        }

        @Override
        void open() throws SocketException {
            so = stack.socket(AF_DIVERT, SOCK_RAW, 0);
            so.setOption(SockOpt.SO_RCVTIMEO, 200);
            so.bind(new InetSockAddr(InAddr.ANY, DIVERT_PORT));
        }

        @Override
        boolean exchange() throws SocketException {
            b.clear();
            RecvInfo ri;
            try {
                ri = so.recvfrom(b, 0);
            } catch (SocketException e) {
                if (e.errno() == Errno.EAGAIN) {
                    return false; // nothing diverted meanwhile (UDP away, or the sender paused)
                }
                throw e;
            }
            b.flip();
            so.sendto(b, 0, ri.from());
            return true;
        }

        @Override
        void closeQuietly() {
            if (so != null) {
                so.close();
            }
            so = null;
        }
    }

    /**
     * A listener, a client and the connection it accepted; each exchange goes client to server
     * and back, all in this thread (the buffers hold it). TCP reads until the length is in;
     * a SEQPACKET receive is the whole record.
     */
    private abstract class ConnectedFlow extends Flow {
        private final int length;
        private final boolean records;
        Socket listener;
        Socket client;
        Socket server;
        private final ByteBuffer out;
        private final ByteBuffer in;

        ConnectedFlow(String name, int length, boolean records) {
            super(name);
            this.length = length;
            this.records = records;
            this.out = ByteBuffer.allocate(length);
            this.in = ByteBuffer.allocate(2 * length);
        }

        @Override
        boolean exchange() throws SocketException {
            long n = exchanges.get();
            fill(out, n, length);
            writeAll(client, out);
            in.clear().limit(records ? in.capacity() : length);
            read(server, in);
            in.flip();
            writeAll(server, in);
            in.clear().limit(records ? in.capacity() : length);
            read(client, in);
            check(name, in, n, length);
            return true;
        }

        private void writeAll(Socket s, ByteBuffer b) throws SocketException {
            do {
                s.send(b);
            } while (!records && b.hasRemaining());
        }

        private void read(Socket s, ByteBuffer b) throws SocketException {
            do {
                if (s.recv(b) == 0 && !records) {
                    throw new SocketException(Errno.ECONNRESET, name + ": end of stream in the middle of an exchange");
                }
            } while (!records && b.hasRemaining());
        }

        @Override
        void closeQuietly() {
            for (Socket s : new Socket[] {client, server, listener}) {
                if (s != null) {
                    s.close();
                }
            }
            client = server = listener = null;
        }
    }

    /** 4 KiB over a loopback connection and back. */
    private final class TcpFlow extends ConnectedFlow {
        private final NetStack stack;

        TcpFlow(NetStack stack) {
            super("tcp", 4096, false);
            this.stack = stack;
        }

        @Override
        void open() throws SocketException {
            listener = stack.socket(AF_INET, SOCK_STREAM, 0);
            listener.setOption(SockOpt.SO_REUSEADDR, true);
            listener.setOption(SockOpt.SO_RCVTIMEO, 5000);
            listener.bind(InetSockAddr.of("127.0.0.1", TCP_PORT));
            listener.listen(4);
            client = stack.socket(AF_INET, SOCK_STREAM, 0);
            client.setOption(SockOpt.SO_RCVTIMEO, 5000);
            client.connect(listener.localAddress());
            server = listener.accept();
            server.setOption(SockOpt.SO_RCVTIMEO, 5000);
        }
    }

    /** A 1 KiB record over an RC queue pair across the epair to vnet b and back (IB over UDP 4791). */
    private final class IbFlow extends ConnectedFlow {
        private final NetStack here;
        private final NetStack there;

        IbFlow(NetStack here, NetStack there) {
            super("ib", 1024, true);
            this.here = here;
            this.there = there;
        }

        @Override
        void open() throws SocketException {
            listener = there.socket(AF_IB, SOCK_SEQPACKET, 0);
            listener.setOption(SockOpt.SO_RCVTIMEO, 5000);
            listener.bind(there.parseAddress(AF_IB, "[::]:" + IB_SERVICE));
            listener.listen(4);
            AtomicReference<Object> accepted = new AtomicReference<>();
            Socket l = listener;
            Thread acceptor = new Thread(() -> {
                try {
                    accepted.set(l.accept());
                } catch (SocketException e) {
                    accepted.set(e);
                }
            }, "soak-ib-accept");
            acceptor.setDaemon(true);
            acceptor.start();
            try {
                client = here.socket(AF_IB, SOCK_SEQPACKET, 0);
                client.setOption(SockOpt.SO_RCVTIMEO, 5000);
                client.connect(here.parseAddress(AF_IB, "[::ffff:192.0.2.2]:" + IB_SERVICE));
            } finally {
                try {
                    acceptor.join(10_000);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
            Object a = accepted.get();
            if (a instanceof SocketException e) {
                throw e;
            }
            if (!(a instanceof Socket s)) {
                throw new SocketException(Errno.ETIMEDOUT, "ib: no connection accepted within 10 s");
            }
            server = s;
            server.setOption(SockOpt.SO_RCVTIMEO, 5000);
        }
    }
}
