package org.protosw.internal.shell;

import java.util.ArrayList;
import java.util.List;

import org.apache.felix.service.command.Descriptor;
import org.osgi.service.component.annotations.Component;
import org.protosw.internal.kern.Vnet;
import org.protosw.internal.net.Epair;
import org.protosw.internal.net.NetInterface;
import org.protosw.internal.net.Tun;
import org.protosw.internal.net.TunHost;
import org.protosw.socket.InAddr;
import org.protosw.spi.IfAddr;
import org.protosw.spi.IfNet;

/** {@code net:ifconfig}: list, create, destroy and configure interfaces, as ifconfig(8). */
@Component(service = IfconfigCommand.class, property = {"osgi.command.scope=net", "osgi.command.function=ifconfig"})
public final class IfconfigCommand extends NetCommand {
    static final String USAGE = "ifconfig [-j vnet] [-a] [IF] | ifconfig [-j vnet] epair create"
            + " | ifconfig [-j vnet] tunN create [mtu N] [inet ADDR/LEN] [host ADDR/LEN] | ifconfig [-j vnet] IF destroy"
            + " | ifconfig [-j vnet] IF [inet ADDR[/LEN] [alias|delete|-alias]] [-alias ADDR] [mtu N] [up|down] [vnet NAME]";

    @Descriptor("list and configure interfaces, as ifconfig(8)\n"
            + "  ifconfig [-j vnet] [-a]                 list the interfaces of a vnet (-a: all, the default anyway)\n"
            + "  ifconfig [-j vnet] IF                   show one interface\n"
            + "  ifconfig [-j vnet] epair create         create an epair (two joined interfaces epairNa/epairNb)\n"
            + "  ifconfig [-j vnet] tunN create [mtu N] [inet ADDR/LEN] [host ADDR/LEN]\n"
            + "                                          open the Linux TUN device tunN (needs root or CAP_NET_ADMIN and\n"
            + "                                          /dev/net/tun); inet: the stack's address on it; host: configure\n"
            + "                                          and bring up the kernel's side (runs ip(8); outside a network\n"
            + "                                          namespace only RFC 5737 networks are accepted)\n"
            + "  ifconfig [-j vnet] IF destroy           destroy an interface (an epair's peer goes with it; a tun\n"
            + "                                          device is closed and its thread stopped)\n"
            + "  ifconfig [-j vnet] IF inet A.B.C.D[/LEN] [alias]\n"
            + "                                          add an address and the route to its network\n"
            + "                                          (no /LEN: the classful mask, /8, /16 or /24)\n"
            + "  ifconfig [-j vnet] IF inet A.B.C.D delete | inet A.B.C.D -alias | -alias A.B.C.D\n"
            + "                                          remove an address\n"
            + "  ifconfig [-j vnet] IF mtu N             set the MTU (68 up to the driver's maximum)\n"
            + "  ifconfig [-j vnet] IF up|down           bring the interface up or down\n"
            + "  ifconfig [-j vnet] IF vnet NAME         move the interface into vnet NAME (its addresses are removed)\n"
            + "  settings may follow one IF together, e.g. ifconfig epair0a inet 192.0.2.1/24 mtu 9000 up\n"
            + "  -j vnet                                 the stack instance (default: the default vnet)")
    public void ifconfig(@Descriptor("options, interface and settings (see above)") String... argv) {
        Args args = new Args("ifconfig", USAGE, argv);
        Args.Options opts = args.options("-a");
        Vnet v = instance("ifconfig", opts.vnet());
        if (args.isEmpty()) {
            StringBuilder sb = new StringBuilder();
            for (NetInterface ifp : v.interfaces().list()) {
                sb.append(describe(ifp));
            }
            System.out.print(sb);
            return;
        }
        String name = args.next("interface name");
        if (args.flag("create")) {
            if (name.startsWith("tun")) {
                createTun(args, v, name);
                return;
            }
            args.end();
            create(v, name);
            return;
        }
        NetInterface ifp = requireInterface(v, name, "ifconfig");
        if (args.isEmpty()) {
            System.out.print(describe(ifp));
            return;
        }
        if (args.flag("destroy")) {
            args.end();
            destroy(v, ifp);
            return;
        }
        while (!args.isEmpty()) {
            String word = args.next("setting");
            switch (word) {
                case "inet" -> inet(args, v, ifp);
                case "-alias" -> removeAddress(v, ifp, args.nextAddr("address after -alias"));
                case "mtu" -> {
                    int mtu = args.nextInt("mtu", NetInterface.MIN_MTU, ifp.maxMtu());
                    core("ifconfig", () -> {
                        if (ifp instanceof Tun) {
                            // the host's end of the device is an interface of its own: both
                            // ends must agree, and the host's is the one that can refuse
                            TunHost.setMtu(ifp.name(), mtu);
                        }
                        ifp.setMtu(mtu);
                        return null;
                    });
                }
                case "up" -> ifp.setUp(true);
                case "down" -> ifp.setUp(false);
                case "vnet" -> move(v, ifp, args.next("vnet name after 'vnet'"));
                default -> throw args.fail("unknown setting '" + word + "' for " + ifp.name()
                        + " (accepted: inet, -alias, mtu, up, down, vnet, or destroy alone)");
            }
        }
    }

    private void create(Vnet v, String name) {
        if (!name.equals("epair")) {
            // the unit is picked by the core (epair0, epair1...), so "epair5 create" would not honour its number
            throw new CommandException("ifconfig: cannot create '" + name
                    + "' (accepted: epair create, which makes a pair epairNa/epairNb, or tunN create)");
        }
        int unit = core().nextEpairUnit();
        Epair pair = new Epair(unit);
        core("ifconfig", () -> {
            v.attachInterface(pair.a());
            try {
                v.attachInterface(pair.b());
            } catch (org.protosw.socket.SocketException e) {
                v.detachInterface(pair.a());
                pair.destroy();
                throw e;
            }
            return null;
        });
        System.out.println(pair.a().name());
    }

    /**
     * {@code tunN create [mtu N] [inet ADDR/LEN] [host ADDR/LEN]}: every setting is checked
     * before the device is opened, and a failure after that closes it again, so a failed
     * command leaves no device, thread or descriptor behind.
     */
    private void createTun(Args args, Vnet v, String name) {
        int mtu = Tun.DEFAULT_MTU;
        String inet = null;
        String host = null;
        while (!args.isEmpty()) {
            String word = args.next("setting");
            switch (word) {
                case "mtu" -> mtu = args.nextInt("mtu", NetInterface.MIN_MTU, NetInterface.MAX_MTU);
                case "inet" -> inet = args.next("address after 'inet' (A.B.C.D/LEN)");
                case "host" -> host = args.next("address after 'host' (A.B.C.D/LEN)");
                default -> throw args.fail("unknown setting '" + word + "' for " + name + " create (accepted: mtu N, inet ADDR/LEN, host ADDR/LEN)");
            }
        }
        IfAddr local = inet == null ? null : prefixed(args, inet, "inet");
        IfAddr remote = host == null ? null : prefixed(args, host, "host");
        if (v.interfaces().byName(name) != null) {
            throw new CommandException("ifconfig: interface " + name + " already exists in vnet " + v.name());
        }
        if (remote != null) {
            // refuse before anything is opened
            int len = remote.prefixLength();
            core("ifconfig", () -> {
                TunHost.checkAllowed(remote.addr(), len);
                return null;
            });
        }
        int m = mtu;
        Tun tun = core("ifconfig", () -> Tun.open(name, m));
        try {
            core("ifconfig", () -> {
                v.attachInterface(tun);
                if (local != null) {
                    v.addAddress(tun, local);
                }
                if (remote != null) {
                    TunHost.configure(tun.deviceName(), m, remote.addr(), remote.prefixLength());
                }
                return null;
            });
        } catch (RuntimeException e) {
            v.detachInterface(tun);
            tun.destroy();
            throw e;
        }
    }

    private static IfAddr prefixed(Args args, String spec, String what) {
        int slash = spec.indexOf('/');
        if (slash < 0) {
            throw args.fail("give the " + what + " address with its prefix length, as A.B.C.D/LEN ('" + spec + "')");
        }
        InAddr addr = parseAddr(args, spec.substring(0, slash));
        int len = (int) args.parseLong(spec.substring(slash + 1), what + " prefix length", 1, 32);
        return new IfAddr(addr, len, null);
    }

    private void destroy(Vnet v, NetInterface ifp) {
        if (ifp.isLoopback()) {
            throw new CommandException("ifconfig: " + ifp.name() + " is the loopback interface of vnet " + v.name() + " and cannot be destroyed");
        }
        if (ifp instanceof Epair.End end) {
            // each end's vnet takes it out through the destroy listener
            end.pair().destroy();
            return;
        }
        v.detachInterface(ifp);
        ifp.destroy();
    }

    private void inet(Args args, Vnet v, NetInterface ifp) {
        String spec = args.next("address after 'inet' (A.B.C.D/LEN)");
        if (args.flag("delete") || args.flag("-alias")) {
            removeAddress(v, ifp, parseAddr(args, spec.contains("/") ? spec.substring(0, spec.indexOf('/')) : spec));
            return;
        }
        int slash = spec.indexOf('/');
        int len;
        InAddr addr;
        if (slash < 0) {
            addr = parseAddr(args, spec);
            len = defaultPrefix(addr);
        } else {
            addr = parseAddr(args, spec.substring(0, slash));
            len = (int) args.parseLong(spec.substring(slash + 1), "prefix length", 0, 32);
        }
        if ("netmask".equals(args.peek())) {
            throw args.fail("give the prefix length as ADDR/LEN instead of netmask");
        }
        // ifconfig(8)'s "alias": adding is what inet does here anyway, the first address stays
        args.flag("alias");
        InAddr bcast = (ifp.flags() & IfNet.IFF_BROADCAST) != 0 && len < 31
                ? new InAddr(addr.bits() | ~InAddr.netmask(len)) : null;
        IfAddr a = new IfAddr(addr, len, bcast);
        core("ifconfig", () -> {
            v.addAddress(ifp, a);
            return null;
        });
    }

    private static InAddr parseAddr(Args args, String text) {
        try {
            return InAddr.parse(text);
        } catch (IllegalArgumentException e) {
            throw args.fail(e.getMessage());
        }
    }

    /** Classful default, as ifconfig(8) still applies without a mask. */
    private static int defaultPrefix(InAddr a) {
        int first = a.bits() >>> 24;
        return first < 128 ? 8 : first < 192 ? 16 : 24;
    }

    private void removeAddress(Vnet v, NetInterface ifp, InAddr addr) {
        if (!v.removeAddress(ifp, addr)) {
            throw new CommandException("ifconfig: " + ifp.name() + " has no address " + addr);
        }
    }

    private void move(Vnet from, NetInterface ifp, String target) {
        Vnet to = instance("ifconfig", target);
        if (to == from) {
            return;
        }
        if (ifp.isLoopback()) {
            throw new CommandException("ifconfig: the loopback interface " + ifp.name() + " cannot leave vnet " + from.name());
        }
        if (to.interfaces().byName(ifp.name()) != null) {
            throw new CommandException("ifconfig: vnet " + to.name() + " already has an interface named " + ifp.name());
        }
        List<IfAddr> addrs = new ArrayList<>(ifp.addresses());
        from.detachInterface(ifp);
        // as in FreeBSD, addresses do not travel with an interface into another vnet
        ifp.setAddresses(List.of());
        core("ifconfig", () -> {
            to.attachInterface(ifp);
            return null;
        });
        if (!addrs.isEmpty()) {
            System.out.println(ifp.name() + ": addresses " + addrs + " removed on the move to vnet " + to.name());
        }
    }

    static String describe(NetInterface ifp) {
        StringBuilder sb = new StringBuilder();
        sb.append(ifp.name()).append(": flags=").append(Integer.toHexString(ifp.flags()))
                .append('<').append(flagNames(ifp.flags())).append("> mtu ").append(ifp.mtu()).append('\n');
        for (IfAddr a : ifp.addresses()) {
            sb.append("\tinet ").append(a.addr()).append(" netmask 0x")
                    .append(String.format("%08x", InAddr.netmask(a.prefixLength())));
            if (a.broadcast() != null) {
                sb.append(" broadcast ").append(a.broadcast());
            }
            sb.append('\n');
        }
        sb.append("\tgroups: ").append(ifp.driverName());
        if (ifp instanceof Epair.End end) {
            sb.append("  peer: ").append(end.peer().name());
        }
        sb.append('\n');
        return sb.toString();
    }

    static String flagNames(int f) {
        List<String> n = new ArrayList<>();
        if ((f & IfNet.IFF_UP) != 0) n.add("UP");
        if ((f & IfNet.IFF_BROADCAST) != 0) n.add("BROADCAST");
        if ((f & IfNet.IFF_LOOPBACK) != 0) n.add("LOOPBACK");
        if ((f & IfNet.IFF_POINTOPOINT) != 0) n.add("POINTOPOINT");
        if ((f & IfNet.IFF_RUNNING) != 0) n.add("RUNNING");
        if ((f & IfNet.IFF_MULTICAST) != 0) n.add("MULTICAST");
        return String.join(",", n);
    }
}
