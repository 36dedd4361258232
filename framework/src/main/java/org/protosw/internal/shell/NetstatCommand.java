package org.protosw.internal.shell;

import java.util.Map;

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
import org.protosw.spi.IfAddr;

/** {@code net:netstat}: sockets, per-protocol statistics, interface counters, routes, as netstat(1). */
@Component(service = NetstatCommand.class, property = {"osgi.command.scope=net", "osgi.command.function=netstat"})
public final class NetstatCommand extends NetCommand {
    static final String USAGE = "netstat [-j vnet] [-a] [-n] | netstat [-j vnet] -s [-p proto] | netstat [-j vnet] -i | netstat [-j vnet] -r";

    @Descriptor("show network status, as netstat(1)\n"
            + "  netstat [-a] [-n]      sockets: protocol, Recv-Q, Send-Q, local and foreign address, state\n"
            + "                         (-a includes listening and unbound sockets; addresses are always numeric)\n"
            + "  netstat -s [-p proto]  statistics per protocol (ip, icmp, udp, raw, ...), as netstat -s\n"
            + "  netstat -i             interface counters: packets, errors, drops, bytes\n"
            + "  netstat -r             the routing table\n"
            + "  -j vnet                the stack instance (default: the default vnet)")
    public void netstat(@Descriptor("[-a] [-n] | -s [-p proto] | -i | -r") String... argv) {
        Args args = new Args("netstat", USAGE, argv);
        String vnetName = null;
        boolean all = false;
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
                throw args.fail("unexpected '" + w + "'");
            }
            for (char c : w.substring(1).toCharArray()) {
                switch (c) {
                    case 'a' -> all = true;
                    case 'n', 'W', 'L' -> {
                    }
                    case 's' -> mode = 's';
                    case 'i' -> mode = 'i';
                    case 'r' -> mode = 'r';
                    default -> throw args.fail("unknown option '-" + c + "'");
                }
            }
        }
        Vnet v = vnet(vnetName);
        switch (mode) {
            case 's' -> System.out.print(statistics(v, proto, args));
            case 'i' -> System.out.print(interfaces(v));
            case 'r' -> System.out.print(RouteCommand.table(v));
            default -> System.out.print(sockets(v, all));
        }
    }

    private static String sockets(Vnet v, boolean all) {
        Table t = new Table("Proto", ">Recv-Q", ">Send-Q", "Local Address", "Foreign Address", "(state)");
        for (SocketInfo s : v.sockets().sockets()) {
            boolean server = s.listening() || s.foreign() == null;
            if (!all && server && !"raw".equals(s.protocol())) {
                if (s.listening() || s.local() == null) {
                    continue;
                }
            }
            String state = s.state().isEmpty() && s.listening() ? "LISTEN" : s.state();
            if (s.closed()) {
                state = state.isEmpty() ? "(closing)" : state + " (closing)";
            }
            t.row(s.protocol() + (s.domain() == 2 ? "4" : ""), s.recvQ(), s.sendQ(), addr(s.local()), addr(s.foreign()), state);
        }
        return "Active Internet connections" + (all ? " (including servers)" : "") + " (vnet " + v.name() + ")\n" + t;
    }

    /** FreeBSD's notation: address.port, with * for the wildcard. */
    static String addr(SockAddr a) {
        if (a == null) {
            return "*.*";
        }
        if (a instanceof InetSockAddr in) {
            return (in.addr().isAny() ? "*" : in.addr().toString()) + "." + (in.port() == 0 ? "*" : Integer.toString(in.port()));
        }
        return a.toString();
    }

    private String statistics(Vnet v, String proto, Args args) {
        StringBuilder sb = new StringBuilder();
        boolean any = false;
        if (proto == null || proto.equals("ip")) {
            section(sb, "ip", v.ip().ipStatistics());
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
            StringBuilder known = new StringBuilder("ip, icmp");
            core().registry().list().forEach(i -> known.append(", ").append(i.name()));
            throw args.fail("no protocol '" + proto + "' in vnet " + v.name() + " (known: " + known + ")");
        }
        return sb.toString();
    }

    private static void section(StringBuilder sb, String name, Map<String, Long> stats) {
        sb.append(name).append(":\n");
        if (stats.isEmpty()) {
            sb.append("\t(no statistics)\n");
        }
        for (Map.Entry<String, Long> e : stats.entrySet()) {
            String k = e.getKey();
            if (k.endsWith(":")) {
                sb.append('\t').append(k).append('\n');
            } else {
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
