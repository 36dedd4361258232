package org.protosw.internal.shell;

import java.io.PrintStream;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

import org.apache.felix.service.command.Descriptor;
import org.osgi.service.component.annotations.Component;
import org.protosw.internal.kern.Vnet;
import org.protosw.internal.net.IfCounters;
import org.protosw.internal.net.NetInterface;
import org.protosw.internal.socket.SocketInfo;
import org.protosw.internal.sw.ProtoEntry;
import org.protosw.internal.sw.ProtoInstance;
import org.protosw.spi.Protocol;

/**
 * {@code net:systat}: a view refreshed every interval, after FreeBSD's {@code systat -ifstat}
 * and {@code systat -tcp}: each interface's packet and byte rates (and totals), TCP's segment
 * rates, and the busiest connections by the bytes their application moves, until Ctrl-C or
 * {@code -n COUNT} screens. A rate is the change of a counter over the interval measured, so
 * the first screen comes one interval after the start.
 */
@Component(service = SystatCommand.class, property = {"osgi.command.scope=net", "osgi.command.function=systat"})
public final class SystatCommand extends NetCommand {
    static final String USAGE = "systat [-j vnet] [-n count] [-w wait] [-c conns]";
    /** The screen is redrawn in place on a terminal: cursor home, clear (what curses does). */
    private static final String CLEAR = "\033[H\033[2J";

    /** Counters at one moment. */
    private record Sample(long nanos, Map<String, long[]> ifs, Map<String, Long> tcp, Map<Long, long[]> conns,
            Map<Long, SocketInfo> sockets) {
    }

    @Descriptor("interface rates, TCP segment rates and the busiest connections, refreshed each interval, as systat(1)\n"
            + "  -n count     print this many screens, one after the other, then stop (default: redraw until Ctrl-C)\n"
            + "  -w wait      seconds between screens (default 1; fractions allowed, 0.05 to 3600)\n"
            + "  -c conns     show at most this many connections (default 10)\n"
            + "  -j vnet      the stack instance to watch (default: the default vnet)\n"
            + "  Rates are per second over the interval measured (shown); In/Out pkts and bytes are the\n"
            + "  interface counters of netstat; connection rates are the bytes the application sent and read")
    public void systat(@Descriptor("[-j vnet] [-n count] [-w wait] [-c conns]") String... argv) {
        systat(System.out, argv);
    }

    void systat(PrintStream out, String... argv) {
        Args args = new Args("systat", USAGE, argv);
        String vnetName = null;
        long count = -1;
        double wait = 1.0;
        int conns = 10;
        while (!args.isEmpty()) {
            String w = args.next("option");
            switch (w) {
                case "-j" -> vnetName = args.next("vnet name after -j");
                case "-n" -> count = args.nextInt("count", 1, Integer.MAX_VALUE);
                case "-c" -> conns = args.nextInt("conns", 0, 10_000);
                case "-w" -> {
                    String v = args.next("seconds after -w");
                    try {
                        wait = Double.parseDouble(v);
                    } catch (NumberFormatException e) {
                        throw args.fail("'" + v + "' is not a number of seconds for -w (accepted: 0.05 to 3600)");
                    }
                    if (!(wait >= 0.05 && wait <= 3600)) {
                        throw args.fail("-w " + v + " is out of range (accepted: 0.05 to 3600)");
                    }
                }
                default -> throw args.fail("unknown argument '" + w + "' (accepted: -j vnet, -n count, -w wait, -c conns)");
            }
        }
        Vnet v = instance("systat", vnetName);
        boolean redraw = count < 0;
        Sample prev = sample(v);
        try {
            for (long screen = 1; count < 0 || screen <= count; screen++) {
                Thread.sleep((long) (wait * 1000));
                Sample now = sample(v);
                String text = screen(v, prev, now, screen, count, conns);
                out.print(redraw ? CLEAR + text : (screen > 1 ? "\n" : "") + text);
                out.flush();
                prev = now;
            }
        } catch (InterruptedException e) {
            // Ctrl-C: the view ends, the session goes on
            out.flush();
        }
    }

    private Sample sample(Vnet v) {
        Map<String, long[]> ifs = new java.util.LinkedHashMap<>();
        for (NetInterface ifp : v.interfaces().list()) {
            IfCounters c = ifp.counters();
            ifs.put(ifp.name(), new long[] {c.ipackets.sum(), c.ibytes.sum(), c.opackets.sum(), c.obytes.sum()});
        }
        Map<String, Long> tcp = Map.of();
        ProtoEntry e = core().registry().entry("tcp");
        ProtoInstance pi = e == null ? null : e.instance(v.name());
        Protocol p = pi == null ? null : pi.protocol();
        if (p != null) {
            try {
                tcp = p.statistics();
            } catch (RuntimeException | LinkageError x) {
                tcp = Map.of();
            }
        }
        Map<Long, SocketInfo> sockets = new HashMap<>();
        for (SocketInfo s : v.sockets().sockets()) {
            sockets.put(s.id(), s);
        }
        return new Sample(System.nanoTime(), ifs, tcp, v.sockets().byteCounts(), sockets);
    }

    static String screen(Vnet v, Sample a, Sample b, long screen, long count, int conns) {
        double secs = (b.nanos() - a.nanos()) / 1e9;
        StringBuilder sb = new StringBuilder();
        sb.append(String.format(Locale.ROOT, "systat: vnet %s, screen %d%s, interval %.3f s%n", v.name(), screen,
                count < 0 ? "" : " of " + count, secs));
        sb.append('\n');
        Table t = new Table("Interface", ">In pkt/s", ">In KiB/s", ">Out pkt/s", ">Out KiB/s", ">In pkts", ">In bytes", ">Out pkts",
                ">Out bytes");
        for (Map.Entry<String, long[]> e : b.ifs().entrySet()) {
            long[] now = e.getValue();
            long[] was = a.ifs().getOrDefault(e.getKey(), now);
            t.row(e.getKey(), rate(now[0] - was[0], secs), kib(now[1] - was[1], secs), rate(now[2] - was[2], secs),
                    kib(now[3] - was[3], secs), now[0], now[1], now[2], now[3]);
        }
        sb.append(t);
        if (!b.tcp().isEmpty()) {
            sb.append('\n');
            sb.append(String.format(Locale.ROOT, "tcp: %s segments/s sent, %s received, %s data segments/s retransmitted%n",
                    rate(delta(a.tcp(), b.tcp(), "packets sent"), secs), rate(delta(a.tcp(), b.tcp(), "packets received"), secs),
                    rate(delta(a.tcp(), b.tcp(), "data packets retransmitted"), secs)));
        }
        record Busy(SocketInfo s, long in, long out) {
        }
        List<Busy> busy = new ArrayList<>();
        for (Map.Entry<Long, long[]> e : b.conns().entrySet()) {
            long[] was = a.conns().getOrDefault(e.getKey(), new long[2]);
            long in = e.getValue()[0] - was[0];
            long out = e.getValue()[1] - was[1];
            SocketInfo s = b.sockets().get(e.getKey());
            if (s != null && in + out > 0) {
                busy.add(new Busy(s, in, out));
            }
        }
        busy.sort(Comparator.comparingLong((Busy x) -> x.in() + x.out()).reversed().thenComparingLong(x -> x.s().id()));
        sb.append('\n');
        if (busy.isEmpty() || conns == 0) {
            sb.append("no connection moved data in this interval\n");
        } else {
            Table c = new Table(">Socket", "Proto", "Local Address", "Foreign Address", "State", ">In KiB/s", ">Out KiB/s");
            for (Busy x : busy.subList(0, Math.min(conns, busy.size()))) {
                c.row(x.s().id(), x.s().protocol(), x.s().local() == null ? "*" : x.s().local(),
                        x.s().foreign() == null ? "*" : x.s().foreign(), x.s().state(), kib(x.in(), secs), kib(x.out(), secs));
            }
            sb.append(c);
        }
        return sb.toString();
    }

    private static long delta(Map<String, Long> a, Map<String, Long> b, String key) {
        Long x = a.get(key);
        Long y = b.get(key);
        return x == null || y == null ? 0 : y - x;
    }

    private static String rate(long delta, double secs) {
        return String.format(Locale.ROOT, "%.1f", delta / secs);
    }

    private static String kib(long bytes, double secs) {
        return String.format(Locale.ROOT, "%.1f", bytes / secs / 1024);
    }
}
