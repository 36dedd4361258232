package org.protosw.tcp.internal;

import java.lang.reflect.InvocationTargetException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

import org.apache.felix.service.command.Descriptor;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;
import org.osgi.service.component.annotations.ReferencePolicyOption;
import org.osgi.service.component.runtime.ServiceComponentRuntime;
import org.osgi.service.component.runtime.dto.ComponentDescriptionDTO;
import org.osgi.util.promise.Promise;
import org.protosw.socket.NetStack;
import org.protosw.tcp.cc.CongestionControl;

/**
 * {@code tcp:cc}: the congestion control algorithms TCP can use and each stack instance's
 * default for new connections, in the manner of FreeBSD's {@code sysctl
 * net.inet.tcp.cc.available} and {@code net.inet.tcp.cc.algorithm} (the same sysctl here,
 * per vnet, which {@code set default} sets), and {@code kldunload cc_NAME}: {@code unload}
 * disables the Declarative Services component that provides an algorithm. As FreeBSD
 * refuses to unload a default algorithm (EBUSY), so does this command; a bundle stopped by
 * other means cannot be refused, see {@link CcRegistry}.
 */
@Component(service = CcCommand.class, property = {"osgi.command.scope=tcp", "osgi.command.function=cc",
        "protosw.complete=-j=@vnets", "protosw.complete=1=list|set|unload|load", "protosw.complete=after:set=default"})
public final class CcCommand {
    static final String USAGE = "cc [list] | cc [-j VNET] set default NAME | cc unload NAME | cc load NAME";

    private final CcRegistry registry;

    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC,
            policyOption = ReferencePolicyOption.GREEDY)
    volatile ServiceComponentRuntime scr;

    @Activate
    public CcCommand(@Reference CcRegistry registry) {
        this.registry = registry;
    }

    @Descriptor("TCP congestion control algorithms (mod_cc): which exist and which new connections use\n"
            + "  cc [list]                     name, the vnets whose default it is, connections using it\n"
            + "                                (listening sockets included), providing bundle\n"
            + "  cc [-j VNET] set default NAME the algorithm of new connections in that vnet (default: the\n"
            + "                                default vnet); existing ones keep theirs. It is the sysctl\n"
            + "                                " + TcpProtocol.SYSCTL_CC_ALGORITHM + ", saved with the others\n"
            + "  cc unload NAME                disable the DS component providing it; its connections move to\n"
            + "                                their vnet's default (refused for a default and for newreno)\n"
            + "  cc load NAME                  enable it again\n"
            + "A connection picks its own with the socket option TCP_CONGESTION. When an algorithm's bundle\n"
            + "stops, its connections move to their vnet's default; where it was the default, new connections\n"
            + "use newreno until it is back.")
    public String cc(@Descriptor("[list] | [-j VNET] set default NAME | unload NAME | load NAME") String... argv) {
        List<String> args = new ArrayList<>(argv == null ? List.of() : List.of(argv));
        String vnet = null;
        if (!args.isEmpty() && args.get(0).equals("-j")) {
            if (args.size() < 2) {
                throw new Failure("cc: missing vnet name after -j (usage: " + USAGE + ")");
            }
            vnet = args.get(1);
            args = args.subList(2, args.size());
        }
        if (!args.isEmpty() && args.get(0).startsWith("-")) {
            throw new Failure("cc: unknown option '" + args.get(0) + "' (accepted: -j VNET before set default; usage: " + USAGE + ")");
        }
        if (!args.isEmpty() && args.get(0).equals("set")) {
            if (args.size() != 3 || !args.get(1).equals("default")) {
                throw new Failure("cc set: expected 'set default NAME' (usage: " + USAGE + ")");
            }
            return setDefault(vnet == null ? NetStack.DEFAULT_VNET : vnet, args.get(2));
        }
        if (vnet != null) {
            throw new Failure("cc: -j VNET goes with 'set default' only: the list covers every vnet, and an algorithm is "
                    + "loaded for all of them (usage: " + USAGE + ")");
        }
        if (args.isEmpty() || (args.size() == 1 && args.get(0).equals("list"))) {
            return list();
        }
        if (args.get(0).equals("unload") || args.get(0).equals("load")) {
            if (args.size() != 2) {
                throw new Failure("cc " + args.get(0) + ": expected one algorithm name (usage: " + USAGE + ")");
            }
            return args.get(0).equals("unload") ? unload(args.get(1)) : load(args.get(1));
        }
        throw new Failure("cc: unknown subcommand '" + String.join(" ", args) + "' (usage: " + USAGE + ")");
    }

    private String list() {
        Map<String, Integer> counts = registry.connectionCounts();
        Map<String, TcpProtocol> instances = registry.instances();
        StringBuilder rows = new StringBuilder();
        List<CcAlgo> algos = registry.algorithms();
        List<ComponentDescriptionDTO> unloaded = unloaded();
        List<String[]> table = new ArrayList<>();
        table.add(new String[] {"NAME", "DEFAULT IN", "CONNECTIONS", "BUNDLE"});
        for (CcAlgo a : algos) {
            List<String> in = registry.defaultIn(a.name());
            table.add(new String[] {a.name(), in.isEmpty() ? "-" : String.join(",", in),
                Integer.toString(counts.getOrDefault(a.name(), 0)), a.provider()});
        }
        for (ComponentDescriptionDTO d : unloaded) {
            table.add(new String[] {name(d), "-", "-", d.bundle.symbolicName + " [" + d.bundle.id + "] (unloaded)"});
        }
        int w0 = 0;
        int w1 = 0;
        for (String[] r : table) {
            w0 = Math.max(w0, r[0].length());
            w1 = Math.max(w1, r[1].length());
        }
        String fmt = "%-" + w0 + "s  %-" + w1 + "s  %11s  %s%n";
        for (String[] r : table) {
            rows.append(String.format(fmt, (Object[]) r));
        }
        instances.forEach((vnet, tcp) -> {
            String configured = tcp.ccAlgorithm.get();
            if (registry.lookup(configured) == null) {
                rows.append("vnet ").append(vnet).append(": ").append(TcpProtocol.SYSCTL_CC_ALGORITHM).append(" is '")
                        .append(configured).append("', which is not available: new connections use ")
                        .append(NewReno.NAME).append(" until it registers\n");
            }
        });
        return rows.toString();
    }

    private String setDefault(String vnet, String name) {
        Map<String, TcpProtocol> instances = registry.instances();
        TcpProtocol tcp = instances.get(vnet);
        if (tcp == null) {
            throw new Failure("cc set default: no vnet '" + vnet + "' runs TCP (vnets: " + String.join(", ", instances.keySet()) + ")");
        }
        String refused = tcp.ccAlgorithm.refuse(name);
        if (refused != null) {
            throw new Failure("cc set default: " + refused);
        }
        String old = tcp.ccAlgorithm.get();
        tcp.ccAlgorithm.set(name);
        return "default" + (vnet.equals(NetStack.DEFAULT_VNET) ? "" : " of vnet " + vnet) + ": " + old + " -> " + name + "\n";
    }

    private String unload(String name) {
        CcAlgo a = registry.lookup(name);
        if (a == null) {
            throw new Failure("cc unload: no congestion control algorithm '" + name + "' (available: "
                    + String.join(", ", registry.names()) + ")");
        }
        List<String> defaultIn = registry.defaultIn(name);
        if (!defaultIn.isEmpty()) {
            throw new Failure("cc unload: " + name + " is the default algorithm of vnet " + String.join(", ", defaultIn)
                    + " and stays loaded; pick another first (tcp:cc [-j VNET] set default NAME)");
        }
        if (name.equals(NewReno.NAME)) {
            throw new Failure("cc unload: newreno is TCP's fallback algorithm and stays loaded");
        }
        ServiceComponentRuntime r = runtime("unload");
        ComponentDescriptionDTO d = null;
        for (ComponentDescriptionDTO x : algorithmComponents(r)) {
            if (name.equals(name(x)) && r.isComponentEnabled(x)) {
                d = x;
                break;
            }
        }
        if (d == null) {
            throw new Failure("cc unload: " + name + " (" + a.provider()
                    + ") is not a Declarative Services component; stop its bundle instead");
        }
        int using = registry.connectionCounts().getOrDefault(name, 0);
        await(r.disableComponent(d), "unload " + name);
        Set<String> to = new TreeSet<>();
        registry.instances().values().forEach(tcp -> to.add(registry.defaultFor(tcp).name()));
        return "unloaded " + name + ": " + using + " connection(s) moved to "
                + (to.size() == 1 ? to.iterator().next() : "their vnet's default (" + String.join(", ", to) + ")")
                + " (tcp:cc load " + name + " brings it back)\n";
    }

    private String load(String name) {
        ServiceComponentRuntime r = runtime("load");
        for (ComponentDescriptionDTO d : algorithmComponents(r)) {
            if (name.equals(name(d)) && !r.isComponentEnabled(d)) {
                await(r.enableComponent(d), "load " + name);
                return "loaded " + name + "\n";
            }
        }
        if (registry.lookup(name) != null) {
            throw new Failure("cc load: " + name + " is loaded already");
        }
        throw new Failure("cc load: no unloaded algorithm '" + name + "' (unloaded: "
                + String.join(", ", unloaded().stream().map(CcCommand::name).toList()) + ")");
    }

    private ServiceComponentRuntime runtime(String what) {
        ServiceComponentRuntime r = scr;
        if (r == null) {
            throw new Failure("cc " + what + ": the Declarative Services runtime is not available");
        }
        return r;
    }

    private static void await(Promise<Void> p, String what) {
        try {
            p.getValue();
        } catch (InvocationTargetException e) {
            throw new Failure("cc " + what + ": " + e.getCause().getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new Failure("cc " + what + ": interrupted");
        }
    }

    /** The DS components that provide an algorithm, in every bundle. */
    private static List<ComponentDescriptionDTO> algorithmComponents(ServiceComponentRuntime r) {
        List<ComponentDescriptionDTO> l = new ArrayList<>();
        for (ComponentDescriptionDTO d : r.getComponentDescriptionDTOs()) {
            if (d.serviceInterfaces != null && Arrays.asList(d.serviceInterfaces).contains(CongestionControl.class.getName())
                    && name(d) != null) {
                l.add(d);
            }
        }
        return l;
    }

    private List<ComponentDescriptionDTO> unloaded() {
        ServiceComponentRuntime r = scr;
        if (r == null) {
            return List.of();
        }
        return algorithmComponents(r).stream().filter(d -> !r.isComponentEnabled(d)).toList();
    }

    private static String name(ComponentDescriptionDTO d) {
        Object n = d.properties == null ? null : d.properties.get(CongestionControl.NAME_PROPERTY);
        return n == null ? null : n.toString();
    }

    /** A one-line error: Gogo prints it with toString(), so the user sees only the message. */
    static final class Failure extends RuntimeException {
        private static final long serialVersionUID = 1L;

        Failure(String message) {
            super(message, null, false, false);
        }

        @Override
        public String toString() {
            return getMessage();
        }
    }
}
