package org.protosw.divert.internal.shell;

import org.apache.felix.service.command.Descriptor;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;
import org.protosw.divert.internal.DivertRules;

/** {@code divert:rule}: the divert rules of a stack instance, as ipfw(8) adds, lists and deletes them. */
@Component(service = RuleCommand.class, property = {"osgi.command.scope=divert", "osgi.command.function=rule",
        "protosw.complete=-j=@vnets", "protosw.complete=1=list|add|delete", "protosw.complete=3=divert|tee",
        "protosw.complete=5=ip|icmp|tcp|udp", "protosw.complete=6=from", "protosw.complete=after:from=@addresses",
        "protosw.complete=after:to=@addresses", "protosw.complete=after:via=@interfaces"})
public final class RuleCommand {
    static final String USAGE = "rule [-j vnet] [list] | rule [-j vnet] add N divert|tee PORT PROTO from ADDR[/LEN] [PORT] to ADDR[/LEN] [PORT] [in|out] [via IF]"
            + " | rule [-j vnet] delete N";

    private final DivertRules rules;

    @Activate
    public RuleCommand(@Reference DivertRules rules) {
        this.rules = rules;
    }

    @Descriptor("divert rules, evaluated in number order on every interface, as ipfw(8) writes them\n"
            + "  rule [list]                         the rules with their packet and byte counters\n"
            + "  rule add N ACTION PORT PROTO from SRC [SPORT] to DST [DPORT] [in|out] [via IF]\n"
            + "      N        rule number 1 to 65534\n"
            + "      ACTION   divert (the packet goes to the socket bound to PORT) or tee (a copy goes, the packet passes)\n"
            + "      PROTO    ip (any), icmp, tcp, udp or a protocol number\n"
            + "      SRC/DST  any, a.b.c.d or a.b.c.d/len; ports only with tcp or udp\n"
            + "      in|out   one direction only (default: both); via IF: only on that interface\n"
            + "  rule delete N                       remove rule N\n"
            + "  -j vnet                             before the rest: the stack instance (default: the default vnet)\n"
            + "  example: rule add 100 divert 8668 udp from any to 10.0.0.2 9 in")
    public void rule(@Descriptor("[list] | add N ... | delete N") String... argv) {
        System.out.print(execute(argv));
    }

    /** Runs one command line and returns what it prints. */
    public String execute(String... argv) {
        Words w = new Words("rule", USAGE, argv);
        String verb = w.nextOr("list");
        String vnet = w.vnet();
        try {
            switch (verb) {
                case "list", "show" -> {
                    w.end();
                    if (!rules.vnets().contains(vnet)) {
                        throw new IllegalArgumentException("divert does not run in vnet '" + vnet + "'");
                    }
                    return rules.format(vnet);
                }
                case "add" -> {
                    int n = DivertRules.ruleNumber(w.next("rule number"));
                    return rules.add(vnet, n, w.rest()) + "\n";
                }
                case "delete" -> {
                    int n = DivertRules.ruleNumber(w.next("rule number"));
                    w.end();
                    rules.delete(vnet, n);
                    return "";
                }
                default -> throw w.fail("unknown subcommand '" + verb + "' (accepted: list, add, delete)");
            }
        } catch (IllegalArgumentException e) {
            throw new CommandException("rule " + verb + ": " + e.getMessage());
        }
    }
}
