package org.protosw.bench;

import java.io.IOException;
import java.io.PrintStream;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

import org.protosw.internal.kern.StandaloneStack;

/**
 * UDP datagrams per second: 64-byte payloads, one sender thread, one receiver thread, over
 * 127.0.0.1. The figure is datagrams received per second (what the application gets).
 *
 * <p>{@code udp-rate} sends as fast as the sender can, into a 1 MiB SO_RCVBUF, so where the
 * sender outruns the receiver the excess is dropped; the lines under the row say how many.
 * {@code udp-rate-paced} holds the sender to a window ({@link UdpCredit}) with each stack's
 * default SO_RCVBUF: nothing may be lost, and a run that loses any fails the case. Both run
 * the same loop with the same ends, so the two figures differ by the window and the
 * receive buffer's size alone.
 */
final class UdpRate implements BenchCase {
    private static final int RCVBUF = 1 << 20;

    private final boolean paced;
    private String protoswLine;
    private String kernelLine;
    private String failure;

    UdpRate(boolean paced) {
        this.paced = paced;
    }

    @Override
    public String unit() {
        return paced ? "datagrams/s received (64 B, " + UdpCredit.WINDOW + " outstanding at most)" : "datagrams/s received (64 B)";
    }

    @Override
    public String detail() {
        return protoswLine + "\n" + kernelLine;
    }

    @Override
    public String failure() {
        return failure;
    }

    @Override
    public double protosw(double seconds, PrintStream progress) throws Exception {
        try (StandaloneStack s = Protosw.withUdp(); UdpEnds ends = UdpEnds.protosw(s, paced ? 0 : RCVBUF)) {
            return measure("protosw", ends, seconds, progress);
        }
    }

    @Override
    public double kernel(double seconds, PrintStream progress) throws Exception {
        try (UdpEnds ends = UdpEnds.kernel(paced ? 0 : RCVBUF)) {
            return measure("kernel", ends, seconds, progress);
        }
    }

    private double measure(String stack, UdpEnds ends, double seconds, PrintStream progress) throws Exception {
        UdpTally tally = new UdpTally(ends);
        AtomicBoolean stop = new AtomicBoolean();
        AtomicLong received = new AtomicLong();
        AtomicReference<IOException> broken = new AtomicReference<>();
        Thread receiver = Thread.ofPlatform().name("protosw".equals(stack) ? "bench-rx" : "bench-rx-kernel").start(() -> {
            try {
                while (true) {
                    // read before the wait: an empty wait that began after the sender stopped
                    // means the buffer is drained, so sent - received is what was dropped
                    boolean stopping = stop.get();
                    if (ends.receive()) {
                        received.lazySet(received.get() + 1); // this thread is its only writer
                    } else if (stopping) {
                        return;
                    }
                }
            } catch (IOException e) {
                broken.set(e);
            }
        });
        UdpCredit credit = paced ? new UdpCredit(received) : null;
        Sent sent = run(seconds, progress, received, ends, credit);
        long receivedInTime = received.get();
        stop.set(true);
        receiver.join();
        if (broken.get() != null) {
            throw new IllegalStateException(stack + " receiver failed: " + broken.get(), broken.get());
        }
        tally.finish(sent.sent, received.get(), sent.refused);
        String line = tally.line(stack);
        if (paced) {
            line += String.format(Locale.ROOT, "; window %d full %,d times", UdpCredit.WINDOW, credit.fullWindows());
            if (tally.lost() != 0) {
                line = "ERROR: " + line;
                String why = String.format(Locale.ROOT, "udp-rate-paced lost %,d datagram(s) on %s though at most %d were outstanding",
                        tally.lost(), stack, UdpCredit.WINDOW);
                failure = failure == null ? why : failure + "; " + why;
            }
        }
        progress.printf(Locale.ROOT, "  %s%n", line);
        if ("protosw".equals(stack)) {
            protoswLine = line;
        } else {
            kernelLine = line;
        }
        return receivedInTime / seconds;
    }

    private record Sent(long sent, long refused) {
    }

    /**
     * Sends for the given time, within the credit when there is one, printing progress each
     * second.
     */
    private static Sent run(double seconds, PrintStream progress, AtomicLong received, UdpEnds ends, UdpCredit credit) {
        long start = System.nanoTime();
        long end = start + (long) (seconds * 1e9);
        long nextReport = start + 1_000_000_000L;
        long sent = 0;
        long refused = 0;
        long lastRx = 0;
        while (true) {
            for (int i = 0; i < 256; i++) {
                if (credit != null && !credit.await(sent, end)) {
                    // a whole window lost: no credit can come back
                    progress.printf(Locale.ROOT, "  ERROR: no credit for the sender: %,d sent, %,d received%n", sent, received.get());
                    return new Sent(sent, refused);
                }
                if (ends.send()) {
                    sent++;
                } else {
                    refused++;
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
                return new Sent(sent, refused);
            }
        }
    }
}
