package org.protosw.tcp.internal;

import java.io.IOException;
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

/**
 * {@code tcp:cc}: the congestion control algorithms TCP can use and the default for new
 * connections, in the manner of FreeBSD's {@code sysctl net.inet.tcp.cc.available} and
 * {@code net.inet.tcp.cc.algorithm} (a string there; here the name is kept in
 * Configuration Admin because protosw's sysctls hold integers).
 */
@Component(service = CcCommand.class, property = {"osgi.command.scope=tcp", "osgi.command.function=cc"})
public final class CcCommand {
    static final String USAGE = "cc [list] | cc set default NAME";

    private final CcRegistry registry;

    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC,
            policyOption = ReferencePolicyOption.GREEDY)
    private volatile ConfigurationAdmin configAdmin;

    @Activate
    public CcCommand(@Reference CcRegistry registry) {
        this.registry = registry;
    }

    @Descriptor("TCP congestion control algorithms (mod_cc): which exist and which new connections use\n"
            + "  cc [list]               name, default marker (*), connections using it, providing bundle\n"
            + "  cc set default NAME     the algorithm of new connections (existing ones keep theirs),\n"
            + "                          saved in Configuration Admin (PID " + CcRegistry.PID + ", property "
            + CcRegistry.PROP_ALGORITHM + ")\n"
            + "A connection picks its own with the socket option TCP_CONGESTION. When an algorithm's bundle\n"
            + "stops, its connections move to the default; when the default's does, the default becomes newreno\n"
            + "until the configured algorithm is back.")
    public String cc(@Descriptor("[list] | set default NAME") String... argv) {
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
