package org.protosw.inetd.internal;

import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

import org.apache.felix.service.command.Descriptor;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;
import org.protosw.socket.NetStack;

/**
 * {@code net:inetd}: starts, stops and lists the small services on the stack's sockets.
 * It tracks every {@link NetStack} service (one per vnet); when a vnet goes away its services
 * stop, and when this bundle stops every service stops and its sockets close.
 *
 * <p>Immediate: the running services live in this instance, and Gogo releases the service
 * after each command, which would deactivate a delayed component (and stop them all).
 */
@Component(service = InetdCommand.class, immediate = true, property = {"osgi.command.scope=net", "osgi.command.function=inetd",
        "protosw.complete=-j=@vnets", "protosw.complete=--root=@value", "protosw.complete=1=start|stop|list",
        "protosw.complete=after:start=echo|discard|chargen|http", "protosw.complete=after:echo=tcp|udp",
        "protosw.complete=after:discard=tcp|udp", "protosw.complete=after:chargen=tcp|udp"})
public final class InetdCommand {
    static final String USAGE = "inetd start echo|discard|chargen tcp|udp [PORT] [-j vnet]"
            + " | inetd start http [PORT] --root DIR [-j vnet] | inetd stop NAME | inetd list";

    private final Map<String, NetStack> stacks = new ConcurrentHashMap<>();
    private final Inetd inetd = new Inetd();

    @Reference(cardinality = ReferenceCardinality.MULTIPLE, policy = ReferencePolicy.DYNAMIC, unbind = "removeStack")
    void addStack(NetStack stack) {
        stacks.put(stack.name(), stack);
    }

    void removeStack(NetStack stack) {
        if (stacks.remove(stack.name(), stack)) {
            inetd.stopVnet(stack.name());
        }
    }

    @Deactivate
    void deactivate() {
        inetd.stopAll();
    }

    /** The services, for tests and embedding. */
    Inetd inetd() {
        return inetd;
    }

    @Descriptor("run inetd's small services and a static HTTP server on the stack's sockets\n"
            + "  inetd start echo|discard|chargen tcp|udp [PORT] [-j vnet]\n"
            + "                          RFC 862/863/864 on PORT (default 7, 9, 19); tcp needs a TCP protocol loaded\n"
            + "  inetd start http [PORT] --root DIR [-j vnet]\n"
            + "                          HTTP/1.1 GET/HEAD of the files under DIR (default port 80):\n"
            + "                          keep-alive, Content-Length, one byte range; needs TCP\n"
            + "  inetd stop NAME         stop a service and close its sockets (NAME as inetd list shows it)\n"
            + "  inetd list              the services with their connections (tcp) or datagrams (udp), bytes, and\n"
            + "                          state (serving, or waiting for its protocol to return after an unload)\n"
            + "  -j vnet                 the stack instance (default: the default vnet)\n"
            + "  prints the name of a started service; fails with one line saying why")
    public void inetd(@Descriptor("start ... | stop NAME | list") String... argv) {
        run(System.out, argv == null ? new String[0] : argv);
    }

    void run(PrintStream out, String... argv) {
        if (argv.length == 0) {
            throw usage("missing start, stop or list");
        }
        switch (argv[0]) {
            case "start" -> out.println(start(List.of(argv).subList(1, argv.length)).name());
            case "stop" -> {
                if (argv.length != 2) {
                    throw usage(argv.length < 2 ? "missing the name of the service to stop" : "unexpected '" + argv[2] + "'");
                }
                inetd.stop(argv[1]);
            }
            case "list" -> {
                if (argv.length != 1) {
                    throw usage("unexpected '" + argv[1] + "'");
                }
                out.print(table(inetd.list()));
            }
            default -> throw usage("unknown subcommand '" + argv[0] + "' (accepted: start, stop, list)");
        }
    }

    private InetService start(List<String> words) {
        String vnet = NetStack.DEFAULT_VNET;
        String root = null;
        List<String> pos = new ArrayList<>();
        for (int i = 0; i < words.size(); i++) {
            String w = words.get(i);
            switch (w) {
                case "-j" -> {
                    if (++i == words.size()) {
                        throw usage("missing vnet name after -j");
                    }
                    vnet = words.get(i);
                }
                case "--root" -> {
                    if (++i == words.size()) {
                        throw usage("missing folder after --root");
                    }
                    root = words.get(i);
                }
                default -> {
                    if (w.startsWith("-")) {
                        throw usage("unknown option '" + w + "' (accepted: -j vnet, --root DIR)");
                    }
                    pos.add(w);
                }
            }
        }
        if (pos.isEmpty()) {
            throw usage("missing the service (accepted: echo, discard, chargen, http)");
        }
        ServiceKind kind = ServiceKind.parse(pos.get(0));
        if (kind == null) {
            throw usage("unknown service '" + pos.get(0) + "' (accepted: echo, discard, chargen, http)");
        }
        int next = 1;
        String transport;
        if (kind == ServiceKind.HTTP) {
            transport = "tcp";
            if (pos.size() > 1 && (pos.get(1).equals("tcp") || pos.get(1).equals("udp"))) {
                if (pos.get(1).equals("udp")) {
                    throw usage("http runs over tcp only");
                }
                next = 2;
            }
            if (root == null) {
                throw usage("http needs --root DIR, the folder it serves");
            }
        } else {
            if (pos.size() < 2) {
                throw usage("missing tcp or udp after " + kind.label());
            }
            transport = pos.get(1);
            if (!transport.equals("tcp") && !transport.equals("udp")) {
                throw usage("unknown transport '" + transport + "' (accepted: tcp, udp)");
            }
            if (root != null) {
                throw usage("--root is for http only");
            }
            next = 2;
        }
        int port = kind.defaultPort();
        if (pos.size() > next) {
            port = parsePort(pos.get(next));
            next++;
        }
        if (pos.size() > next) {
            throw usage("unexpected '" + pos.get(next) + "'");
        }
        Path dir = null;
        if (root != null) {
            try {
                dir = Path.of(root);
            } catch (InvalidPathException e) {
                throw new InetdException("inetd: '" + root + "' is not a path");
            }
            if (!Files.isDirectory(dir)) {
                throw new InetdException("inetd: --root " + root + " is not a folder");
            }
        }
        NetStack stack = stacks.get(vnet);
        if (stack == null) {
            throw new InetdException("inetd: no vnet named '" + vnet + "' (known: " + String.join(", ", new java.util.TreeSet<>(stacks.keySet())) + ")");
        }
        return inetd.start(stack, kind, transport, port, dir);
    }

    private static int parsePort(String w) {
        int p;
        try {
            p = Integer.parseInt(w);
        } catch (NumberFormatException e) {
            throw usage("'" + w + "' is not a port (accepted: 1 to 65535)");
        }
        if (p < 1 || p > 65535) {
            throw usage("port " + p + " is out of range (accepted: 1 to 65535)");
        }
        return p;
    }

    static String table(List<InetService> list) {
        List<String[]> rows = new ArrayList<>();
        rows.add(new String[] {"NAME", "VNET", "PROTO", "PORT", "CONNS", "ACTIVE", "DGRAMS", "BYTES-IN", "BYTES-OUT", "ERRORS", "STATE", "ROOT"});
        for (InetService s : list) {
            boolean tcp = s.transport().equals("tcp");
            ServiceStats st = s.stats();
            rows.add(new String[] {s.name(), s.stack().name(), s.transport(), Integer.toString(s.port()),
                tcp ? Long.toString(st.sessions.sum()) : "-", tcp ? Integer.toString(s.activeConnections()) : "-",
                tcp ? "-" : Long.toString(st.sessions.sum()), Long.toString(st.bytesIn.sum()), Long.toString(st.bytesOut.sum()),
                Long.toString(st.errors.sum()), s.state(), s.root() == null ? "-" : s.root().toString()});
        }
        int cols = rows.get(0).length;
        int[] w = new int[cols];
        for (String[] r : rows) {
            for (int i = 0; i < cols; i++) {
                w[i] = Math.max(w[i], r[i].length());
            }
        }
        StringBuilder sb = new StringBuilder();
        for (String[] r : rows) {
            StringBuilder line = new StringBuilder();
            for (int i = 0; i < cols; i++) {
                boolean numeric = i >= 3 && i <= 9;
                String cell = numeric ? " ".repeat(w[i] - r[i].length()) + r[i] : r[i] + " ".repeat(w[i] - r[i].length());
                line.append(i == 0 ? "" : "  ").append(cell);
            }
            sb.append(line.toString().stripTrailing()).append('\n');
        }
        return sb.toString();
    }

    private static InetdException usage(String problem) {
        return new InetdException("inetd: " + problem + " (usage: " + USAGE + ")");
    }
}
