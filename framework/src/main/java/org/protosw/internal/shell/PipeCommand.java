package org.protosw.internal.shell;

import java.util.List;

import org.apache.felix.service.command.Descriptor;
import org.osgi.service.component.annotations.Component;
import org.protosw.internal.kern.Vnet;
import org.protosw.internal.net.DummynetPipe;
import org.protosw.internal.net.NetInterface;
import org.protosw.internal.net.PipeConfig;
import org.protosw.internal.net.PipeTable;

/** {@code net:pipe}: link emulation pipes, as dnctl(8) configures dummynet pipes. */
@Component(service = PipeCommand.class, property = {"osgi.command.scope=net", "osgi.command.function=pipe"})
public final class PipeCommand extends NetCommand {
    static final String USAGE = "pipe [-j vnet] [show|list] | pipe [-j vnet] N config [bw B] [delay D] [plr P] [dup P] [reorder P [gap D]] [corrupt P] [queue N|NKB] [seed S]"
            + " | pipe [-j vnet] N delete | pipe [-j vnet] N attach IF in|out | pipe [-j vnet] detach IF in|out";

    @Descriptor("link emulation pipes, as dnctl(8)\n"
            + "  pipe [show|list]                        pipes with their settings, attachments and counters\n"
            + "  pipe N config [WORDS...]                create or change pipe N (what is not given is reset):\n"
            + "      bw 10Mbit/s|512Kbit/s|1MByte/s      bandwidth, also 'bandwidth' (0 or unlimited: no limit)\n"
            + "      delay 50ms                          one-way delay\n"
            + "      plr 0.01                            packet loss rate\n"
            + "      dup 0.001                           duplication probability\n"
            + "      reorder 0.05 [gap 10ms]             probability a packet is held back (and by how long)\n"
            + "      corrupt 0.001                       probability a packet gets one bit flipped\n"
            + "      queue 50 | queue 100KB              queue limit in packets or bytes (tail drop)\n"
            + "      seed 42                             random seed, for repeatable runs\n"
            + "  pipe N delete                           remove pipe N from every interface\n"
            + "  pipe N attach IF in|out                 run one direction of interface IF through pipe N\n"
            + "  pipe detach IF in|out                   take the pipe off that direction\n"
            + "  -j vnet                                 before the rest: the stack instance (default: the default vnet)")
    public void pipe(@Descriptor("[show] | N config ... | N delete | N attach IF in|out | detach IF in|out") String... argv) {
        Args args = new Args("pipe", USAGE, argv);
        Vnet v = instance("pipe", args.options().vnet());
        String first = args.nextOr("show");
        switch (first) {
            case "show", "list" -> {
                args.end();
                show(v);
            }
            case "detach" -> {
                NetInterface ifp = requireInterface(v, args.next("interface"), "pipe");
                boolean in = direction(args);
                args.end();
                if (!v.pipes().detach(ifp, in)) {
                    throw new CommandException("pipe: no pipe on " + ifp.name() + " " + (in ? "in" : "out"));
                }
            }
            default -> {
                if (!first.chars().allMatch(c -> c >= '0' && c <= '9')) {
                    throw args.fail("unknown subcommand '" + first + "' (accepted: show, list, detach, or a pipe number "
                            + PipeTable.MIN_PIPE + " to " + PipeTable.MAX_PIPE + ")");
                }
                int n = (int) args.parseLong(first, "pipe number", PipeTable.MIN_PIPE, PipeTable.MAX_PIPE);
                String verb = args.next("config, delete or attach after the pipe number");
                switch (verb) {
                    case "config" -> {
                        List<String> words = args.rest();
                        PipeConfig cfg;
                        try {
                            cfg = PipeConfig.parse(words);
                        } catch (IllegalArgumentException e) {
                            String m = e.getMessage();
                            throw new CommandException("pipe " + n + " config: " + (m.startsWith("pipe config: ") ? m.substring(13) : m));
                        }
                        core("pipe", () -> v.pipes().config(n, cfg));
                    }
                    case "delete" -> {
                        args.end();
                        requirePipe(v, n);
                        core("pipe", () -> {
                            v.pipes().delete(n);
                            return null;
                        });
                    }
                    case "attach" -> {
                        NetInterface ifp = requireInterface(v, args.next("interface"), "pipe");
                        boolean in = direction(args);
                        args.end();
                        requirePipe(v, n);
                        core("pipe", () -> {
                            v.pipes().attach(n, ifp, in);
                            return null;
                        });
                    }
                    default -> throw args.fail("unknown verb '" + verb + "' after pipe " + n + " (accepted: config, delete, attach)");
                }
            }
        }
    }

    private static void requirePipe(Vnet v, int n) {
        if (v.pipes().get(n) == null) {
            throw new CommandException("pipe: pipe " + n + " does not exist in vnet " + v.name() + " (pipe " + n + " config ... creates it)");
        }
    }

    private static boolean direction(Args args) {
        String d = args.next("direction (in or out)");
        return switch (d) {
            case "in" -> true;
            case "out" -> false;
            default -> throw args.fail("direction '" + d + "' is neither in nor out (accepted: in, out)");
        };
    }

    private static void show(Vnet v) {
        List<DummynetPipe> pipes = v.pipes().list();
        if (pipes.isEmpty()) {
            System.out.println("no pipes in vnet " + v.name());
            return;
        }
        StringBuilder sb = new StringBuilder();
        for (DummynetPipe p : pipes) {
            String text = p.show();
            sb.append(text);
            if (!text.endsWith("\n")) {
                sb.append('\n');
            }
        }
        System.out.print(sb);
    }
}
