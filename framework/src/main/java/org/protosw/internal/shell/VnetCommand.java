package org.protosw.internal.shell;

import org.apache.felix.service.command.Descriptor;
import org.osgi.service.component.annotations.Component;
import org.protosw.internal.kern.Vnet;
import org.protosw.internal.net.NetInterface;
import org.protosw.socket.NetStack;

/** {@code net:vnet}: list, create and destroy stack instances. */
@Component(service = VnetCommand.class, property = {"osgi.command.scope=net", "osgi.command.function=vnet"})
public final class VnetCommand extends NetCommand {
    static final String USAGE = "vnet [list [-v]] | vnet create NAME | vnet destroy NAME";

    @Descriptor("list, create and destroy stack instances (vnets), each with its own interfaces, routes and sockets\n"
            + "  vnet [list]          the instances with their interfaces and open sockets\n"
            + "  vnet list -v         also the timers armed in each (connections without a socket, TIME_WAIT\n"
            + "                       and orphans, keep theirs: a count that only grows is a leak)\n"
            + "  vnet create NAME     a new instance with lo0 (127.0.0.1/8) up\n"
            + "  vnet destroy NAME    abort its sockets, destroy its interfaces (epair peers go too)\n"
            + "  ifconfig, route, netstat, pipe, capture, sysctl and ping choose the instance they work in (see their help)")
    public void vnet(@Descriptor("list | create NAME | destroy NAME") String... argv) {
        Args args = new Args("vnet", USAGE, argv);
        String verb = args.nextOr("list");
        boolean verbose = verb.equals("-v");
        if (verbose) {
            verb = "list";
        }
        switch (verb) {
            case "list" -> {
                verbose |= args.flag("-v");
                args.end();
                Table t = verbose ? new Table("NAME", ">IFACES", ">SOCKETS", ">TIMERS", "INTERFACES")
                        : new Table("NAME", ">IFACES", ">SOCKETS", "INTERFACES");
                for (Vnet v : core().vnets()) {
                    StringBuilder names = new StringBuilder();
                    for (NetInterface ifp : v.interfaces().list()) {
                        names.append(names.isEmpty() ? "" : ",").append(ifp.name());
                    }
                    if (verbose) {
                        t.row(v.name(), v.interfaces().list().size(), v.sockets().sockets().size(), v.callout().armedCount(), names);
                    } else {
                        t.row(v.name(), v.interfaces().list().size(), v.sockets().sockets().size(), names);
                    }
                }
                System.out.print(t);
            }
            case "create" -> {
                String name = args.next("vnet name");
                args.end();
                core("vnet", () -> core().createVnet(name));
                System.out.println(name);
            }
            case "destroy" -> {
                String name = args.next("vnet name");
                args.end();
                if (NetStack.DEFAULT_VNET.equals(name)) {
                    throw new CommandException("vnet: the default vnet cannot be destroyed");
                }
                core("vnet", () -> {
                    core().destroyVnet(name);
                    return null;
                });
            }
            default -> throw args.fail("unknown subcommand '" + verb + "' (accepted: list, create, destroy)");
        }
    }
}
