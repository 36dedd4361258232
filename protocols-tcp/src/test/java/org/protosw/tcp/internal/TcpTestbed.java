package org.protosw.tcp.internal;

import java.nio.ByteBuffer;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Random;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import org.protosw.internal.kern.StandaloneStack;
import org.protosw.internal.kern.Vnet;
import org.protosw.internal.net.Epair;
import org.protosw.internal.net.PipeConfig;
import org.protosw.socket.InAddr;
import org.protosw.socket.InetSockAddr;
import org.protosw.socket.Socket;
import org.protosw.socket.SocketConstants;
import org.protosw.socket.SocketException;
import org.protosw.spi.IfAddr;

/**
 * The real core without OSGi, TCP registered as its bundle would, and two stack instances
 * joined by an epair: {@code a} (the default instance, 10.0.0.1) and {@code b} (10.0.0.2).
 */
final class TcpTestbed implements AutoCloseable {
    static final InAddr A = InAddr.of(10, 0, 0, 1);
    static final InAddr B = InAddr.of(10, 0, 0, 2);

    final StandaloneStack stack;
    /** The TCP revision registered now ({@link #upgrade} replaces it). */
    volatile TcpProtoSw sw = new TcpProtoSw();
    final Vnet a;
    final Vnet b;
    final Epair pair;
    private final ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor();

    TcpTestbed() throws Exception {
        this(A, B);
    }

    /** The same, with {@code addrA} and {@code addrB} (one /24) on the epair's ends instead of {@link #A} and {@link #B}. */
    TcpTestbed(InAddr addrA, InAddr addrB) throws Exception {
        stack = new StandaloneStack();
        stack.register(sw, TcpProtoSw.PROPERTIES, "org.protosw.tcp (test)");
        currentSw = sw;
        a = stack.stack();
        b = stack.createVnet("b");
        pair = new Epair(stack.core().nextEpairUnit());
        a.attachInterface(pair.a());
        b.attachInterface(pair.b());
        a.addAddress(pair.a(), new IfAddr(addrA, 24, new InAddr(addrA.bits() | 0xff)));
        b.addAddress(pair.b(), new IfAddr(addrB, 24, new InAddr(addrB.bits() | 0xff)));
        pair.a().setUp(true);
        pair.b().setUp(true);
    }

    /**
     * A live upgrade to a new TcpProtoSw, as a bundle update would make it: the running
     * revision is frozen and exported, the new one registers and imports.
     */
    TcpProtoSw upgrade() {
        return upgradeTo(new TcpProtoSw());
    }

    /** A live upgrade to {@code next} (any ProtoSw with TCP's properties). */
    <S extends org.protosw.spi.ProtoSw> S upgradeTo(S next) {
        stack.core().registry().unregisterForUpgrade(currentSw);
        stack.register(next, TcpProtoSw.PROPERTIES, "org.protosw.tcp (test, next revision)");
        currentSw = next;
        sw = next instanceof TcpProtoSw t ? t : null;
        return next;
    }

    private volatile org.protosw.spi.ProtoSw currentSw;

    TcpProtocol tcp(Vnet v) {
        return sw.instance(v.name());
    }

    /** A pipe on both ends' outbound side, e.g. "delay 20ms plr 0.02 seed 3". */
    void pipes(String config) throws SocketException {
        a.pipes().config(1, PipeConfig.parse(config + " seed 11"));
        a.pipes().attach(1, pair.a(), false);
        b.pipes().config(1, PipeConfig.parse(config + " seed 17"));
        b.pipes().attach(1, pair.b(), false);
    }

    static Socket tcpSocket(Vnet v) throws SocketException {
        return v.socket(SocketConstants.AF_INET, SocketConstants.SOCK_STREAM, SocketConstants.IPPROTO_TCP);
    }

    static Socket listener(Vnet v, InAddr addr, int port, int backlog) throws SocketException {
        Socket s = tcpSocket(v);
        s.bind(new InetSockAddr(addr, port));
        s.listen(backlog);
        return s;
    }

    <T> Future<T> async(Callable<T> task) {
        return pool.submit(task);
    }

    static byte[] randomBytes(int n, long seed) {
        byte[] b = new byte[n];
        new Random(seed).nextBytes(b);
        return b;
    }

    static byte[] sha256(byte[] data) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(data);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Sends all of {@code data}, in writes of at most {@code chunk} bytes. */
    static void sendAll(Socket s, byte[] data, int chunk) throws SocketException {
        int off = 0;
        while (off < data.length) {
            int n = Math.min(chunk, data.length - off);
            ByteBuffer bb = ByteBuffer.wrap(data, off, n);
            while (bb.hasRemaining()) {
                s.send(bb);
            }
            off += n;
        }
    }

    /** Reads until end of stream (or {@code max} bytes); returns what arrived. */
    static byte[] readAll(Socket s, int max) throws SocketException {
        byte[] out = new byte[max];
        int got = 0;
        while (got < max) {
            int n = s.recv(ByteBuffer.wrap(out, got, max - got));
            if (n <= 0) {
                break;
            }
            got += n;
        }
        return java.util.Arrays.copyOf(out, got);
    }

    /** What one end of a streamed transfer saw: the byte count and the SHA-256 of the bytes. */
    record StreamDigest(long bytes, byte[] sha256) {
        @Override
        public boolean equals(Object o) {
            return o instanceof StreamDigest d && d.bytes == bytes && java.util.Arrays.equals(d.sha256, sha256);
        }

        @Override
        public int hashCode() {
            return Long.hashCode(bytes) * 31 + java.util.Arrays.hashCode(sha256);
        }

        @Override
        public String toString() {
            return bytes + " bytes, SHA-256 " + java.util.HexFormat.of().formatHex(sha256);
        }
    }

    private static MessageDigest newSha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * Sends {@code size} bytes of the stream a seeded generator makes, in writes of at most
     * {@code chunk} bytes (a multiple of 8), hashing them on the way: large transfers need
     * no array of their size.
     */
    static StreamDigest sendStream(Socket s, long size, long seed, int chunk) throws SocketException {
        return sendStream(s, size, seed, chunk, null);
    }

    /** {@link #sendStream(Socket, long, long, int)}, adding each byte handed over to {@code moved}. */
    static StreamDigest sendStream(Socket s, long size, long seed, int chunk, java.util.concurrent.atomic.AtomicLong moved)
            throws SocketException {
        MessageDigest md = newSha256();
        java.util.SplittableRandom rnd = new java.util.SplittableRandom(seed);
        ByteBuffer buf = ByteBuffer.allocate(chunk);
        long sent = 0;
        while (sent < size) {
            buf.clear();
            while (buf.remaining() >= Long.BYTES) {
                buf.putLong(rnd.nextLong());
            }
            buf.flip();
            buf.limit((int) Math.min(chunk, size - sent));
            md.update(buf.array(), 0, buf.limit());
            while (buf.hasRemaining()) {
                int n = s.send(buf);
                if (moved != null) {
                    moved.addAndGet(n);
                }
            }
            sent += buf.limit();
        }
        return new StreamDigest(sent, md.digest());
    }

    /** Reads until end of stream, hashing what arrives. */
    static StreamDigest readStream(Socket s) throws SocketException {
        return readStream(s, Long.MAX_VALUE);
    }

    /** Reads until end of stream or {@code max} bytes, hashing what arrives. */
    static StreamDigest readStream(Socket s, long max) throws SocketException {
        return readStream(s, max, null);
    }

    /** {@link #readStream(Socket, long)}, adding each byte read to {@code moved}. */
    static StreamDigest readStream(Socket s, long max, java.util.concurrent.atomic.AtomicLong moved) throws SocketException {
        MessageDigest md = newSha256();
        ByteBuffer buf = ByteBuffer.allocate((int) Math.min(64 * 1024, max));
        long got = 0;
        while (got < max) {
            buf.clear();
            buf.limit((int) Math.min(buf.capacity(), max - got));
            int n = s.recv(buf);
            if (n <= 0) {
                break;
            }
            md.update(buf.array(), 0, n);
            got += n;
            if (moved != null) {
                moved.addAndGet(n);
            }
        }
        return new StreamDigest(got, md.digest());
    }

    /** What {@link #sendStream} sends for {@code size} and {@code seed}, without a socket. */
    static StreamDigest expectedStream(long size, long seed) {
        MessageDigest md = newSha256();
        java.util.SplittableRandom rnd = new java.util.SplittableRandom(seed);
        ByteBuffer buf = ByteBuffer.allocate(8);
        for (long done = 0; done < size; done += Long.BYTES) {
            buf.clear();
            buf.putLong(rnd.nextLong());
            md.update(buf.array(), 0, (int) Math.min(Long.BYTES, size - done));
        }
        return new StreamDigest(size, md.digest());
    }

    /** Waits (bounded) for a condition; true when it held in time. */
    static boolean eventually(long timeoutMs, java.util.function.BooleanSupplier cond) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMs);
        while (System.nanoTime() < deadline) {
            if (cond.getAsBoolean()) {
                return true;
            }
            Thread.sleep(5);
        }
        return cond.getAsBoolean();
    }

    /**
     * Waits until a caller is inside a call on {@code s} and parked there, so what the test
     * does next wakes a blocked caller rather than one that has not started (under load a
     * sleep may end before the call begins).
     */
    static void awaitBlocked(Socket s) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (true) {
            java.util.List<Thread> in = ((org.protosw.internal.socket.SocketImpl) s).threadsInFlight();
            if (!in.isEmpty() && in.stream().allMatch(t -> t.getState() == Thread.State.WAITING || t.getState() == Thread.State.TIMED_WAITING)) {
                return;
            }
            if (System.nanoTime() > deadline) {
                throw new AssertionError("no caller blocked in a call on " + s + " after 10 s (in flight: " + in + ")");
            }
            Thread.sleep(1);
        }
    }

    long stat(Vnet v, String name) {
        Long x = tcp(v).statistics().get(name);
        if (x == null) {
            throw new IllegalArgumentException("no TCP statistic '" + name + "'");
        }
        return x;
    }

    /**
     * The future's value within 60 s, or an AssertionError saying what was stuck: each
     * socket's TCP_INFO, both vnets' non-zero TCP counters, and the stacks of the threads
     * that move segments (a hang under load is read from this, not reproduced).
     */
    <T> T await(java.util.concurrent.Future<T> f, String what, Socket... sockets) throws Exception {
        try {
            return f.get(60, TimeUnit.SECONDS);
        } catch (java.util.concurrent.TimeoutException e) {
            throw new AssertionError(stallReport(what + " did not finish in 60 s", sockets), e);
        }
    }

    /**
     * Waits for {@code f} as long as {@code progress} (bytes moved, say) keeps changing: a
     * transfer that is slow because its link is bad is waited for, one where nothing moved for
     * {@code quietSeconds} fails at once with {@link #stallReport}, each control block's
     * variables included.
     */
    <T> T awaitProgress(java.util.concurrent.Future<T> f, java.util.function.LongSupplier progress, long quietSeconds,
            String what, Socket... sockets) throws Exception {
        long seen = progress.getAsLong();
        long lastMove = System.nanoTime();
        while (true) {
            try {
                return f.get(200, TimeUnit.MILLISECONDS);
            } catch (java.util.concurrent.TimeoutException e) {
                long now = progress.getAsLong();
                if (now != seen) {
                    seen = now;
                    lastMove = System.nanoTime();
                } else if (System.nanoTime() - lastMove > TimeUnit.SECONDS.toNanos(quietSeconds)) {
                    throw new AssertionError(stallReport(what + ": nothing moved for " + quietSeconds + " s", sockets), e);
                }
            }
        }
    }

    /**
     * What a hang is read from (it is not reproduced): each socket's TCP_INFO, every control
     * block's variables, both vnets' non-zero TCP counters, and the stacks of the threads that
     * move segments.
     */
    String stallReport(String headline, Socket... sockets) {
        StringBuilder sb = new StringBuilder(headline);
        for (Socket s : sockets) {
            try {
                sb.append("\n  ").append(s).append(": ").append(s.getOption(org.protosw.tcp.TcpSockOpts.TCP_INFO));
            } catch (RuntimeException | org.protosw.socket.SocketException x) {
                sb.append("\n  ").append(s).append(": ").append(x);
            }
        }
        for (Vnet v : java.util.List.of(a, b)) {
            for (var inp : tcp(v).table().list()) {
                sb.append("\n  ").append(v.name()).append(' ').append(variables(inp.owner()));
            }
            sb.append("\n  tcp statistics of ").append(v.name()).append(':');
            tcp(v).statistics().forEach((k, n) -> {
                if (n != 0) {
                    sb.append("\n    ").append(n).append(' ').append(k);
                }
            });
        }
        Thread.getAllStackTraces().forEach((t, frames) -> {
            String n = t.getName();
            if (n.startsWith("callout") || n.startsWith("netisr") || n.startsWith("pipe") || n.startsWith("pool")) {
                sb.append("\n  thread ").append(n).append(' ').append(t.getState());
                for (int i = 0; i < Math.min(frames.length, 10); i++) {
                    sb.append("\n      at ").append(frames[i]);
                }
            }
        });
        return sb.toString();
    }

    /** A control block's sequence space, windows, congestion state, timers and buffers, on one line. */
    static String variables(TcpCb cb) {
        boolean locked;
        try {
            locked = cb.lock.tryLock(100, TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            locked = false;
        }
        try {
            return (locked ? "" : "(lock held elsewhere, read unlocked) ") + cb + " flags=0x" + Integer.toHexString(cb.flags) + " una=" + Integer.toUnsignedString(cb.sndUna)
                    + " nxt=+" + (cb.sndNxt - cb.sndUna) + " max=+" + (cb.sndMax - cb.sndUna) + " sndWnd=" + cb.sndWnd
                    + " rcvNxt=" + Integer.toUnsignedString(cb.rcvNxt) + " rcvAdv=+" + (cb.rcvAdv - cb.rcvNxt)
                    + " lastAckSent=" + (cb.lastAckSent - cb.rcvNxt) + " cwnd=" + cb.cwnd + " ssthresh=" + cb.ssthresh
                    + " dupacks=" + cb.dupacks + " recover=+" + (cb.recover - cb.sndUna) + " rxtshift=" + cb.rxtshift
                    + " rto=" + cb.rto + " persist=" + cb.persistMode + " rexmt=" + timer(cb.rexmtTimer)
                    + " delack=" + timer(cb.delackTimer) + " sack=" + cb.sackBoard.exportState()
                    + " snd=" + buffer(cb.snd) + " rcv=" + buffer(cb.rcv) + " reass=" + cb.reass.segments() + "/"
                    + cb.reass.bytes() + " sndScale=" + cb.sndScale + " rcvScale=" + cb.rcvScale + " maxseg=" + cb.maxseg;
        } finally {
            if (locked) {
                cb.lock.unlock();
            }
        }
    }

    private static String timer(org.protosw.spi.Callout c) {
        return c.pending() ? c.remaining(TimeUnit.MILLISECONDS) + "ms" : "off";
    }

    private static String buffer(org.protosw.spi.SockBuf sb) {
        return sb == null ? "none" : sb.cc() + "/" + sb.hiwat() + (sb.cantMore() ? " cantmore" : "");
    }

    @Override
    public void close() {
        pool.shutdownNow();
        stack.close();
    }
}
