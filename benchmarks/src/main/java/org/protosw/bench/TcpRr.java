package org.protosw.bench;

import java.io.EOFException;
import java.io.PrintStream;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.util.concurrent.atomic.AtomicLong;

import org.protosw.internal.kern.StandaloneStack;
import org.protosw.socket.Socket;
import org.protosw.socket.SocketException;

/**
 * Request/response: one byte each way over one connection, TCP_NODELAY on both ends, one
 * client thread and one server thread; the figure is completed round trips per second.
 */
final class TcpRr implements BenchCase {
    private static final String FORMAT = "%,.0f round trips/s";
    private double protoswAlloc = Double.NaN;
    private double kernelAlloc = Double.NaN;

    @Override
    public String unit() {
        return "1-byte round trips/s (TCP_NODELAY)";
    }

    @Override
    public String detail() {
        return String.format(java.util.Locale.ROOT, "heap allocated per round trip (all threads): protosw %,.0f B, kernel (NIO) %,.0f B", protoswAlloc, kernelAlloc);
    }

    @Override
    public double protosw(double seconds, PrintStream progress) throws Exception {
        try (StandaloneStack st = Protosw.withTcp(); TcpPair.Protosw p = TcpPair.protosw(st.stack(), true, 0)) {
            Workers w = new Workers();
            AtomicLong trips = new AtomicLong();
            w.start("bench-rr-server", () -> {
                ByteBuffer b = ByteBuffer.allocate(1);
                while (true) {
                    b.clear();
                    if (!read(p.server(), b)) {
                        return;
                    }
                    b.flip();
                    p.server().send(b);
                }
            });
            w.start("bench-rr-client", () -> {
                ByteBuffer b = ByteBuffer.allocate(1);
                while (w.running()) {
                    b.clear();
                    p.client().send(b);
                    b.clear();
                    if (!read(p.client(), b)) {
                        throw new EOFException("server went away");
                    }
                    trips.lazySet(trips.get() + 1);
                }
            });
            double r = w.measure(seconds, progress, trips::get, 1, FORMAT);
            protoswAlloc = w.allocatedPerCount();
            w.stop(p::close);
            return r;
        }
    }

    private static boolean read(Socket s, ByteBuffer b) throws SocketException {
        while (b.hasRemaining()) {
            if (s.recv(b) <= 0) {
                return false;
            }
        }
        return true;
    }

    @Override
    public double kernel(double seconds, PrintStream progress) throws Exception {
        try (TcpPair.Kernel p = TcpPair.kernel(true, 0)) {
            Workers w = new Workers();
            AtomicLong trips = new AtomicLong();
            w.start("bench-rr-server-kernel", () -> {
                ByteBuffer b = ByteBuffer.allocateDirect(1);
                while (true) {
                    b.clear();
                    if (!read(p.server(), b)) {
                        return;
                    }
                    b.flip();
                    p.server().write(b);
                }
            });
            w.start("bench-rr-client-kernel", () -> {
                ByteBuffer b = ByteBuffer.allocateDirect(1);
                while (w.running()) {
                    b.clear();
                    p.client().write(b);
                    b.clear();
                    if (!read(p.client(), b)) {
                        throw new EOFException("server went away");
                    }
                    trips.lazySet(trips.get() + 1);
                }
            });
            double r = w.measure(seconds, progress, trips::get, 1, FORMAT);
            kernelAlloc = w.allocatedPerCount();
            w.stop(p::close);
            return r;
        }
    }

    private static boolean read(SocketChannel s, ByteBuffer b) throws java.io.IOException {
        while (b.hasRemaining()) {
            if (s.read(b) < 0) {
                return false;
            }
        }
        return true;
    }
}
