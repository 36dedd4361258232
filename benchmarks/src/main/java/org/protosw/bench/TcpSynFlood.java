package org.protosw.bench;

import static org.protosw.socket.SocketConstants.AF_INET;
import static org.protosw.socket.SocketConstants.IPPROTO_RAW;
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
import org.protosw.socket.Socket;
import org.protosw.wire.Ipv4Header;
import org.protosw.wire.TcpHeader;

/**
 * A SYN flood (issue 13) against a listener while {@value #CONNECTIONS} established
 * connections transfer across an epair between two vnets. The same transfer is measured
 * first without the flood, then with a raw IP_HDRINCL socket in the senders' vnet writing
 * forged SYNs (sources spread over 192.0.2.10-249, random ports and sequence numbers) to
 * the listener as fast as one thread can: the SYN-ACKs and cookies go back over the epair and
 * are dropped there, as they would be for spoofed sources. The figure is the throughput under
 * the flood; the detail line gives the throughput without it and the ratio, the SYNs per
 * second the flood reached, what the SYN cache did with them (entries added and dropped,
 * cookies sent, the most entries held at once against net.inet.tcp.syncache.cachelimit).
 * The kernel column is Linux's TCP with the same {@value #CONNECTIONS} connections on
 * 127.0.0.1 through NIO, without a flood: raw packets into the host's stack are not ours to
 * send.
 */
final class TcpSynFlood implements BenchCase {
    static final int CONNECTIONS = 10;
    private static final int WRITE = 64 * 1024;
    private static final double GBIT = 8 / 1e9;
    private static final int PORT = 5301;
    private static final int FLOOD_PORT = 5302;

    private double without = Double.NaN;
    private double with = Double.NaN;
    private String flood;

    @Override
    public String unit() {
        return "Gbit/s received by " + CONNECTIONS + " connections (protosw: across an epair under a SYN flood; kernel: 127.0.0.1, no flood)";
    }

    @Override
    public String detail() {
        if (Double.isNaN(without)) {
            return null;
        }
        return String.format(Locale.ROOT, "without the flood %.2f Gbit/s (with / without %.2f); %s", without, with / without, flood);
    }

    @Override
    public double protosw(double seconds, PrintStream progress) throws Exception {
        try (IbEpair e = new IbEpair()) {
            Socket listener = e.b.socket(AF_INET, SOCK_STREAM, 0);
            listener.bind(new InetSockAddr(IbEpair.B, PORT));
            listener.listen(CONNECTIONS);
            // the flood's target: a listener nobody accepts from
            Socket target = e.b.socket(AF_INET, SOCK_STREAM, 0);
            target.bind(new InetSockAddr(IbEpair.B, FLOOD_PORT));
            target.listen(128);
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
                    while (w.running()) {
                        b.clear();
                        while (b.hasRemaining()) {
                            c.send(b);
                        }
                    }
                });
            }
            progress.printf(Locale.ROOT, "  %d connections, no flood%n", CONNECTIONS);
            without = w.measure(seconds, progress, received::get, GBIT, "%,.2f Gbit/s received");

            Map<String, Long> before = tcpStats(e, e.b);
            long netisrDropsBefore = e.b.netisr().droppedTotal();
            AtomicLong syns = new AtomicLong();
            AtomicLong mostHeld = new AtomicLong();
            Socket raw = e.a.socket(AF_INET, SOCK_RAW, IPPROTO_RAW);
            w.start("bench-flood-syn", () -> {
                SplittableRandom r = new SplittableRandom(4242);
                byte[] p = new byte[40];
                ByteBuffer b = ByteBuffer.wrap(p);
                InetSockAddr to = new InetSockAddr(IbEpair.B, 0);
                while (w.running()) {
                    synInto(p, InAddr.of(192, 0, 2, 10 + r.nextInt(240)), 1024 + r.nextInt(64_000), r.nextInt());
                    b.clear();
                    raw.sendto(b, 0, to);
                    syns.incrementAndGet();
                }
            });
            w.start("bench-flood-watch", () -> {
                while (w.running()) {
                    long held = tcpStats(e, e.b).getOrDefault("syncache entries held", 0L);
                    mostHeld.accumulateAndGet(held, Math::max);
                    Thread.sleep(10);
                }
            });
            progress.printf(Locale.ROOT, "  %d connections under a SYN flood%n", CONNECTIONS);
            long synsAtStart = syns.get();
            long t0 = System.nanoTime();
            with = w.measure(seconds, progress, received::get, GBIT, "%,.2f Gbit/s received");
            double floodRate = (syns.get() - synsAtStart) / ((System.nanoTime() - t0) / 1e9);
            Map<String, Long> after = tcpStats(e, e.b);
            long netisrDrops = e.b.netisr().droppedTotal() - netisrDropsBefore;
            w.stop(() -> {
                raw.close();
                for (Socket[] pair : pairs) {
                    pair[0].close();
                    pair[1].close();
                }
            });
            long limit = e.b.sysctl().find("net.inet.tcp.syncache.cachelimit").get();
            flood = String.format(Locale.ROOT, "flood %,.0f SYN/s (%,d sent, %,d dropped by b's full input queues); SYN cache:"
                            + " %,d added, %,d overflowed into cookies, %,d cookies sent, at most %,d entries held (limit %,d)",
                    floodRate, syns.get(), netisrDrops, diff(after, before, "syncache entries added"),
                    diff(after, before, "syncache bucket overflow") + diff(after, before, "syncache cache overflow"),
                    diff(after, before, "cookies sent"), mostHeld.get(), limit);
            progress.printf(Locale.ROOT, "  %s%n", flood);
            target.close();
            listener.close();
            return with;
        }
    }

    private static long diff(Map<String, Long> after, Map<String, Long> before, String key) {
        return after.getOrDefault(key, 0L) - before.getOrDefault(key, 0L);
    }

    private static Map<String, Long> tcpStats(IbEpair e, Vnet v) {
        return e.stack.core().registry().entry("tcp").instance(v.name()).statistics();
    }

    /** A SYN from {@code src}:{@code sport} to the flood's listener, checksums filled. */
    private static void synInto(byte[] p, InAddr src, int sport, int seq) {
        Ipv4Header.write(p, 0, 0, 40, 0, Ipv4Header.FLAG_DF, 64, 6, src.bits(), IbEpair.B.bits());
        TcpHeader th = new TcpHeader(p, 20, 20);
        th.setSrcPort(sport).setDstPort(FLOOD_PORT).setSeq(seq).setAck(0).setHeaderLength(20).setFlags(TcpHeader.SYN)
                .setWindow(65535).setUrgentPointer(0).setChecksum(0);
        th.fillChecksum(src.bits(), IbEpair.B.bits());
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
