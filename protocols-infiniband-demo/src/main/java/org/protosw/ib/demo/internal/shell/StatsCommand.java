package org.protosw.ib.demo.internal.shell;

import java.util.HashSet;
import java.util.List;
import java.util.Set;

import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;
import org.protosw.ib.demo.internal.stack.IbDomain;
import org.protosw.ib.demo.internal.stack.IbVnet;
import org.protosw.ib.demo.internal.verbs.IbStats;

/**
 * {@code ib:stats}: the HCA counters of every vnet (or one), as {@code netstat -s} prints a
 * protocol's: one number and its meaning a line, in groups (traffic, recovery, malformed
 * input by reason, connection manager, port). {@code -z} leaves out the zeros.
 */
@Component(service = StatsCommand.class, property = {"osgi.command.scope=ib", "osgi.command.function=stats",
        "protosw.complete=-j=@vnets", "protosw.complete=--vnet=@vnets", "protosw.complete=-z"})
public final class StatsCommand {
    static final String USAGE = "stats [-j vnet | --vnet vnet] [-z]";
    static final String HELP = "ib:stats [-j vnet | --vnet vnet] [-z]: the HCA counters of each vnet (-z: only those not zero)\n";

    private final IbDomain domain;

    @Activate
    public StatsCommand(@Reference IbDomain domain) {
        this.domain = domain;
    }

    public void stats(String... argv) {
        System.out.print(execute(argv));
    }

    public String execute(String... argv) {
        Set<String> flags = new HashSet<>();
        String vnet = Words.vnetOnly("stats", USAGE, argv, flags, "-z", "-h", "--help");
        if (flags.contains("-h") || flags.contains("--help")) {
            return HELP;
        }
        boolean nonZero = flags.contains("-z");
        List<IbVnet> vnets = QpsCommand.vnets(domain, "stats", vnet);
        StringBuilder sb = new StringBuilder();
        for (IbVnet v : vnets) {
            IbStats s = v.hca().stats();
            sb.append("vnet ").append(v.name()).append(" (RoCEv2 port udp 4791 ").append(v.portOpen() ? "open" : "closed").append("):\n");
            for (String g : GROUPS) {
                boolean header = false;
                for (IbStats.Counter c : IbStats.Counter.values()) {
                    long n = s.get(c);
                    if (!group(c).equals(g) || (nonZero && n == 0)) {
                        continue;
                    }
                    if (!header) {
                        sb.append("  ").append(g).append(":\n");
                        header = true;
                    }
                    sb.append("    ").append(n).append(' ').append(c.description).append('\n');
                }
            }
        }
        return sb.toString();
    }

    private static final List<String> GROUPS = List.of("traffic", "recovery", "malformed or refused input (dropped)",
            "connection manager", "port");

    private static String group(IbStats.Counter c) {
        String n = c.name();
        if (n.startsWith("BAD_")) {
            return "malformed or refused input (dropped)";
        }
        if (n.startsWith("CM_")) {
            return "connection manager";
        }
        return switch (c) {
            case PKTS_SENT, PKTS_RCVD, MSGS_SENT, MSGS_RCVD, BYTES_SENT, BYTES_RCVD, RDMA_WRITES_SENT, RDMA_WRITES_RCVD,
                    ACKS_SENT, ACKS_RCVD -> "traffic";
            case NO_QP, NOT_READY, OUTPUT_DROPS, ICMP_ERRORS, PORT_OPENS, PORT_ABORTS, PORT_ABORTS_UNDER_QPS -> "port";
            default -> "recovery";
        };
    }
}
