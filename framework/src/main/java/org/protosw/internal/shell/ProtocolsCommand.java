package org.protosw.internal.shell;

import java.util.concurrent.CompletableFuture;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.apache.felix.service.command.Descriptor;
import org.osgi.service.component.annotations.Component;
import org.protosw.internal.sw.DomainEntry;
import org.protosw.internal.sw.DomainNames;
import org.protosw.internal.sw.ProtoEntry;
import org.protosw.internal.sw.ProtoSwInfo;
import org.protosw.socket.SocketConstants;

/** {@code net:protocols}: the protocol switch table, and draining a protocol before removal. */
@Component(service = ProtocolsCommand.class, property = {"osgi.command.scope=net", "osgi.command.function=protocols"})
public final class ProtocolsCommand extends NetCommand {
    static final String USAGE = "protocols [list] | protocols domains | protocols drain NAME | protocols undrain NAME";
    private static final Pattern OWNER = Pattern.compile("(\\S+) \\[(\\d+)] (\\S+).*");

    @Descriptor("the protocol switch table: which bundle (id, version) serves each (domain, type, protocol)\n"
            + "  protocols [list]       domain, type, number, name, bundle, id, version, state, open sockets, flags,\n"
            + "                         and the protocols each one runs on (USES); below it, per protocol\n"
            + "                         upgraded live, the last upgrade: when, pause, sockets moved; per\n"
            + "                         protocol whose code threw into the stack, how often and where\n"
            + "  protocols domains      the registered domains: family, name, address type, bundle\n"
            + "  protocols drain NAME   mark NAME as being removed: new sockets get EPROTONOSUPPORT,\n"
            + "                         open ones keep working; the table shows how many remain\n"
            + "  protocols undrain NAME accept new sockets again")
    public void protocols(@Descriptor("[list] | domains | drain NAME | undrain NAME") String... argv) {
        Args args = new Args("protocols", USAGE, argv);
        String verb = args.nextOr("list");
        switch (verb) {
            case "list" -> {
                args.end();
                System.out.print(table());
            }
            case "domains" -> {
                args.end();
                System.out.print(domains());
            }
            case "drain" -> {
                String name = args.next("protocol name");
                args.end();
                CompletableFuture<Void> done = core("protocols", () -> core().registry().drain(name));
                ProtoEntry e = core().registry().entry(name);
                int left = e == null ? 0 : e.openSockets();
                System.out.println(name + ": draining" + (done.isDone() ? ", no sockets left: ready to unload" : ", " + left + " socket(s) remain"));
            }
            case "undrain" -> {
                String name = args.next("protocol name");
                args.end();
                core("protocols", () -> {
                    core().registry().undrain(name);
                    return null;
                });
                System.out.println(name + ": active");
            }
            default -> throw args.fail("unknown subcommand '" + verb + "' (accepted: list, domains, drain, undrain)");
        }
    }

    String table() {
        Table t = new Table("DOMAIN", "TYPE", ">PROTO", "NAME", "BUNDLE", ">ID", "VERSION", "STATE", ">SOCKETS", "FLAGS", "USES");
        StringBuilder upgrades = new StringBuilder();
        for (ProtoSwInfo i : core().registry().list()) {
            if (i.lastUpgrade() != null) {
                var u = i.lastUpgrade();
                upgrades.append("last upgrade of ").append(i.name()).append(": ").append(u.when()).append(", pause ")
                        .append(u.pause().toMillis()).append(" ms, ").append(u.sockets()).append(" socket(s) moved, from ")
                        .append(u.from()).append(" to ").append(u.to()).append(", ").append(u.held()).append(" packet(s) held")
                        .append(u.overflowed() > 0 ? ", " + u.overflowed() + " dropped (hold full)" : "").append('\n');
            }
            if (i.faults() > 0) {
                upgrades.append("faults of ").append(i.name()).append(": ").append(i.faults()).append(" exception(s) (")
                        .append(i.faultsByKind()).append(")\n");
            }
            Matcher m = OWNER.matcher(i.owner());
            String bsn = m.matches() ? m.group(1) : i.owner();
            String id = m.matches() ? m.group(2) : "";
            String version = m.matches() ? m.group(3) : "";
            String state = i.state().name().toLowerCase() + (i.drained() ? " (drained)" : "");
            t.row(DomainNames.of(i.domain()), SocketConstants.typeName(i.type()), i.protocol(), i.name(), bsn, id, version,
                    state, i.sockets(), String.join(",", i.flags()), i.uses().isEmpty() ? "-" : String.join(",", i.uses()));
        }
        return t.toString() + upgrades;
    }

    String domains() {
        Table t = new Table(">FAMILY", "NAME", "ADDRESS", "BUNDLE");
        for (DomainEntry d : core().registry().domains()) {
            t.row(d.family(), d.name(), d.addressType(), d.owner());
        }
        return t.toString();
    }
}
