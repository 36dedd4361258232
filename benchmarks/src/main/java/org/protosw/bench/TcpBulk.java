package org.protosw.bench;

import java.io.PrintStream;
import java.nio.ByteBuffer;
import java.util.concurrent.atomic.AtomicLong;

import org.protosw.internal.kern.StandaloneStack;

/**
 * One TCP stream over 127.0.0.1: a sender thread writes 64 KiB at a time, a receiver thread
 * reads 64 KiB at a time; the figure is what the receiver got, in Gbit/s. With
 * {@code buffers} 0 each stack keeps its default socket buffers (Linux autotunes them up to
 * megabytes; protosw keeps net.inet.tcp.sendspace and recvspace); otherwise both ends of
 * both stacks set SO_SNDBUF and SO_RCVBUF to it.
 */
final class TcpBulk implements BenchCase {
    private final int buffers;

    TcpBulk(int buffers) {
        this.buffers = buffers;
    }

    private static final int WRITE = 64 * 1024;
    private static final double GBIT = 8 / 1e9;
    private static final String FORMAT = "%,.2f Gbit/s received";
    private double protoswAlloc = Double.NaN;
    private double kernelAlloc = Double.NaN;

    @Override
    public String unit() {
        return "Gbit/s received (64 KiB writes, " + (buffers == 0 ? "default buffers)" : "SO_SNDBUF/SO_RCVBUF " + (buffers >> 10) + " KiB)");
    }

    @Override
    public String detail() {
        return String.format(java.util.Locale.ROOT, "heap allocated per MiB received (all threads): protosw %,.0f B, kernel (NIO) %,.0f B",
                protoswAlloc * (1 << 20), kernelAlloc * (1 << 20));
    }

    @Override
    public double protosw(double seconds, PrintStream progress) throws Exception {
        try (StandaloneStack st = Protosw.withTcp(); TcpPair.Protosw p = TcpPair.protosw(st.stack(), false, buffers)) {
            Workers w = new Workers();
            AtomicLong received = new AtomicLong();
            w.start("bench-tcp-rx", () -> {
                ByteBuffer b = ByteBuffer.allocate(WRITE);
                while (true) {
                    b.clear();
                    int n = p.server().recv(b);
                    if (n <= 0) {
                        return;
                    }
                    received.addAndGet(n);
                }
            });
            w.start("bench-tcp-tx", () -> {
                ByteBuffer b = ByteBuffer.allocate(WRITE);
                while (w.running()) {
                    b.clear();
                    while (b.hasRemaining()) {
                        p.client().send(b);
                    }
                }
            });
            double r = w.measure(seconds, progress, received::get, GBIT, FORMAT);
            protoswAlloc = w.allocatedPerCount();
            w.stop(p::close);
            return r;
        }
    }

    @Override
    public double kernel(double seconds, PrintStream progress) throws Exception {
        try (TcpPair.Kernel p = TcpPair.kernel(false, buffers)) {
            Workers w = new Workers();
            AtomicLong received = new AtomicLong();
            w.start("bench-tcp-rx-kernel", () -> {
                ByteBuffer b = ByteBuffer.allocateDirect(WRITE);
                while (true) {
                    b.clear();
                    int n = p.server().read(b);
                    if (n < 0) {
                        return;
                    }
                    received.addAndGet(n);
                }
            });
            w.start("bench-tcp-tx-kernel", () -> {
                ByteBuffer b = ByteBuffer.allocateDirect(WRITE);
                while (w.running()) {
                    b.clear();
                    while (b.hasRemaining()) {
                        p.client().write(b);
                    }
                }
            });
            double r = w.measure(seconds, progress, received::get, GBIT, FORMAT);
            kernelAlloc = w.allocatedPerCount();
            w.stop(p::close);
            return r;
        }
    }
}
