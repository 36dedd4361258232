package org.protosw.ib.demo.internal.shell;

import java.io.PrintStream;

import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;

/**
 * {@code ib:send_bw}: perftest's {@code ib_send_bw} between two vnets: {@code ib:send_bw
 * --server --vnet A} waits for one client, {@code ib:send_bw --vnet B GID} connects to it;
 * both print the result and exit. See {@link Perftest}.
 */
@Component(service = SendBwCommand.class, property = {"osgi.command.scope=ib", "osgi.command.function=send_bw",
        "protosw.complete=-j=@vnets", "protosw.complete=--vnet=@vnets", "protosw.complete=--server", "protosw.complete=-S",
        "protosw.complete=-s=@value", "protosw.complete=--size=@value", "protosw.complete=-n=@value", "protosw.complete=--iters=@value",
        "protosw.complete=-p=@value", "protosw.complete=--port=@value", "protosw.complete=-c=@value", "protosw.complete=--connection=@value",
        "protosw.complete=-h", "protosw.complete=--help"})
public final class SendBwCommand {
    private final IbStacks stacks;

    @Activate
    public SendBwCommand(@Reference IbStacks stacks) {
        this.stacks = stacks;
    }

    public void send_bw(String... argv) {
        run(System.out, argv);
    }

    /** Runs one command line, printing to {@code out}. */
    public void run(PrintStream out, String... argv) {
        Perftest.Params p;
        try {
            p = Perftest.parse(Perftest.Kind.BW, argv);
        } catch (Perftest.Help h) {
            out.print(h.getMessage());
            return;
        }
        new Perftest(p, stacks.stack(Perftest.Kind.BW.command, p.vnet()), out).run();
    }
}
