package org.protosw.tcp.internal;

import java.io.IOException;
import java.lang.reflect.InvocationTargetException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Dictionary;
import java.util.Hashtable;
import java.util.List;
import java.util.Map;

import org.apache.felix.service.command.Descriptor;
import org.osgi.service.cm.Configuration;
import org.osgi.service.cm.ConfigurationAdmin;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;
import org.osgi.service.component.annotations.ReferencePolicyOption;
import org.osgi.service.component.runtime.ServiceComponentRuntime;
import org.osgi.service.component.runtime.dto.ComponentDescriptionDTO;
import org.osgi.util.promise.Promise;
import org.protosw.tcp.cc.CongestionControl;

/**
 * {@code tcp:cc}: the congestion control algorithms TCP can use and the default for new
 * connections, in the manner of FreeBSD's {@code sysctl net.inet.tcp.cc.available} and
 * {@code net.inet.tcp.cc.algorithm} (a string there; here the name is kept in
 * Configuration Admin because protosw's sysctls hold integers), and {@code kldunload
 * cc_NAME}: {@code unload} disables the Declarative Services component that provides an
 * algorithm. As FreeBSD refuses to unload the default algorithm (EBUSY), so does this
 * command; a bundle stopped by other means cannot be refused, see {@link CcRegistry}.
 */
@Component(service = CcCommand.class, property = {"osgi.command.scope=tcp", "osgi.command.function=cc"})
public final class CcCommand {
    static final String USAGE = "cc [list] | cc set default NAME | cc unload NAME | cc load NAME";

    private final CcRegistry registry;

    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC,
            policyOption = ReferencePolicyOption.GREEDY)
    volatile ConfigurationAdmin configAdmin;

    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC,
            policyOption = ReferencePolicyOption.GREEDY)
    volatile ServiceComponentRuntime scr;

    @Activate
    public CcCommand(@Reference CcRegistry registry) {
        this.registry = registry;
    }

    @Descriptor("TCP congestion control algorithms (mod_cc): which exist and which new connections use\n"
            + "  cc [list]               name, default marker (*), connections using it (listening sockets\n"
            + "                          included), providing bundle\n"
            + "  cc set default NAME     the algorithm of new connections (existing ones keep theirs),\n"
            + "                          saved in Configuration Admin (PID " + CcRegistry.PID + ", property "
            + CcRegistry.PROP_ALGORITHM + ")\n"
            + "  cc unload NAME          disable the DS component providing it; its connections move to the\n"
            + "                          default (refused for the default and for newreno)\n"
            + "  cc load NAME            enable it again\n"
            + "A connection picks its own with the socket option TCP_CONGESTION. When an algorithm's bundle\n"
            + "stops, its connections move to the default; when the default's does, the default becomes newreno\n"
            + "until the configured algorithm is back.")
    public String cc(@Descriptor("[list] | set default NAME | unload NAME | load NAME") String... argv) {
        List<String> args = argv == null ? List.of() : List.of(argv);
        if (args.isEmpty() || (args.size() == 1 && args.get(0).equals("list"))) {
            return list();
        }
        if (args.get(0).equals("set")) {
            if (args.size() != 3 || !args.get(1).equals("default")) {
                throw new Failure("cc set: expected 'set default NAME' (usage: " + USAGE + ")");
            }
            return setDefault(args.get(2));
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
        CcAlgo dflt = registry.defaultAlgo();
        StringBuilder rows = new StringBuilder();
        List<CcAlgo> algos = registry.algorithms();
        int w = "NAME".length();
        for (CcAlgo a : algos) {
            w = Math.max(w, a.name().length());
        }
        String fmt = "%-" + w + "s  %-7s  %11s  %s%n";
        rows.append(String.format(fmt, "NAME", "DEFAULT", "CONNECTIONS", "BUNDLE"));
        for (CcAlgo a : algos) {
            rows.append(String.format(fmt, a.name(), a == dflt ? "*" : "", counts.getOrDefault(a.name(), 0), a.provider()));
        }
        for (ComponentDescriptionDTO d : unloaded()) {
            rows.append(String.format(fmt, name(d), "", "-", d.bundle.symbolicName + " [" + d.bundle.id + "] (unloaded)"));
        }
        String configured = registry.configuredDefault();
        if (!configured.equals(dflt.name())) {
            rows.append("configured default '").append(configured).append("' is not available: new connections use ")
                    .append(dflt.name()).append(" until it registers\n");
        }
        return rows.toString();
    }

    private String setDefault(String name) {
        CcAlgo old = registry.defaultAlgo();
        CcAlgo a;
        try {
            a = registry.setDefault(name);
        } catch (IllegalArgumentException e) {
            throw new Failure("cc set default: " + e.getMessage());
        }
        String change = "default: " + old.name() + " -> " + a.name();
        ConfigurationAdmin cm = configAdmin;
        if (cm == null) {
            return change + " (not saved: Configuration Admin is not running)\n";
        }
        try {
            Configuration c = cm.getConfiguration(CcRegistry.PID);
            Dictionary<String, Object> props = c.getProperties();
            if (props == null) {
                props = new Hashtable<>();
            }
            props.put(CcRegistry.PROP_ALGORITHM, a.name());
            c.updateIfDifferent(props);
        } catch (IOException | RuntimeException e) {
            throw new Failure("cc set default: " + change + " for now, but saving it failed: " + e.getMessage());
        }
        return change + "\n";
    }

    private String unload(String name) {
        CcAlgo a = registry.lookup(name);
        if (a == null) {
            throw new Failure("cc unload: no congestion control algorithm '" + name + "' (available: "
                    + String.join(", ", registry.names()) + ")");
        }
        if (a == registry.defaultAlgo()) {
            throw new Failure("cc unload: " + name + " is the default algorithm and stays loaded; "
                    + "pick another first (tcp:cc set default NAME)");
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
        return "unloaded " + name + ": " + using + " connection(s) moved to " + registry.defaultAlgo().name()
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
