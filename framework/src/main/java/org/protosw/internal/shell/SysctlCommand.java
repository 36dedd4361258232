package org.protosw.internal.shell;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import org.apache.felix.service.command.Descriptor;
import org.osgi.service.component.annotations.Component;
import org.protosw.internal.kern.Vnet;
import org.protosw.spi.StringTunable;
import org.protosw.spi.Tunable;

/** {@code net:sysctl}: read and set tunables, as sysctl(8); values are saved in Configuration Admin. */
@Component(service = SysctlCommand.class, property = {"osgi.command.scope=net", "osgi.command.function=sysctl"})
public final class SysctlCommand extends NetCommand {
    static final String USAGE = "sysctl [-j vnet] [-a] [-d] [NAME[=VALUE]]...";

    @Descriptor("read and set tunables with FreeBSD names, saved in Configuration Admin (etc/org.protosw.sysctl.cfg)\n"
            + "  sysctl [-a]                 all tunables of the vnet (-a: all, the default without names)\n"
            + "  sysctl NAME|PREFIX          one tunable, or all under a prefix (e.g. net.inet.udp)\n"
            + "  sysctl NAME=VALUE           set a tunable (an integer checked against its range, or a word\n"
            + "                              for the few that hold one, e.g. net.inet.tcp.cc.algorithm=newreno)\n"
            + "  sysctl -d NAME|PREFIX       describe instead of printing values\n"
            + "  -j vnet                     the stack instance (default: the default vnet)")
    public void sysctl(@Descriptor("[-a] [-d] [NAME[=VALUE]]...") String... argv) {
        Args args = new Args("sysctl", USAGE, argv);
        Args.Options opts = args.options("-a", "-d");
        Vnet v = instance("sysctl", opts.vnet());
        boolean describe = opts.has("-d");
        List<String> names = args.rest();
        if (names.isEmpty()) {
            names = List.of("");
        }
        // every word is checked before any value changes, so a typo in the second name does
        // not leave the first one set behind an error
        List<Runnable> steps = new ArrayList<>();
        StringBuilder out = new StringBuilder();
        for (String n : names) {
            int eq = n.indexOf('=');
            if (eq >= 0) {
                steps.add(set(v, n.substring(0, eq).trim(), n.substring(eq + 1).trim(), out));
            } else {
                steps.add(show(v, n, describe, out));
            }
        }
        steps.forEach(Runnable::run);
        System.out.print(out);
    }

    private static Runnable set(Vnet v, String name, String value, StringBuilder out) {
        if (name.isEmpty()) {
            throw new CommandException("sysctl: '=" + value + "' has no name before '=' (accepted: NAME=VALUE as one word, e.g. net.inet.ip.ttl=32)");
        }
        Tunable t = v.sysctl().find(name);
        if (t == null) {
            StringTunable w = v.sysctl().findString(name);
            if (w == null) {
                throw new CommandException("sysctl: unknown oid '" + name + "' (list them with net:sysctl -a)");
            }
            return setWord(w, value, out);
        }
        long nv;
        try {
            nv = Long.parseLong(value);
        } catch (NumberFormatException e) {
            throw new CommandException("sysctl: " + name + ": '" + value + "' is not an integer (accepted: " + t.min() + " to " + t.max() + ")");
        }
        if (nv < t.min() || nv > t.max()) {
            throw new CommandException("sysctl: " + name + ": " + nv + " is out of range (accepted: " + t.min() + " to " + t.max() + ")");
        }
        return () -> {
            long old = t.get();
            t.set(nv);
            out.append(name).append(": ").append(old).append(" -> ").append(nv).append('\n');
        };
    }

    private static Runnable setWord(StringTunable w, String value, StringBuilder out) {
        String refused = w.refuse(value);
        if (refused != null) {
            throw new CommandException("sysctl: " + w.name() + ": " + refused);
        }
        return () -> {
            String old = w.get();
            try {
                w.set(value);
            } catch (IllegalArgumentException e) {
                throw new CommandException("sysctl: " + e.getMessage());
            }
            out.append(w.name()).append(": ").append(old).append(" -> ").append(value).append('\n');
        };
    }

    private static Runnable show(Vnet v, String word, boolean describe, StringBuilder out) {
        String prefix = word.endsWith(".") ? word.substring(0, word.length() - 1) : word;
        // name, then value or description, of integer and word tunables alike, by name
        Map<String, String[]> match = new TreeMap<>();
        for (Tunable t : v.sysctl().list()) {
            if (matches(t.name(), prefix)) {
                match.put(t.name(), new String[] {Long.toString(t.get()), t.description()});
            }
        }
        for (StringTunable t : v.sysctl().strings()) {
            if (matches(t.name(), prefix)) {
                match.put(t.name(), new String[] {t.get(), t.description()});
            }
        }
        if (match.isEmpty()) {
            throw new CommandException("sysctl: unknown oid '" + word + "' (list them with net:sysctl -a)");
        }
        return () -> match.forEach((name, vd) -> out.append(name).append(": ").append(describe ? vd[1] : vd[0]).append('\n'));
    }

    private static boolean matches(String name, String prefix) {
        return prefix.isEmpty() || name.equals(prefix) || name.startsWith(prefix + ".");
    }
}
