package org.protosw.bench;

import static org.protosw.socket.SocketConstants.AF_INET;
import static org.protosw.socket.SocketConstants.IPPROTO_RAW;
import static org.protosw.socket.SocketConstants.SOCK_DGRAM;
import static org.protosw.socket.SocketConstants.SOCK_RAW;
import static org.protosw.socket.SocketConstants.SOCK_STREAM;

import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicLong;

import org.protosw.internal.kern.Vnet;
import org.protosw.socket.InAddr;
import org.protosw.socket.InetSockAddr;
import org.protosw.socket.SockOpt;
import org.protosw.socket.Socket;
import org.protosw.wire.Ipv4Header;
import org.protosw.wire.TcpHeader;

/**
 * What a flood costs established connections (issue 13): {@value #CONNECTIONS} connections
 * transfer across an epair between two vnets, measured first alone, then while one thread in
 * the senders' vnet floods the far one as fast as it can:
 * <ul>
 * <li>{@code tcp-syn-flood}: forged SYNs (sources spread over 192.0.2.10-249, random ports
 * and sequence numbers) through a raw IP_HDRINCL socket to a listener nobody accepts from;
 * the SYN-ACKs and cookies go back over the epair and are dropped there, as for spoofed
 * sources;</li>
 * <li>{@code ip-frag-flood}: first fragments of UDP datagrams whose rest never comes (random
 * sources and IDs), through the raw socket;</li>
 * <li>{@code udp-flood}: 64-byte datagrams from a UDP socket to a port whose owner never
 * reads (a 4 KiB receive buffer, full at once).</li>
 * </ul>
 * The figure is the throughput under the flood; the detail line gives the throughput without
 * it and the ratio, the flood's rate, and what became of it (dropped by full input queues;
 * SYN-cache entries, cookies and the most entries held against the cache limit; reassembly
 * queues held against net.inet.ip.maxfragpackets and the oldest dropped to make room;
 * datagrams dropped for a full socket buffer). The kernel column is Linux's TCP with the same
 * connections on 127.0.0.1 through NIO, without a flood: packets into the host's own stack
 * are not ours to send.
 */
final class Flood implements BenchCase {
    enum Kind {
        SYN, FRAGMENTS, UDP
    }

    static final int CONNECTIONS = 10;
    private static final int WRITE = 64 * 1024;
    private static final double GBIT = 8 / 1e9;
    private static final int PORT = 5301;
    private static final int FLOOD_PORT = 5302;

    private final Kind kind;
    private double without = Double.NaN;
    private double with = Double.NaN;
    private double pacedWithout = Double.NaN;
    private double pacedWith = Double.NaN;
    /**
     * Bytes per second each sender is held to, 0 for as fast as it can. The paced runs offer
     * a quarter of what the connections carried alone: a load the stack has the CPU for, so
     * what the flood takes from it is what the stack lets the flood take, not the core the
     * flood's own sender spins on.
     */
    private volatile long pace;
    private static final int PACED_SHARE = 4;
    private String outcome;

    Flood(Kind kind) {
        this.kind = kind;
    }

    @Override
    public String unit() {
        String what = switch (kind) {
            case SYN -> "a SYN flood";
            case FRAGMENTS -> "a flood of fragments that never complete";
            case UDP -> "a UDP flood into a full receive buffer";
        };
        return "Gbit/s received by " + CONNECTIONS + " connections (protosw: across an epair under " + what
                + "; kernel: 127.0.0.1, no flood)";
    }

    @Override
    public String detail() {
        if (Double.isNaN(without)) {
            return null;
        }
        return String.format(Locale.ROOT, "without the flood %.2f Gbit/s (with / without %.2f); paced to a quarter of that: %.2f Gbit/s without the flood,"
                + " %.2f with it (with / without %.2f)%n%s", without, with / without, pacedWithout, pacedWith, pacedWith / pacedWithout, outcome);
    }

    /** One flood: the packet it sends next, and what the far vnet made of it. */
    private interface Flooder extends AutoCloseable {
        void sendOne() throws Exception;

        /** Sampled every 10 ms while it runs: how much state the flood holds. */
        long held();

        String outcome(Map<String, Long> before, Map<String, Long> after, long mostHeld);

        @Override
        void close();
    }

    @Override
    public double protosw(double seconds, PrintStream progress) throws Exception {
        try (IbEpair e = new IbEpair()) {
            Socket listener = e.b.socket(AF_INET, SOCK_STREAM, 0);
            listener.bind(new InetSockAddr(IbEpair.B, PORT));
            listener.listen(CONNECTIONS);
            List<Socket[]> pairs = new ArrayList<>();
            for (int i = 0; i < CONNECTIONS; i++) {
                Socket c = e.a.socket(AF_INET, SOCK_STREAM, 0);
                c.connect(new InetSockAddr(IbEpair.B, PORT));
                pairs.add(new Socket[] {c, listener.accept()});
            }
            Workers w = new Workers();
            AtomicLong received = new AtomicLong();
            for (int i = 0; i < CONNECTIONS; i++) {
                Socket c = pairs.get(i)[0];
                Socket s = pairs.get(i)[1];
                w.start("bench-flood-rx-" + i, () -> {
                    ByteBuffer b = ByteBuffer.allocate(WRITE);
                    while (true) {
                        b.clear();
                        int n = s.recv(b);
                        if (n <= 0) {
                            return;
                        }
                        received.addAndGet(n);
                    }
                });
                w.start("bench-flood-tx-" + i, () -> {
                    ByteBuffer b = ByteBuffer.allocate(WRITE);
                    long paced = 0;
                    long since = 0;
                    long bytes = 0;
                    while (w.running()) {
                        long p = pace;
                        if (p != paced) {
                            paced = p;
                            since = System.nanoTime();
                            bytes = 0;
                        }
                        if (p > 0) {
                            long due = since + (long) (bytes * 1e9 / p);
                            long now;
                            while ((now = System.nanoTime()) < due && pace == p) {
                                java.util.concurrent.locks.LockSupport.parkNanos(due - now);
                            }
                        }
                        b.clear();
                        while (b.hasRemaining()) {
                            c.send(b);
                        }
                        bytes += WRITE;
                    }
                });
            }
            progress.printf(Locale.ROOT, "  %d connections, no flood%n", CONNECTIONS);
            without = w.measure(seconds, progress, received::get, GBIT, "%,.2f Gbit/s received");
            pace = (long) (without / GBIT / PACED_SHARE / CONNECTIONS);
            progress.printf(Locale.ROOT, "  %d connections paced to %.2f Gbit/s in all, no flood%n", CONNECTIONS, without / PACED_SHARE);
            pacedWithout = w.measure(seconds, progress, received::get, GBIT, "%,.2f Gbit/s received");

            Flooder f = flooder(e);
            Map<String, Long> before = stats(e);
            long queueDropsBefore = e.b.netisr().droppedTotal();
            AtomicLong sent = new AtomicLong();
            AtomicLong mostHeld = new AtomicLong();
            w.start("bench-flood-" + kind.name().toLowerCase(Locale.ROOT), () -> {
                while (w.running()) {
                    f.sendOne();
                    sent.incrementAndGet();
                }
            });
            w.start("bench-flood-watch", () -> {
                while (w.running()) {
                    mostHeld.accumulateAndGet(f.held(), Math::max);
                    Thread.sleep(10);
                }
            });
            progress.printf(Locale.ROOT, "  %d connections paced, under the flood%n", CONNECTIONS);
            pacedWith = w.measure(seconds, progress, received::get, GBIT, "%,.2f Gbit/s received");
            pace = 0;
            progress.printf(Locale.ROOT, "  %d connections under the flood%n", CONNECTIONS);
            long sentAtStart = sent.get();
            long t0 = System.nanoTime();
            with = w.measure(seconds, progress, received::get, GBIT, "%,.2f Gbit/s received");
            double rate = (sent.get() - sentAtStart) / ((System.nanoTime() - t0) / 1e9);
            Map<String, Long> after = stats(e);
            long queueDrops = e.b.netisr().droppedTotal() - queueDropsBefore;
            w.stop(() -> {
                f.close();
                for (Socket[] pair : pairs) {
                    pair[0].close();
                    pair[1].close();
                }
            });
            outcome = String.format(Locale.ROOT, "flood %,.0f packets/s (%,d sent, %,d dropped by the far vnet's full input queues); %s",
                    rate, sent.get(), queueDrops, f.outcome(before, after, mostHeld.get()));
            progress.printf(Locale.ROOT, "  %s%n", outcome);
            listener.close();
            return with;
        }
    }

    /** TCP's, IP's and UDP's counters in the far vnet, prefixed tcp:, ip:, udp:. */
    private static Map<String, Long> stats(IbEpair e) {
        Map<String, Long> m = new java.util.HashMap<>();
        e.stack.core().registry().entry("tcp").instance(e.b.name()).statistics().forEach((k, v) -> m.put("tcp:" + k, v));
        e.stack.core().registry().entry("udp").instance(e.b.name()).statistics().forEach((k, v) -> m.put("udp:" + k, v));
        e.b.ip().ipStatistics().forEach((k, v) -> m.put("ip:" + k, v));
        return m;
    }

    private static long diff(Map<String, Long> after, Map<String, Long> before, String key) {
        return after.getOrDefault(key, 0L) - before.getOrDefault(key, 0L);
    }

    private Flooder flooder(IbEpair e) throws Exception {
        return switch (kind) {
            case SYN -> synFlooder(e);
            case FRAGMENTS -> fragmentFlooder(e);
            case UDP -> udpFlooder(e);
        };
    }

    private static Flooder synFlooder(IbEpair e) throws Exception {
        Socket target = e.b.socket(AF_INET, SOCK_STREAM, 0);
        target.bind(new InetSockAddr(IbEpair.B, FLOOD_PORT));
        target.listen(128);
        Socket raw = e.a.socket(AF_INET, SOCK_RAW, IPPROTO_RAW);
        SplittableRandom r = new SplittableRandom(4242);
        byte[] p = new byte[40];
        ByteBuffer b = ByteBuffer.wrap(p);
        InetSockAddr to = new InetSockAddr(IbEpair.B, 0);
        long limit = e.b.sysctl().find("net.inet.tcp.syncache.cachelimit").get();
        return new Flooder() {
            @Override
            public void sendOne() throws Exception {
                InAddr src = InAddr.of(192, 0, 2, 10 + r.nextInt(240));
                Ipv4Header.write(p, 0, 0, 40, 0, Ipv4Header.FLAG_DF, 64, 6, src.bits(), IbEpair.B.bits());
                TcpHeader th = new TcpHeader(p, 20, 20);
                th.setSrcPort(1024 + r.nextInt(64_000)).setDstPort(FLOOD_PORT).setSeq(r.nextInt()).setAck(0).setHeaderLength(20)
                        .setFlags(TcpHeader.SYN).setWindow(65535).setUrgentPointer(0).setChecksum(0);
                th.fillChecksum(src.bits(), IbEpair.B.bits());
                b.clear();
                raw.sendto(b, 0, to);
            }

            @Override
            public long held() {
                return e.stack.core().registry().entry("tcp").instance(e.b.name()).statistics().getOrDefault("syncache entries held", 0L);
            }

            @Override
            public String outcome(Map<String, Long> before, Map<String, Long> after, long mostHeld) {
                return String.format(Locale.ROOT, "SYN cache: %,d entries added, %,d overflowed into cookies, %,d cookies sent,"
                                + " at most %,d entries held (net.inet.tcp.syncache.cachelimit %,d)",
                        diff(after, before, "tcp:syncache entries added"),
                        diff(after, before, "tcp:syncache bucket overflow") + diff(after, before, "tcp:syncache cache overflow"),
                        diff(after, before, "tcp:cookies sent"), mostHeld, limit);
            }

            @Override
            public void close() {
                raw.close();
                target.close();
            }
        };
    }

    private static Flooder fragmentFlooder(IbEpair e) throws Exception {
        Socket raw = e.a.socket(AF_INET, SOCK_RAW, IPPROTO_RAW);
        SplittableRandom r = new SplittableRandom(4343);
        // the first 64 bytes of a 1,000-byte UDP datagram: more fragments announced, none sent
        byte[] p = new byte[20 + 64];
        ByteBuffer b = ByteBuffer.wrap(p);
        InetSockAddr to = new InetSockAddr(IbEpair.B, 0);
        long limit = e.b.sysctl().find("net.inet.ip.maxfragpackets").get();
        return new Flooder() {
            @Override
            public void sendOne() throws Exception {
                InAddr src = InAddr.of(192, 0, 2, 10 + r.nextInt(240));
                Ipv4Header.write(p, 0, 0, p.length, r.nextInt(65536), Ipv4Header.FLAG_MF, 64, 17, src.bits(), IbEpair.B.bits());
                b.clear();
                raw.sendto(b, 0, to);
            }

            @Override
            public long held() {
                return e.b.ip().reassemblyQueues();
            }

            @Override
            public String outcome(Map<String, Long> before, Map<String, Long> after, long mostHeld) {
                return String.format(Locale.ROOT, "reassembly: %,d fragments received, %,d queues dropped to make room (oldest first),"
                                + " %,d fragments dropped, at most %,d queues held (net.inet.ip.maxfragpackets %,d), %,d left",
                        diff(after, before, "ip:fragments received"), diff(after, before, "ip:reassembly queues dropped to make room"),
                        diff(after, before, "ip:fragments dropped (dup or out of space)"), mostHeld, limit, e.b.ip().reassemblyQueues());
            }

            @Override
            public void close() {
                raw.close();
            }
        };
    }

    private static Flooder udpFlooder(IbEpair e) throws Exception {
        Socket sink = e.b.socket(AF_INET, SOCK_DGRAM, 0);
        sink.setOption(SockOpt.SO_RCVBUF, 4096);
        sink.bind(new InetSockAddr(IbEpair.B, FLOOD_PORT));
        Socket tx = e.a.socket(AF_INET, SOCK_DGRAM, 0);
        tx.connect(new InetSockAddr(IbEpair.B, FLOOD_PORT));
        ByteBuffer b = ByteBuffer.allocate(64);
        return new Flooder() {
            @Override
            public void sendOne() throws Exception {
                b.clear();
                tx.send(b);
            }

            @Override
            public long held() {
                return 0;
            }

            @Override
            public String outcome(Map<String, Long> before, Map<String, Long> after, long mostHeld) {
                return String.format(Locale.ROOT, "UDP: %,d datagrams received, %,d dropped due to full socket buffers (SO_RCVBUF 4 KiB)",
                        diff(after, before, "udp:datagrams received"), diff(after, before, "udp:dropped due to full socket buffers"));
            }

            @Override
            public void close() {
                tx.close();
                sink.close();
            }
        };
    }

    @Override
    public double kernel(double seconds, PrintStream progress) throws Exception {
        try (ServerSocketChannel l = ServerSocketChannel.open()) {
            l.bind(new InetSocketAddress("127.0.0.1", 0), CONNECTIONS);
            List<SocketChannel[]> pairs = new ArrayList<>();
            for (int i = 0; i < CONNECTIONS; i++) {
                SocketChannel c = SocketChannel.open(l.getLocalAddress());
                pairs.add(new SocketChannel[] {c, l.accept()});
            }
            Workers w = new Workers();
            AtomicLong received = new AtomicLong();
            for (int i = 0; i < CONNECTIONS; i++) {
                SocketChannel c = pairs.get(i)[0];
                SocketChannel s = pairs.get(i)[1];
                w.start("bench-flood-rx-kernel-" + i, () -> {
                    ByteBuffer b = ByteBuffer.allocateDirect(WRITE);
                    while (true) {
                        b.clear();
                        int n = s.read(b);
                        if (n < 0) {
                            return;
                        }
                        received.addAndGet(n);
                    }
                });
                w.start("bench-flood-tx-kernel-" + i, () -> {
                    ByteBuffer b = ByteBuffer.allocateDirect(WRITE);
                    while (w.running()) {
                        b.clear();
                        while (b.hasRemaining()) {
                            c.write(b);
                        }
                    }
                });
            }
            progress.printf(Locale.ROOT, "  %d connections%n", CONNECTIONS);
            double r = w.measure(seconds, progress, received::get, GBIT, "%,.2f Gbit/s received");
            w.stop(() -> {
                for (SocketChannel[] pair : pairs) {
                    pair[0].close();
                    pair[1].close();
                }
            });
            return r;
        }
    }
}
