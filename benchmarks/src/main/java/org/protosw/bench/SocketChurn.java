package org.protosw.bench;

import static org.protosw.socket.SocketConstants.AF_INET;
import static org.protosw.socket.SocketConstants.SOCK_DGRAM;

import java.io.PrintStream;
import java.nio.channels.DatagramChannel;
import java.util.Locale;

import org.protosw.internal.kern.StandaloneStack;
import org.protosw.socket.NetStack;
import org.protosw.socket.Socket;

/** Socket create + close per second (UDP sockets: socket(2) then close(2)), one thread. */
final class SocketChurn implements BenchCase {
    @Override
    public String unit() {
        return "socket create+close/s";
    }

    interface Churn {
        void once() throws Exception;
    }

    @Override
    public double protosw(double seconds, PrintStream progress) throws Exception {
        try (StandaloneStack s = Protosw.withUdp()) {
            NetStack stack = s.stack();
            return loop(seconds, progress, () -> {
                Socket so = stack.socket(AF_INET, SOCK_DGRAM, 0);
                so.close();
            });
        }
    }

    @Override
    public double kernel(double seconds, PrintStream progress) throws Exception {
        return loop(seconds, progress, () -> DatagramChannel.open().close());
    }

    private static double loop(double seconds, PrintStream progress, Churn churn) throws Exception {
        // warm-up so both sides are measured after JIT compilation
        for (int i = 0; i < 20_000; i++) {
            churn.once();
        }
        long start = System.nanoTime();
        long end = start + (long) (seconds * 1e9);
        long nextReport = start + 1_000_000_000L;
        long n = 0;
        long last = 0;
        long now;
        do {
            for (int i = 0; i < 512; i++) {
                churn.once();
            }
            n += 512;
            now = System.nanoTime();
            if (now >= nextReport) {
                progress.printf(Locale.ROOT, "  %5.1f s: %,d sockets/s%n", (now - start) / 1e9, n - last);
                last = n;
                nextReport += 1_000_000_000L;
            }
        } while (now < end);
        return n / ((now - start) / 1e9);
    }
}
