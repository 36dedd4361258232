package org.protosw.itest;

import static org.protosw.socket.SocketConstants.AF_INET;
import static org.protosw.socket.SocketConstants.SOCK_STREAM;

import java.nio.ByteBuffer;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.SplittableRandom;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

import org.protosw.socket.InetSockAddr;
import org.protosw.socket.NetStack;
import org.protosw.socket.SockOpt;
import org.protosw.socket.Socket;
import org.protosw.socket.SocketConstants;
import org.protosw.socket.SocketException;

/**
 * Many TCP connections on lo0, each streaming both ways at a gentle pace until told to stop,
 * every byte hashed (SHA-256) by its writer and by the reader at the other end: what an upgrade
 * test runs underneath the upgrades. Small explicit buffers (which also turn autotuning off)
 * keep a thousand connections within a test JVM's heap.
 */
final class TcpStreams implements AutoCloseable {
    private static final int CHUNK = 1024;
    private static final int BUFFER = 16 * 1024;
    /** The pause between a writer's chunks: a thousand connections stay a light load. */
    private static final long PACE_MILLIS = 50;

    /** One direction of one connection: what its writer wrote, what the reader at the other end read. */
    record Stream(String name, Future<byte[]> written, Future<byte[]> read) {
    }

    /** What the streams did: how many, the bytes moved, failures (a call that threw) and streams whose digests differ. */
    record Result(long streams, long bytes, List<String> failures, List<String> mismatches) {
    }

    private final NetStack stack;
    private final Socket listener;
    private final ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor();
    private final List<Socket> sockets = new ArrayList<>();
    private final List<Stream> streams = new ArrayList<>();
    private final AtomicBoolean stop = new AtomicBoolean();
    private final AtomicLong moved = new AtomicLong();
    private final ConcurrentLinkedQueue<String> failures = new ConcurrentLinkedQueue<>();

    private TcpStreams(NetStack stack, Socket listener) {
        this.stack = stack;
        this.listener = listener;
    }

    /** {@code count} connections to a listener on 127.0.0.1, streaming both ways from now on. */
    static TcpStreams open(NetStack stack, int count) throws Exception {
        Socket l = stack.socket(AF_INET, SOCK_STREAM, 0);
        l.bind(InetSockAddr.of("127.0.0.1", 0));
        l.listen(count + 16);
        TcpStreams t = new TcpStreams(stack, l);
        for (int i = 0; i < count; i++) {
            t.connectOne("c" + i, true);
        }
        return t;
    }

    private void connectOne(String name, boolean streaming) throws Exception {
        Socket c = stack.socket(AF_INET, SOCK_STREAM, 0);
        c.setOption(SockOpt.SO_SNDBUF, BUFFER);
        c.setOption(SockOpt.SO_RCVBUF, BUFFER);
        c.connect(listener.localAddress());
        Socket s = listener.accept();
        s.setOption(SockOpt.SO_SNDBUF, BUFFER);
        s.setOption(SockOpt.SO_RCVBUF, BUFFER);
        sockets.add(c);
        sockets.add(s);
        long seed = streams.size();
        if (streaming) {
            streams.add(new Stream(name + " client->server", pool.submit(() -> write(c, name + " client", seed)),
                    pool.submit(() -> read(s, name + " server"))));
            streams.add(new Stream(name + " server->client", pool.submit(() -> write(s, name + " server", seed + 1)),
                    pool.submit(() -> read(c, name + " client"))));
        } else {
            // a short exchange on a connection made after the upgrades
            byte[] hello = (name + " hello").getBytes(java.nio.charset.StandardCharsets.US_ASCII);
            c.send(ByteBuffer.wrap(hello));
            ByteBuffer got = ByteBuffer.allocate(hello.length);
            while (got.hasRemaining()) {
                if (s.recv(got) <= 0) {
                    throw new AssertionError(name + ": end of stream before " + hello.length + " bytes");
                }
            }
            if (!Arrays.equals(got.array(), hello)) {
                throw new AssertionError(name + ": read other bytes than were sent");
            }
        }
    }

    /** {@code count} new connections to the same listener, each exchanging a few bytes. */
    void connectMore(int count) throws Exception {
        for (int i = 0; i < count; i++) {
            connectOne("late" + i, false);
        }
    }

    private byte[] write(Socket s, String name, long seed) throws Exception {
        MessageDigest md = sha256();
        SplittableRandom rnd = new SplittableRandom(seed);
        ByteBuffer buf = ByteBuffer.allocate(CHUNK);
        try {
            while (!stop.get()) {
                buf.clear();
                while (buf.hasRemaining()) {
                    buf.putLong(rnd.nextLong());
                }
                buf.flip();
                md.update(buf.array(), 0, buf.limit());
                while (buf.hasRemaining()) {
                    moved.addAndGet(s.send(buf));
                }
                Thread.sleep(PACE_MILLIS);
            }
            s.shutdown(SocketConstants.SHUT_WR);
        } catch (SocketException e) {
            failures.add(name + " send: " + e);
            throw e;
        }
        return md.digest();
    }

    private byte[] read(Socket s, String name) throws Exception {
        MessageDigest md = sha256();
        ByteBuffer buf = ByteBuffer.allocate(BUFFER);
        try {
            while (true) {
                buf.clear();
                int n = s.recv(buf);
                if (n <= 0) {
                    return md.digest();
                }
                md.update(buf.array(), 0, n);
                moved.addAndGet(n);
            }
        } catch (SocketException e) {
            failures.add(name + " recv: " + e);
            throw e;
        }
    }

    /** The first failure seen so far, if any. */
    Optional<String> failures() {
        return Optional.ofNullable(failures.peek());
    }

    /** Waits until more bytes have moved than now; fails after {@code timeout}. */
    void awaitProgress(Duration timeout) throws InterruptedException {
        long start = moved.get();
        long deadline = System.nanoTime() + timeout.toNanos();
        // a few chunks on every connection, not just one byte somewhere
        long want = start + (long) streams.size() * CHUNK * 2;
        while (moved.get() < want) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("traffic stalled: " + (moved.get() - start) + " bytes moved in " + timeout.toMillis()
                        + " ms (" + failures.size() + " failures" + failures().map(f -> ", first: " + f).orElse("") + ")");
            }
            Thread.sleep(20);
        }
    }

    /** Stops the writers, waits for every stream to end and compares each writer's digest with its reader's. */
    Result finish(Duration timeout) throws Exception {
        stop.set(true);
        long deadline = System.nanoTime() + timeout.toNanos();
        List<String> mismatches = new ArrayList<>();
        for (Stream st : streams) {
            try {
                byte[] w = st.written().get(Math.max(1, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
                byte[] r = st.read().get(Math.max(1, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
                if (!Arrays.equals(w, r)) {
                    mismatches.add(st.name());
                }
            } catch (java.util.concurrent.ExecutionException e) {
                // the failing call is in failures already
            } catch (java.util.concurrent.TimeoutException e) {
                failures.add(st.name() + " did not end within " + timeout.toSeconds() + " s");
            }
        }
        return new Result(streams.size(), moved.get(), new ArrayList<>(failures), mismatches);
    }

    private static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    @Override
    public void close() {
        stop.set(true);
        for (Socket s : sockets) {
            s.close();
        }
        listener.close();
        pool.shutdownNow();
    }
}
