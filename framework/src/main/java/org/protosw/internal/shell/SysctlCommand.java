package org.protosw.internal.shell;

import java.util.List;

import org.apache.felix.service.command.Descriptor;
import org.osgi.service.component.annotations.Component;
import org.protosw.internal.kern.Vnet;
import org.protosw.spi.Tunable;

/** {@code net:sysctl}: read and set tunables, as sysctl(8); values are saved in Configuration Admin. */
@Component(service = SysctlCommand.class, property = {"osgi.command.scope=net", "osgi.command.function=sysctl"})
public final class SysctlCommand extends NetCommand {
    static final String USAGE = "sysctl [-j vnet] [-a] [-d] [NAME[=VALUE]]...";

    @Descriptor("read and set tunables with FreeBSD names, saved in Configuration Admin (etc/org.protosw.sysctl.cfg)\n"
            + "  sysctl [-a]                 all tunables of the vnet\n"
            + "  sysctl NAME|PREFIX          one tunable, or all under a prefix (e.g. net.inet.udp)\n"
            + "  sysctl NAME=VALUE           set a tunable (checked against its range)\n"
            + "  sysctl -d NAME|PREFIX       describe instead of printing values\n"
            + "  -j vnet                     the stack instance (default: the default vnet)")
    public void sysctl(@Descriptor("[-a] [-d] [NAME[=VALUE]]...") String... argv) {
        Args args = new Args("sysctl", USAGE, argv);
        Vnet v = vnet(args.vnetOption(null));
        boolean describe = false;
        while (args.peek() != null && args.peek().startsWith("-")) {
            String opt = args.next("option");
            switch (opt) {
                case "-a" -> {
                }
                case "-d" -> describe = true;
                default -> throw args.fail("unknown option '" + opt + "'");
            }
        }
        List<String> names = args.rest();
        StringBuilder out = new StringBuilder();
        if (names.isEmpty()) {
            names = List.of("");
        }
        for (String n : names) {
            int eq = n.indexOf('=');
            if (eq >= 0) {
                set(v, n.substring(0, eq).trim(), n.substring(eq + 1).trim(), out);
            } else {
                show(v, n, describe, out);
            }
        }
        System.out.print(out);
    }

    private static void set(Vnet v, String name, String value, StringBuilder out) {
        Tunable t = v.sysctl().find(name);
        if (t == null) {
            throw new CommandException("sysctl: unknown oid '" + name + "' (list them with net:sysctl -a)");
        }
        long nv;
        try {
            nv = Long.parseLong(value);
        } catch (NumberFormatException e) {
            throw new CommandException("sysctl: " + name + ": '" + value + "' is not an integer (accepted: " + t.min() + " to " + t.max() + ")");
        }
        long old = t.get();
        try {
            t.set(nv);
        } catch (IllegalArgumentException e) {
            throw new CommandException("sysctl: " + e.getMessage());
        }
        out.append(name).append(": ").append(old).append(" -> ").append(nv).append('\n');
    }

    private static void show(Vnet v, String prefix, boolean describe, StringBuilder out) {
        boolean any = false;
        for (Tunable t : v.sysctl().list()) {
            if (prefix.isEmpty() || t.name().equals(prefix) || t.name().startsWith(prefix + ".")) {
                any = true;
                out.append(t.name()).append(": ").append(describe ? t.description() : Long.toString(t.get())).append('\n');
            }
        }
        if (!any) {
            throw new CommandException("sysctl: unknown oid '" + prefix + "' (list them with net:sysctl -a)");
        }
    }
}
