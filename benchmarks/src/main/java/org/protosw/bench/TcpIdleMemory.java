package org.protosw.bench;

import static org.protosw.socket.SocketConstants.AF_INET;
import static org.protosw.socket.SocketConstants.SOCK_STREAM;

import java.io.EOFException;
import java.io.IOException;
import java.io.PrintStream;
import java.lang.management.ManagementFactory;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

import org.protosw.internal.kern.StandaloneStack;
import org.protosw.internal.kern.Vnet;
import org.protosw.internal.socket.SocketLayer;
import org.protosw.socket.InetSockAddr;
import org.protosw.socket.SockAddr;
import org.protosw.socket.Socket;
import org.protosw.socket.SocketException;

/**
 * What an idle established TCP connection costs (issue 12: at most 4 KiB of heap beyond its
 * buffers' contents). {@value #CONNECTIONS} connections on 127.0.0.1, each having carried
 * one request and its response ({@value #MESSAGE} bytes each way, read to the end, so every
 * buffer is empty), as an idle keep-alive connection has; then the heap after full GCs,
 * less the heap before the first connect, divided by the number of endpoints. Both ends of
 * each connection are in the stack, so a connection is two endpoints here; a host serving
 * remote clients holds one per connection, which is the figure.
 *
 * <p>The kernel column is Linux's own cost of an endpoint: the growth of the slab
 * ({@code Slab} in {@code /proc/meminfo}: {@code tcp_sock}, the socket inode, its dentry
 * and file, the hash entries) over the same exercise with NIO, divided by the sockets
 * opened. Other processes' slab use falls in that difference; it is small beside tens of
 * megabytes. NIO's own Java objects are not counted (they are the application's handle,
 * as protosw's {@code Socket} would be; protosw's figure includes its handle). The kernel
 * run opens fewer connections when the process may not open enough descriptors.
 */
final class TcpIdleMemory implements BenchCase {
    static final int CONNECTIONS = 10_000;
    private static final int MESSAGE = 64;
    /** Delayed ACKs and the last window updates settle before the heap is measured. */
    private static final long SETTLE_MS = 500;

    private double bothEnds;
    private int kernelConnections;
    private long kernelSlabGrowth;

    @Override
    public String unit() {
        return "bytes per idle established endpoint, lower is better (" + CONNECTIONS
                + " connections after one request/response each; kernel: slab growth per socket)";
    }

    @Override
    public boolean higherIsBetter() {
        return false;
    }

    @Override
    public String detail() {
        return String.format(Locale.ROOT, "protosw %,.0f B for both ends of a connection; kernel: %,d connections, slab %+,.1f MiB",
                bothEnds, kernelConnections, kernelSlabGrowth / 1048576.0);
    }

    @Override
    public double protosw(double seconds, PrintStream progress) throws Exception {
        try (StandaloneStack st = Protosw.withTcp()) {
            Vnet stack = st.stack();
            stack.sysctl().find(SocketLayer.MAXSOCKETS).set(Math.max(stack.sysctl().find(SocketLayer.MAXSOCKETS).get(), 4L * CONNECTIONS));
            List<Socket> open = new ArrayList<>(2 * CONNECTIONS + 1);
            try (Socket l = stack.socket(AF_INET, SOCK_STREAM, 0)) {
                l.bind(InetSockAddr.of("127.0.0.1", 0));
                l.listen(128);
                SockAddr to = l.localAddress();
                // the first connections load and compile the paths: not part of any one connection
                for (int i = 0; i < 200; i++) {
                    try (Socket c = stack.socket(AF_INET, SOCK_STREAM, 0); Socket s = connect(l, c, to)) {
                        exchange(c, s);
                    }
                }
                Thread.sleep(SETTLE_MS);
                long before = heapAfterGc();
                for (int i = 0; i < CONNECTIONS; i++) {
                    Socket c = stack.socket(AF_INET, SOCK_STREAM, 0);
                    open.add(c);
                    open.add(connect(l, c, to));
                    exchange(c, open.get(open.size() - 1));
                    if ((i + 1) % (CONNECTIONS / 10) == 0) {
                        progress.printf(Locale.ROOT, "      %,d/%,d connections%n", i + 1, CONNECTIONS);
                    }
                }
                Thread.sleep(SETTLE_MS);
                long after = heapAfterGc();
                double perEndpoint = (after - before) / (2.0 * CONNECTIONS);
                bothEnds = 2 * perEndpoint;
                return perEndpoint;
            } finally {
                for (Socket s : open) {
                    s.close();
                }
            }
        }
    }

    private static Socket connect(Socket l, Socket c, SockAddr to) throws SocketException {
        c.connect(to);
        return l.accept();
    }

    /** One request and its response, each read whole: afterwards every buffer is empty. */
    private static void exchange(Socket c, Socket s) throws SocketException, EOFException {
        ByteBuffer b = ByteBuffer.allocate(MESSAGE);
        c.send(b);
        b.clear();
        readFully(s, b);
        b.flip();
        s.send(b);
        b.clear();
        readFully(c, b);
    }

    private static void readFully(Socket s, ByteBuffer b) throws SocketException, EOFException {
        while (b.hasRemaining()) {
            if (s.recv(b) <= 0) {
                throw new EOFException("connection closed during the exchange");
            }
        }
    }

    @Override
    public double kernel(double seconds, PrintStream progress) throws Exception {
        int n = kernelConnections();
        List<SocketChannel> open = new ArrayList<>(2 * n);
        try (ServerSocketChannel l = ServerSocketChannel.open()) {
            l.bind(new InetSocketAddress("127.0.0.1", 0), 128);
            InetSocketAddress to = (InetSocketAddress) l.getLocalAddress();
            Thread.sleep(SETTLE_MS);
            long before = slabBytes();
            for (int i = 0; i < n; i++) {
                SocketChannel c = SocketChannel.open(to);
                open.add(c);
                SocketChannel s = l.accept();
                open.add(s);
                exchange(c, s);
                if ((i + 1) % (n / 10) == 0) {
                    progress.printf(Locale.ROOT, "      %,d/%,d connections%n", i + 1, n);
                }
            }
            Thread.sleep(SETTLE_MS);
            long after = slabBytes();
            double perSocket = (after - before) / (2.0 * n);
            kernelConnections = n;
            kernelSlabGrowth = after - before;
            return perSocket;
        } finally {
            for (SocketChannel c : open) {
                c.close();
            }
        }
    }

    private static void exchange(SocketChannel c, SocketChannel s) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(MESSAGE);
        c.write(b);
        b.clear();
        readFully(s, b);
        b.flip();
        s.write(b);
        b.clear();
        readFully(c, b);
    }

    private static void readFully(SocketChannel s, ByteBuffer b) throws IOException {
        while (b.hasRemaining()) {
            if (s.read(b) < 0) {
                throw new EOFException("connection closed during the exchange");
            }
        }
    }

    /** As many connections as the descriptor limit leaves room for (two each), at most as many as protosw's run. */
    private static int kernelConnections() {
        long limit = CONNECTIONS * 2L + 512;
        if (ManagementFactory.getOperatingSystemMXBean() instanceof com.sun.management.UnixOperatingSystemMXBean u) {
            limit = u.getMaxFileDescriptorCount() - u.getOpenFileDescriptorCount();
        }
        return (int) Math.max(100, Math.min(CONNECTIONS, (limit - 512) / 2));
    }

    private static long heapAfterGc() throws InterruptedException {
        long used = Long.MAX_VALUE;
        // several collections: references cleared by one are reclaimed by the next
        for (int i = 0; i < 4; i++) {
            System.gc();
            Thread.sleep(50);
            used = Math.min(used, ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed());
        }
        return used;
    }

    private static long slabBytes() throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc/meminfo"))) {
            if (line.startsWith("Slab:")) {
                return Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024;
            }
        }
        throw new IOException("/proc/meminfo has no Slab line");
    }
}
