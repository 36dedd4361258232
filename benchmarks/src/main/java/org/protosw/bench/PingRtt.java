package org.protosw.bench;

import static org.protosw.socket.SocketConstants.AF_INET;
import static org.protosw.socket.SocketConstants.IPPROTO_ICMP;
import static org.protosw.socket.SocketConstants.SOCK_RAW;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.protosw.internal.kern.StandaloneStack;
import org.protosw.internal.kern.Vnet;
import org.protosw.internal.net.Epair;
import org.protosw.socket.InAddr;
import org.protosw.socket.InetSockAddr;
import org.protosw.socket.SockOpt;
import org.protosw.socket.Socket;
import org.protosw.socket.SocketException;
import org.protosw.spi.IfAddr;
import org.protosw.wire.Checksum;

/**
 * ICMP echo round trips, one request at a time, as a user's ping: protosw's raw ICMP socket
 * to 127.0.0.1 on lo0 (or to the far end of an epair between two vnets) against Linux's own
 * {@code ping(8)} of 127.0.0.1 in the same run. The figure is the median round trip in
 * microseconds (lower is better, so a ratio below 1 means protosw answers faster); the p99
 * of both is printed beside it. With {@code idleMillis} 1000 each request follows a second
 * of silence, the case the issue calls out: a stack that only answers fast while it is busy
 * (spinning threads, warm caches) shows it here.
 */
final class PingRtt implements BenchCase {
    /** Where the request goes: "lo0" or "epair". */
    private final String path;
    private final long idleMillis;
    private double protoswP99 = Double.NaN;
    private double kernelP99 = Double.NaN;
    private String kernelProblem;

    private static final int DATA = 56;
    private static final Pattern TIME = Pattern.compile("time[=<]([0-9.]+) ms");

    PingRtt(String path, long idleMillis) {
        this.path = path;
        this.idleMillis = idleMillis;
    }

    @Override
    public String unit() {
        return "us median ICMP echo round trip, lower is better (" + path + ", " + (idleMillis >= 1000 ? "1 s idle before each" : idleMillis + " ms apart") + "; kernel: ping(8) 127.0.0.1)";
    }

    @Override
    public boolean higherIsBetter() {
        return false;
    }

    private int count(double seconds) {
        // the idle case waits a second per request: keep it to the requested time, but
        // never under 10 samples (a p99 of fewer says nothing)
        return (int) Math.max(10, Math.round(seconds * 1000 / Math.max(1, idleMillis)));
    }

    @Override
    public double protosw(double seconds, PrintStream progress) throws Exception {
        try (StandaloneStack st = Protosw.bare()) {
            Vnet from = st.stack();
            // Linux's ping of its own address is not rate limited; FreeBSD's icmplim (200/s,
            // which the warm-up alone exceeds) would make this measure the limiter
            from.sysctl().find("net.inet.icmp.icmplim").set(0);
            InAddr dst = InAddr.of(127, 0, 0, 1);
            if (path.equals("epair")) {
                // interfaces of the in-process stack only: nothing reaches the host's network
                Vnet far = st.createVnet("bench-far");
                far.sysctl().find("net.inet.icmp.icmplim").set(0);
                Epair pair = new Epair(st.core().nextEpairUnit());
                from.attachInterface(pair.a());
                far.attachInterface(pair.b());
                from.addAddress(pair.a(), new IfAddr(InAddr.of(192, 0, 2, 1), 24, InAddr.of(192, 0, 2, 255)));
                far.addAddress(pair.b(), new IfAddr(InAddr.of(192, 0, 2, 2), 24, InAddr.of(192, 0, 2, 255)));
                pair.a().setUp(true);
                pair.b().setUp(true);
                dst = InAddr.of(192, 0, 2, 2);
            }
            try (Socket so = from.socket(AF_INET, SOCK_RAW, IPPROTO_ICMP)) {
                so.setOption(SockOpt.SO_RCVTIMEO, 1000);
                // warm-up outside the figures, so the JIT has compiled the path (the kernel's is)
                for (int i = 0; i < 2000; i++) {
                    echo(so, dst, i);
                }
                int n = count(seconds);
                double[] us = new double[n];
                for (int i = 0; i < n; i++) {
                    if (idleMillis > 0) {
                        Thread.sleep(idleMillis);
                    }
                    us[i] = echo(so, dst, 2000 + i);
                    progress(progress, i, n, us);
                }
                protoswP99 = percentile(us, 0.99);
                return percentile(us, 0.5);
            }
        }
    }

    /** One request and its reply; the round trip in microseconds. */
    private static double echo(Socket so, InAddr dst, int seq) throws SocketException {
        ByteBuffer b = ByteBuffer.allocate(8 + DATA);
        b.put(0, (byte) 8);
        b.putShort(4, (short) 0x5053);
        b.putShort(6, (short) seq);
        b.putShort(2, (short) Checksum.compute(b.array(), 0, 8 + DATA));
        ByteBuffer rx = ByteBuffer.allocate(2048);
        long t0 = System.nanoTime();
        so.sendto(b, 0, new InetSockAddr(dst, 0));
        while (true) {
            rx.clear();
            int len = so.recvfrom(rx, 0).length();
            byte[] p = rx.array();
            int hlen = (p[0] & 0xf) << 2;
            if (len >= hlen + 8 && p[hlen] == 0 && (((p[hlen + 6] & 0xff) << 8) | (p[hlen + 7] & 0xff)) == (seq & 0xffff)) {
                return (System.nanoTime() - t0) / 1e3;
            }
        }
    }

    @Override
    public double kernel(double seconds, PrintStream progress) throws Exception {
        int n = count(seconds);
        int warm = warmUp();
        // ping(8) as root takes intervals down to 2 ms; a user's default is one a second
        String interval = String.format(Locale.ROOT, "%.3f", Math.max(0.002, idleMillis / 1000.0));
        ProcessBuilder pb = new ProcessBuilder("ping", "-n", "-c", Integer.toString(n + warm), "-i", interval, "-s", Integer.toString(DATA), "127.0.0.1");
        pb.redirectErrorStream(true);
        Process proc;
        try {
            proc = pb.start();
        } catch (java.io.IOException e) {
            kernelProblem = "ping(8) could not be run (" + e.getMessage() + "); install iputils-ping";
            progress.println("  " + kernelProblem);
            return Double.NaN;
        }
        double[] all = new double[n + warm];
        int got = 0;
        StringBuilder other = new StringBuilder();
        try (BufferedReader r = new BufferedReader(new InputStreamReader(proc.getInputStream(), StandardCharsets.UTF_8))) {
            String line;
            while ((line = r.readLine()) != null) {
                Matcher m = TIME.matcher(line);
                if (m.find() && got < all.length) {
                    all[got++] = Double.parseDouble(m.group(1)) * 1000;
                    if (got > warm) {
                        // progress as ping(8) answers, after its warm-up requests
                        progress(progress, got - warm - 1, n, Arrays.copyOfRange(all, warm, got));
                    }
                } else if (other.length() < 400) {
                    other.append(line).append('\n');
                }
            }
        }
        proc.waitFor(30, TimeUnit.SECONDS);
        if (got <= warm) {
            kernelProblem = "ping(8) gave " + got + " replies: " + other.toString().strip();
            progress.println("  " + kernelProblem);
            return Double.NaN;
        }
        // the first ones warm the path, as protosw's warm-up does
        double[] us = Arrays.copyOfRange(all, warm, got);
        kernelP99 = percentile(us, 0.99);
        return percentile(us, 0.5);
    }

    /** Requests of ping(8) left out of its figures: a second each in the idle case, so only two there. */
    private int warmUp() {
        return idleMillis >= 1000 ? 2 : 20;
    }

    @Override
    public String detail() {
        String s = String.format(Locale.ROOT, "p99 %.1f us protosw, %.1f us kernel: %.2fx", protoswP99, kernelP99, protoswP99 / kernelP99);
        return kernelProblem == null ? s : s + " (" + kernelProblem + ")";
    }

    /** A line every tenth of the run, so a long idle case shows it is alive. */
    private static void progress(PrintStream out, int i, int n, double[] us) {
        int step = Math.max(1, n / 10);
        if ((i + 1) % step == 0 || i + 1 == n) {
            out.printf(Locale.ROOT, "  %5d/%d requests: median so far %.1f us%n", i + 1, n, percentile(Arrays.copyOf(us, i + 1), 0.5));
        }
    }

    /** The nearest-rank percentile. */
    static double percentile(double[] v, double q) {
        double[] s = v.clone();
        Arrays.sort(s);
        int rank = (int) Math.ceil(q * s.length);
        return s[Math.max(0, Math.min(s.length - 1, rank - 1))];
    }
}
