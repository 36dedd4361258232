package org.protosw.internal.shell;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import org.apache.felix.service.command.Descriptor;
import org.osgi.service.component.annotations.Component;
import org.protosw.internal.kern.Vnet;
import org.protosw.internal.net.IfCounters;
import org.protosw.internal.net.NetInterface;
import org.protosw.internal.socket.SocketInfo;
import org.protosw.internal.sw.ProtoEntry;
import org.protosw.internal.sw.ProtoInstance;
import org.protosw.internal.sw.ProtoSwInfo;
import org.protosw.socket.InetSockAddr;
import org.protosw.socket.SockAddr;
import org.protosw.socket.SocketConstants;
import org.protosw.spi.ConnectionInfo;
import org.protosw.spi.IfAddr;
import org.protosw.spi.Protocol;

/** {@code net:netstat}: sockets, per-protocol statistics, interface counters, routes, as netstat(1). */
@Component(service = NetstatCommand.class, property = {"osgi.command.scope=net", "osgi.command.function=netstat"})
public final class NetstatCommand extends NetCommand {
    static final String USAGE = "netstat [-j vnet] [-a] [-n] [-W] [-T] [-p proto] | netstat [-j vnet] -s [-p proto] | netstat [-j vnet] -i"
            + " | netstat [-j vnet] -r";

    @Descriptor("show network status, as netstat(1)\n"
            + "  netstat [-a] [-p proto]  sockets: protocol, Recv-Q, Send-Q, local and foreign address, state,\n"
            + "                           then connections that outlived their socket (TIME_WAIT...)\n"
            + "                           (-a adds server sockets: listening, unbound, or bound to the wildcard\n"
            + "                           address without a peer; -p shows one protocol's sockets)\n"
            + "  netstat -T [-a] [-p proto]  the sockets with what each protocol knows of the connection:\n"
            + "                           for TCP its tcp_info (rtt, rttvar, rto, mss, cwnd, ssthresh, windows,\n"
            + "                           retransmits, SACK blocks seen, congestion control)\n"
            + "  netstat -s [-p proto]    statistics per protocol (ip, icmp, raw, udp, ...), as netstat -s\n"
            + "  netstat -i               interface counters: packets, errors, drops, bytes\n"
            + "  netstat -r               the routing table (as route show)\n"
            + "  -n, -W                   accepted for habit: addresses are always numeric and never truncated\n"
            + "  single-letter options combine (-an, -rn); -s, -i and -r exclude each other\n"
            + "  -j vnet                  the stack instance (default: the default vnet)")
    public void netstat(@Descriptor("[-a] [-n] [-T] [-p proto] | -s [-p proto] | -i | -r") String... argv) {
        Args args = new Args("netstat", USAGE, argv);
        String vnetName = null;
        boolean all = false;
        boolean details = false;
        char mode = 'c';
        String proto = null;
        while (!args.isEmpty()) {
            String w = args.next("option");
            if (w.equals("-j")) {
                vnetName = args.next("vnet name after -j");
                continue;
            }
            if (w.equals("-p")) {
                proto = args.next("protocol after -p");
                continue;
            }
            if (!w.startsWith("-") || w.length() < 2) {
                throw args.fail("unexpected '" + w + "' (accepted: -a, -n, -W, -T, -p proto, -s, -i, -r, -j vnet)");
            }
            for (char c : w.substring(1).toCharArray()) {
                switch (c) {
                    case 'a' -> all = true;
                    case 'T' -> details = true;
                    case 'n', 'W' -> {
                    }
                    case 's', 'i', 'r' -> {
                        if (mode != 'c' && mode != c) {
                            throw args.fail("-" + mode + " and -" + c + " cannot be combined");
                        }
                        mode = c;
                    }
                    default -> throw args.fail("unknown option '-" + c + "' (accepted: -a, -n, -W, -T, -p proto, -s, -i, -r, -j vnet)");
                }
            }
        }
        if (details && mode != 'c') {
            throw args.fail("-T applies to the socket list, not to -" + mode);
        }
        if (proto != null && (mode == 'i' || mode == 'r')) {
            throw args.fail("-p applies to the socket list and to -s, not to -" + mode);
        }
        Vnet v = instance("netstat", vnetName);
        switch (mode) {
            case 's' -> System.out.print(statistics(v, proto, args));
            case 'i' -> System.out.print(interfaces(v));
            case 'r' -> System.out.print(RouteCommand.table(v));
            default -> {
                if (proto != null) {
                    knownProtocol(v, proto, args);
                }
                System.out.print(sockets(v, all, details, proto, orphans(v, proto)));
            }
        }
    }

    /** Connections without a socket, per protocol row label ("tcp4"), as the protocols report them. */
    private List<Map.Entry<String, ConnectionInfo>> orphans(Vnet v, String proto) {
        List<Map.Entry<String, ConnectionInfo>> out = new ArrayList<>();
        for (ProtoSwInfo info : core().registry().list()) {
            if (proto != null && !proto.equals(info.name())) {
                continue;
            }
            ProtoEntry e = core().registry().entry(info.name());
            ProtoInstance pi = e == null ? null : e.instance(v.name());
            Protocol p = pi == null ? null : pi.protocol();
            if (p == null) {
                continue;
            }
            String label = info.name() + (info.domain() == SocketConstants.AF_INET ? "4" : "");
            for (ConnectionInfo c : p.orphans()) {
                out.add(Map.entry(label, c));
            }
        }
        return out;
    }

    private String sockets(Vnet v, boolean all, boolean details, String proto, List<Map.Entry<String, ConnectionInfo>> orphans) {
        List<SocketInfo> shown = new ArrayList<>();
        // with -T, one column for every name a protocol reported, in the order first seen
        Set<String> extra = new LinkedHashSet<>();
        for (SocketInfo s : v.sockets().sockets(details)) {
            if ((proto != null && !proto.equals(s.protocol())) || (!all && isServer(s))) {
                continue;
            }
            shown.add(s);
            extra.addAll(s.details().keySet());
        }
        List<String> headers = new ArrayList<>(List.of("Proto", ">Recv-Q", ">Send-Q", "Local Address", "Foreign Address", "(state)"));
        extra.forEach(h -> headers.add(">" + h));
        Table t = new Table(headers.toArray(String[]::new));
        for (SocketInfo s : shown) {
            String state = s.state().isEmpty() && s.listening() ? "LISTEN" : s.state();
            if (s.closed()) {
                state = state.isEmpty() ? "(closing)" : state + " (closing)";
            }
            if (s.owner() != null) {
                // a socket another protocol opened inside the stack: say whose it is
                state = state.isEmpty() ? "(used by " + s.owner() + ")" : state + " (used by " + s.owner() + ")";
            }
            List<Object> row = new ArrayList<>(List.of(s.protocol() + (s.domain() == SocketConstants.AF_INET ? "4" : ""),
                    s.recvQ(), s.sendQ(), addr(s.local()), addr(s.foreign()), state));
            extra.forEach(h -> row.add(s.details().getOrDefault(h, "")));
            t.row(row.toArray());
        }
        // what outlived its socket (TIME_WAIT...) is a connection too, as netstat(1) shows it
        for (Map.Entry<String, ConnectionInfo> o : orphans) {
            ConnectionInfo c = o.getValue();
            List<Object> row = new ArrayList<>(List.of(o.getKey(), c.recvQ(), c.sendQ(), addr(c.local()), addr(c.foreign()), c.state()));
            extra.forEach(h -> row.add(""));
            t.row(row.toArray());
        }
        return "Active Internet connections" + (all ? " (including servers)" : "") + " (vnet " + v.name() + ")\n" + t;
    }

    /**
     * What netstat(1) leaves out without -a: listening sockets, and sockets with no local
     * address or only the wildcard one and no peer (a server waiting for anyone). A closed
     * socket whose calls are still leaving is always shown: it is what someone looks for.
     */
    private static boolean isServer(SocketInfo s) {
        if (s.closed()) {
            return false;
        }
        if (s.listening() || s.local() == null) {
            return true;
        }
        return s.foreign() == null && s.local() instanceof InetSockAddr in && in.addr().isAny();
    }

    /** FreeBSD's notation: address.port, with * for the wildcard. */
    String addr(SockAddr a) {
        if (a == null) {
            return "*.*";
        }
        if (a instanceof InetSockAddr in) {
            return (in.addr().isAny() ? "*" : in.addr().toString()) + "." + (in.port() == 0 ? "*" : Integer.toString(in.port()));
        }
        // another domain's address, as its domain writes it
        return core().registry().formatAddress(a);
    }

    private String statistics(Vnet v, String proto, Args args) {
        StringBuilder sb = new StringBuilder();
        boolean any = false;
        if (proto == null || proto.equals("ip")) {
            java.util.Map<String, Long> ip = new java.util.LinkedHashMap<>(v.ip().ipStatistics());
            // the input workers' queues come before ip_input, as FreeBSD's netisr does (netstat -Q)
            ip.put("packets dropped for a full input queue", v.netisr().queueFullDropsTotal());
            ip.put("SYNs and fragments dropped to keep the input queue's reserve (net.isr.reserve)",
                    v.netisr().reserveDropsTotal());
            section(sb, "ip", ip);
            any = true;
        }
        if (proto == null || proto.equals("icmp")) {
            section(sb, "icmp", v.ip().icmpStatistics());
            any = true;
        }
        for (ProtoSwInfo info : core().registry().list()) {
            if (proto != null && !proto.equals(info.name())) {
                continue;
            }
            ProtoEntry e = core().registry().entry(info.name());
            ProtoInstance pi = e == null ? null : e.instance(v.name());
            if (pi == null) {
                continue;
            }
            section(sb, info.name(), pi.statistics());
            any = true;
        }
        if (!any) {
            knownProtocol(v, proto, args);
        }
        return sb.toString();
    }

    /** Fails unless a protocol of that name runs in the vnet (ip and icmp always do). */
    private void knownProtocol(Vnet v, String proto, Args args) {
        StringBuilder known = new StringBuilder("ip, icmp");
        boolean found = proto.equals("ip") || proto.equals("icmp");
        for (ProtoSwInfo i : core().registry().list()) {
            ProtoEntry e = core().registry().entry(i.name());
            if (e != null && e.instance(v.name()) != null) {
                known.append(", ").append(i.name());
                found |= i.name().equals(proto);
            }
        }
        if (!found) {
            throw args.fail("no protocol '" + proto + "' in vnet " + v.name() + " (known: " + known + ")");
        }
    }

    /**
     * One protocol as netstat -s prints it: "\tN what" lines; a key "Heading: item" (ICMP's
     * histograms) goes under its heading as "\t\titem: N", as FreeBSD prints histograms.
     */
    static void section(StringBuilder sb, String name, Map<String, Long> stats) {
        sb.append(name).append(":\n");
        if (stats.isEmpty()) {
            sb.append("\t(no statistics)\n");
        }
        String heading = null;
        for (Map.Entry<String, Long> e : stats.entrySet()) {
            String k = e.getKey();
            int colon = k.indexOf(": ");
            if (k.endsWith(":")) {
                heading = null;
                sb.append('\t').append(k).append('\n');
            } else if (colon > 0) {
                String h = k.substring(0, colon);
                if (!h.equals(heading)) {
                    heading = h;
                    sb.append('\t').append(h).append(":\n");
                }
                sb.append("\t\t").append(k.substring(colon + 2)).append(": ").append(e.getValue()).append('\n');
            } else {
                heading = null;
                sb.append('\t').append(e.getValue()).append(' ').append(k).append('\n');
            }
        }
    }

    private static String interfaces(Vnet v) {
        Table t = new Table("Name", ">Mtu", "Network", "Address", ">Ipkts", ">Ierrs", ">Idrop", ">Ibytes", ">Opkts", ">Oerrs", ">Odrop", ">Obytes");
        for (NetInterface ifp : v.interfaces().list()) {
            IfCounters c = ifp.counters();
            Object[] counts = {c.ipackets.sum(), c.ierrors.sum(), c.iqdrops.sum(), c.ibytes.sum(),
                    c.opackets.sum(), c.oerrors.sum(), c.oqdrops.sum(), c.obytes.sum()};
            t.row(row(ifp.name(), ifp.mtu(), "<Link#" + ifp.index() + ">", ifp.driverName(), counts));
            for (IfAddr a : ifp.addresses()) {
                t.row(row(ifp.name(), ifp.mtu(), a.network() + "/" + a.prefixLength(), a.addr(), counts));
            }
        }
        return t.toString();
    }

    private static Object[] row(String name, int mtu, Object network, Object address, Object[] counts) {
        Object[] r = new Object[4 + counts.length];
        r[0] = name;
        r[1] = mtu;
        r[2] = network;
        r[3] = address;
        System.arraycopy(counts, 0, r, 4, counts.length);
        return r;
    }
}
