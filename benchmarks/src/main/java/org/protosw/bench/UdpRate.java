package org.protosw.bench;

import static org.protosw.socket.SocketConstants.AF_INET;
import static org.protosw.socket.SocketConstants.SOCK_DGRAM;

import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

import org.protosw.internal.kern.StandaloneStack;
import org.protosw.socket.InetSockAddr;
import org.protosw.socket.NetStack;
import org.protosw.socket.SockOpt;
import org.protosw.socket.Socket;
import org.protosw.socket.SocketException;

/**
 * UDP datagrams per second: 64-byte payloads, one sender thread, one receiver thread, over
 * 127.0.0.1. The figure is datagrams received per second (what the application gets).
 */
final class UdpRate implements BenchCase {
    private static final int PAYLOAD = 64;
    private static final int RCVBUF = 1 << 20;

    @Override
    public String unit() {
        return "datagrams/s received (64 B)";
    }

    @Override
    public double protosw(double seconds, PrintStream progress) throws Exception {
        try (StandaloneStack s = Protosw.withUdp()) {
            NetStack stack = s.stack();
            try (Socket rx = stack.socket(AF_INET, SOCK_DGRAM, 0); Socket tx = stack.socket(AF_INET, SOCK_DGRAM, 0)) {
                rx.setOption(SockOpt.SO_RCVBUF, RCVBUF);
                rx.setOption(SockOpt.SO_RCVTIMEO, 200);
                rx.bind(InetSockAddr.of("127.0.0.1", 0));
                tx.connect(rx.localAddress());
                AtomicBoolean stop = new AtomicBoolean();
                AtomicLong received = new AtomicLong();
                Thread receiver = Thread.ofPlatform().name("bench-rx").start(() -> {
                    ByteBuffer b = ByteBuffer.allocate(2048);
                    while (!stop.get()) {
                        b.clear();
                        try {
                            rx.recv(b);
                            received.incrementAndGet();
                        } catch (SocketException e) {
                            // SO_RCVTIMEO expiry lets the loop see the stop flag
                        }
                    }
                });
                long sent = run(seconds, progress, received, () -> {
                    ByteBuffer b = ByteBuffer.allocate(PAYLOAD);
                    try {
                        tx.send(b);
                    } catch (SocketException e) {
                        return false;
                    }
                    return true;
                });
                stop.set(true);
                receiver.join();
                return report(progress, sent, received.get(), seconds);
            }
        }
    }

    @Override
    public double kernel(double seconds, PrintStream progress) throws Exception {
        try (DatagramChannel rx = DatagramChannel.open(); DatagramChannel tx = DatagramChannel.open()) {
            rx.setOption(StandardSocketOptions.SO_RCVBUF, RCVBUF);
            rx.bind(new InetSocketAddress("127.0.0.1", 0));
            tx.connect(rx.getLocalAddress());
            AtomicBoolean stop = new AtomicBoolean();
            AtomicLong received = new AtomicLong();
            rx.configureBlocking(false);
            Thread receiver = Thread.ofPlatform().name("bench-rx-kernel").start(() -> {
                ByteBuffer b = ByteBuffer.allocateDirect(2048);
                try (java.nio.channels.Selector sel = java.nio.channels.Selector.open()) {
                    rx.register(sel, java.nio.channels.SelectionKey.OP_READ);
                    while (!stop.get()) {
                        b.clear();
                        if (rx.receive(b) != null) {
                            received.incrementAndGet();
                        } else {
                            sel.select(200);
                            sel.selectedKeys().clear();
                        }
                    }
                } catch (java.io.IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            });
            ByteBuffer b = ByteBuffer.allocateDirect(PAYLOAD);
            long sent = run(seconds, progress, received, () -> {
                b.clear();
                try {
                    tx.write(b);
                } catch (java.io.IOException e) {
                    return false;
                }
                return true;
            });
            stop.set(true);
            receiver.join();
            return report(progress, sent, received.get(), seconds);
        }
    }

    interface SendOne {
        boolean send();
    }

    /** Sends for the given time, printing progress each second; returns datagrams sent. */
    private static long run(double seconds, PrintStream progress, AtomicLong received, SendOne one) {
        long start = System.nanoTime();
        long end = start + (long) (seconds * 1e9);
        long nextReport = start + 1_000_000_000L;
        long sent = 0;
        long lastRx = 0;
        while (true) {
            for (int i = 0; i < 256; i++) {
                if (one.send()) {
                    sent++;
                }
            }
            long now = System.nanoTime();
            if (now >= nextReport) {
                long rx = received.get();
                progress.printf(Locale.ROOT, "  %5.1f s: %,d datagrams/s received%n", (now - start) / 1e9, rx - lastRx);
                lastRx = rx;
                nextReport += 1_000_000_000L;
            }
            if (now >= end) {
                return sent;
            }
        }
    }

    private static double report(PrintStream progress, long sent, long received, double seconds) {
        progress.printf(Locale.ROOT, "  sent %,d, received %,d (%.1f%% delivered)%n", sent, received, sent == 0 ? 0 : 100.0 * received / sent);
        return received / seconds;
    }
}
