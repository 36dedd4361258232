package org.protosw.internal.shell;

import org.apache.felix.service.command.Descriptor;
import org.osgi.service.component.annotations.Component;
import org.protosw.internal.kern.Vnet;
import org.protosw.internal.net.NetInterface;
import org.protosw.socket.InAddr;
import org.protosw.spi.Route;

/** {@code net:route}: show, add, delete and look up routes, as route(8). */
@Component(service = RouteCommand.class, property = {"osgi.command.scope=net", "osgi.command.function=route"})
public final class RouteCommand extends NetCommand {
    static final String USAGE = "route [-j vnet] [-n] [show] | route [-j vnet] add [-net|-host] DEST[/LEN]|default GATEWAY|-interface IF|-iface IF [-mtu N]"
            + " | route [-j vnet] delete [-net|-host] DEST[/LEN]|default | route [-j vnet] get ADDR";

    @Descriptor("show and change the routing table, as route(8)\n"
            + "  route [show]                                the routing table, one route a line\n"
            + "  route add DEST/LEN GATEWAY [-mtu N]         a route through a gateway on an attached network\n"
            + "  route add default GATEWAY                   the default route (0.0.0.0/0)\n"
            + "  route add DEST/LEN -interface IF [-mtu N]   a route straight out of interface IF (-iface IF too)\n"
            + "  route delete DEST/LEN | default             remove a route\n"
            + "  route get ADDR                              which route a packet to ADDR takes\n"
            + "  DEST without /LEN is a host route (/32); -net DEST/LEN and -host DEST say which one is meant\n"
            + "  -mtu N                                      the route's MTU (68..65535; default: the interface's)\n"
            + "  -n                                          accepted for habit: addresses are always numeric\n"
            + "  -j vnet                                     the stack instance (default: the default vnet)")
    public void route(@Descriptor("[show] | add ... | delete ... | get ADDR") String... argv) {
        Args args = new Args("route", USAGE, argv);
        Vnet v = instance("route", args.options("-n").vnet());
        String verb = args.nextOr("show");
        switch (verb) {
            case "show" -> {
                args.end();
                System.out.print(table(v));
            }
            case "add" -> add(args, v);
            case "delete" -> {
                Prefix p = prefix(args);
                args.end();
                Route r = core("route", () -> v.ip().routes().delete(p.addr, p.len));
                System.out.println("delete " + p + (r.gateway() != null ? ": gateway " + r.gateway() : ": interface " + r.ifp().name()));
            }
            case "get" -> {
                InAddr a = args.nextAddr("address");
                args.end();
                Route r = v.ip().routes().lookup(a.bits());
                if (r == null) {
                    throw new CommandException("route: get " + a + ": no route to host (vnet " + v.name() + ")");
                }
                System.out.printf("   route to: %s%ndestination: %s%n       mask: %s%n    gateway: %s%n  interface: %s%n      flags: <%s>%n        mtu: %d%n",
                        a, r.dst(), r.prefixLength() == 0 ? "default" : new InAddr(InAddr.netmask(r.prefixLength())),
                        r.gateway() == null ? "(direct)" : r.gateway(), r.ifp().name(), r.flagString(), r.effectiveMtu());
            }
            default -> throw args.fail("unknown subcommand '" + verb + "' (accepted: show, add, delete, get)");
        }
    }

    private record Prefix(InAddr addr, int len) {
        /** As route(8) reports it: "net default", "host 10.9.9.9", "net 10.0.0.0/8". */
        @Override
        public String toString() {
            return len == 0 ? "net default" : len == 32 ? "host " + addr : "net " + addr + "/" + len;
        }
    }

    private static Prefix prefix(Args args) {
        String d = args.next("destination (A.B.C.D[/LEN] or default)");
        if (d.equals("default")) {
            return new Prefix(InAddr.ANY, 0);
        }
        String kind = null;
        if (d.equals("-net") || d.equals("-host")) {
            kind = d;
            d = args.next("destination after " + kind);
        }
        int slash = d.indexOf('/');
        if ("-net".equals(kind) && slash < 0) {
            throw args.fail("-net " + d + " needs a prefix length (-net A.B.C.D/LEN)");
        }
        if ("-host".equals(kind) && slash >= 0 && !d.endsWith("/32")) {
            throw args.fail("-host " + d + " is a network (give -host A.B.C.D, or -net A.B.C.D/LEN)");
        }
        try {
            InAddr a = InAddr.parse(slash < 0 ? d : d.substring(0, slash));
            int len = slash < 0 ? 32 : (int) args.parseLong(d.substring(slash + 1), "prefix length", 0, 32);
            if ((a.bits() & ~InAddr.netmask(len)) != 0) {
                throw args.fail(d + " has host bits set beyond /" + len + " (did you mean " + new InAddr(a.bits() & InAddr.netmask(len)) + "/" + len + "?)");
            }
            return new Prefix(a, len);
        } catch (CommandException e) {
            throw e;
        } catch (IllegalArgumentException e) {
            throw args.fail(e.getMessage());
        }
    }

    private void add(Args args, Vnet v) {
        Prefix p = prefix(args);
        InAddr gw = null;
        NetInterface ifp = null;
        int mtu = 0;
        while (!args.isEmpty()) {
            String w = args.next("gateway or option");
            switch (w) {
                case "-interface", "-iface" -> ifp = requireInterface(v, args.next("interface after " + w), "route");
                case "-mtu" -> mtu = args.nextInt("mtu", 68, 65535);
                default -> {
                    if (gw != null || w.startsWith("-")) {
                        throw args.fail("unexpected '" + w + "' (accepted after the destination: GATEWAY, -interface IF, -mtu N)");
                    }
                    try {
                        gw = InAddr.parse(w);
                    } catch (IllegalArgumentException e) {
                        throw args.fail(e.getMessage());
                    }
                }
            }
        }
        if (gw == null && ifp == null) {
            throw args.fail("missing gateway (or -interface IF)");
        }
        InAddr ifaddr;
        if (gw != null) {
            Route toGw = v.ip().routes().lookup(gw.bits());
            if (toGw == null || toGw.gateway() != null) {
                throw new CommandException("route: add " + p + ": gateway " + gw + " is not on a directly attached network (Network is unreachable)");
            }
            if (ifp != null && ifp != toGw.ifp()) {
                throw new CommandException("route: add " + p + ": gateway " + gw + " is reached through " + toGw.ifp().name() + ", not " + ifp.name());
            }
            ifp = (NetInterface) toGw.ifp();
            ifaddr = toGw.ifaddr();
        } else {
            if (ifp.addresses().isEmpty()) {
                throw new CommandException("route: add " + p + ": interface " + ifp.name() + " has no address to send from");
            }
            ifaddr = ifp.addresses().get(0).addr();
        }
        int flags = Route.RTF_UP | Route.RTF_STATIC | (gw != null ? Route.RTF_GATEWAY : 0) | (p.len == 32 ? Route.RTF_HOST : 0);
        Route r = new Route(p.addr, p.len, gw, ifp, ifaddr, mtu, flags);
        core("route", () -> {
            v.ip().routes().add(r);
            return null;
        });
        System.out.println("add " + p + (gw != null ? ": gateway " + gw : ": interface " + ifp.name()));
    }

    static String table(Vnet v) {
        Table t = new Table("Destination", "Gateway", "Flags", "Netif", ">Mtu");
        for (Route r : v.ip().routes().list()) {
            String dst = r.prefixLength() == 0 ? "default" : r.prefixLength() == 32 ? r.dst().toString() : r.dst() + "/" + r.prefixLength();
            String gw = r.gateway() != null ? r.gateway().toString() : "link#" + r.ifp().index();
            t.row(dst, gw, r.flagString(), r.ifp().name(), r.effectiveMtu());
        }
        return "Routing tables (vnet " + v.name() + ")\n\nInternet:\n" + t;
    }
}
