package org.protosw.divert.internal.shell;

import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

import org.apache.felix.service.command.Descriptor;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;
import org.protosw.divert.example.Diverter;
import org.protosw.divert.example.Flow;
import org.protosw.divert.example.FlowCount;
import org.protosw.socket.NetStack;
import org.protosw.socket.SocketException;

/** {@code divert:diverter}: runs the example {@link Diverter} on a divert port, each on a virtual thread. */
@Component(service = DiverterCommand.class, property = {"osgi.command.scope=divert", "osgi.command.function=diverter",
        "protosw.complete=-j=@vnets", "protosw.complete=1=start|stop|list", "protosw.complete=after:rewrite=@value"})
public final class DiverterCommand {
    static final String USAGE = "diverter [-j vnet] start PORT [count] [rewrite HEXFROM HEXTO] | diverter [-j vnet] stop PORT | diverter list";

    private record Key(String vnet, int port) {
    }

    private record Running(Diverter diverter, Thread thread) {
    }

    private final Map<String, NetStack> stacks = new ConcurrentHashMap<>();
    private final Map<Key, Running> running = new ConcurrentHashMap<>();

    @Reference(cardinality = ReferenceCardinality.MULTIPLE, policy = ReferencePolicy.DYNAMIC)
    public void addStack(NetStack s) {
        stacks.put(s.name(), s);
    }

    public void removeStack(NetStack s) {
        stacks.remove(s.name(), s);
    }

    @Deactivate
    public void deactivate() {
        for (Key k : List.copyOf(running.keySet())) {
            stop(k);
        }
    }

    @Descriptor("the example packet processor on a divert socket (natd style): reads what the rules divert to PORT and writes it back\n"
            + "  diverter start PORT                 pass packets through unchanged\n"
            + "      count                           and count packets and bytes per flow\n"
            + "      rewrite HEXFROM HEXTO           and replace a byte pattern in UDP payloads (same length; checksums fixed)\n"
            + "  diverter stop PORT                  stop it and close its socket\n"
            + "  diverter list                       running diverters, their counters and flows\n"
            + "  -j vnet                             before the rest: the stack instance (default: the default vnet)\n"
            + "  example: diverter start 8668 count rewrite 68656c6c6f 48454c4c4f")
    public void diverter(@Descriptor("start PORT [count] [rewrite HEXFROM HEXTO] | stop PORT | list") String... argv) {
        System.out.print(execute(argv));
    }

    /** Runs one command line and returns what it prints (for programs that embed the stack without a shell). */
    public String execute(String... argv) {
        Words w = new Words("diverter", USAGE, argv);
        String verb = w.nextOr("list");
        switch (verb) {
            case "list" -> {
                w.end();
                return list();
            }
            case "start" -> {
                int port = w.port(w.next("divert port"));
                boolean count = false;
                byte[] from = null;
                byte[] to = null;
                while (!w.isEmpty()) {
                    String o = w.next("option");
                    switch (o) {
                        case "count" -> count = true;
                        case "rewrite" -> {
                            from = hex(w, w.next("HEXFROM after rewrite"));
                            to = hex(w, w.next("HEXTO after rewrite " + HexFormat.of().formatHex(from)));
                            if (from.length != to.length) {
                                throw w.fail("rewrite " + from.length + " bytes into " + to.length
                                        + " (accepted: HEXFROM and HEXTO of the same length)");
                            }
                        }
                        default -> throw w.fail("unknown option '" + o + "' (accepted: count, rewrite HEXFROM HEXTO)");
                    }
                }
                return start(w, w.vnet(), port, count, from, to);
            }
            case "stop" -> {
                int port = w.port(w.next("divert port"));
                w.end();
                Key k = new Key(w.vnet(), port);
                if (!running.containsKey(k)) {
                    throw new CommandException("diverter stop: no diverter runs on port " + port + " in vnet " + w.vnet());
                }
                stop(k);
                return "";
            }
            default -> throw w.fail("unknown subcommand '" + verb + "' (accepted: start, stop, list)");
        }
    }

    private String start(Words w, String vnet, int port, boolean count, byte[] from, byte[] to) {
        NetStack stack = stacks.get(vnet);
        if (stack == null) {
            List<String> names = new ArrayList<>(stacks.keySet());
            names.sort(null);
            throw new CommandException("diverter start: no vnet '" + vnet + "' (vnets: " + String.join(", ", names) + ")");
        }
        Key k = new Key(vnet, port);
        Running old = running.get(k);
        if (old != null && old.thread.isAlive()) {
            throw new CommandException("diverter start: a diverter runs on port " + port + " in vnet " + vnet + " already");
        }
        Diverter d;
        try {
            d = Diverter.open(stack, port);
        } catch (SocketException e) {
            throw new CommandException("diverter start: " + e.getMessage());
        }
        if (count) {
            d.countFlows();
        }
        if (from != null) {
            d.rewrite(from, to);
        }
        Thread t = Thread.ofVirtual().name("diverter-" + vnet + "-" + port).start(d);
        running.put(k, new Running(d, t));
        return "diverter on divert port " + port + " in vnet " + vnet + "\n";
    }

    private void stop(Key k) {
        Running r = running.remove(k);
        if (r == null) {
            return;
        }
        r.diverter.close();
        try {
            r.thread.join(5_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private String list() {
        if (running.isEmpty()) {
            return "no diverters\n";
        }
        StringBuilder sb = new StringBuilder();
        List<Key> keys = new ArrayList<>(running.keySet());
        keys.sort((a, b) -> a.vnet.equals(b.vnet) ? Integer.compare(a.port, b.port) : a.vnet.compareTo(b.vnet));
        for (Key k : keys) {
            Running r = running.get(k);
            if (r == null) {
                continue;
            }
            Diverter d = r.diverter;
            sb.append(String.format("port %d vnet %s: %d packets, %d bytes, %d rewritten, %d write errors%s%n",
                    k.port, k.vnet, d.packets(), d.bytes(), d.rewritten(), d.writeErrors(),
                    r.thread.isAlive() ? "" : " (ended: " + (d.failure() != null ? d.failure().getMessage() : "closed") + ")"));
            for (Map.Entry<Flow, FlowCount> f : d.flows().entrySet()) {
                sb.append(String.format("  %-50s %10d packets %12d bytes%n", f.getKey(), f.getValue().packets(), f.getValue().bytes()));
            }
        }
        return sb.toString();
    }

    private static byte[] hex(Words w, String s) {
        try {
            byte[] b = HexFormat.of().parseHex(s);
            if (b.length == 0) {
                throw new IllegalArgumentException("empty");
            }
            return b;
        } catch (IllegalArgumentException e) {
            throw w.fail("'" + s + "' is not hex bytes (accepted: an even number of hex digits, e.g. 414243)");
        }
    }
}
