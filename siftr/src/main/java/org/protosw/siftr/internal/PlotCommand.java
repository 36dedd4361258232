package org.protosw.siftr.internal;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import org.apache.felix.service.command.Descriptor;
import org.osgi.service.component.annotations.Component;

/** {@code tcp:plot}: a siftr log as pictures, one per connection. */
@Component(service = PlotCommand.class, property = {"osgi.command.scope=tcp", "osgi.command.function=plot",
        "protosw.complete=-p=@value", "protosw.complete=-t=svg|png|both"})
public final class PlotCommand {
    static final String USAGE = "plot [-p PORT] [-t svg|png|both] LOGFILE OUTDIR";

    @Descriptor("draw a siftr log (net.inet.siftr.logfile): per connection, cwnd and ssthresh, srtt and throughput\n"
            + "over time, in one picture OUTDIR/<local>_<port>-<foreign>_<port>.svg and .png\n"
            + "  -p PORT            only connections with this port at either end\n"
            + "  -t svg|png|both    which files (default both)\n"
            + "A relative LOGFILE not found here is looked for in the runtime's log folder (data/log), where siftr writes.")
    public String plot(@Descriptor("[-p PORT] [-t svg|png|both] LOGFILE OUTDIR") String... argv) throws IOException {
        int port = 0;
        boolean svg = true;
        boolean png = true;
        List<String> rest = new ArrayList<>();
        for (int i = 0; argv != null && i < argv.length; i++) {
            String a = argv[i];
            switch (a) {
                case "-p" -> {
                    port = portArg(argv, ++i);
                }
                case "-t" -> {
                    String t = i + 1 < argv.length ? argv[++i] : "";
                    switch (t) {
                        case "svg" -> png = false;
                        case "png" -> svg = false;
                        case "both" -> {
                        }
                        default -> throw new Failure("plot: -t takes svg, png or both, not '" + t + "' (usage: " + USAGE + ")");
                    }
                }
                default -> {
                    if (a.startsWith("-")) {
                        throw new Failure("plot: unknown option '" + a + "' (accepted: -p PORT, -t svg|png|both; usage: " + USAGE + ")");
                    }
                    rest.add(a);
                }
            }
        }
        if (rest.size() != 2) {
            throw new Failure("plot: expected a log file and an output folder (usage: " + USAGE + ")");
        }
        Path log = locate(rest.get(0));
        Path outDir = Path.of(rest.get(1));
        // a network stack has no screen: AWT must not look for one
        if (System.getProperty("java.awt.headless") == null) {
            System.setProperty("java.awt.headless", "true");
        }
        SiftrTrace trace = SiftrTrace.read(log);
        if (trace.flows.isEmpty()) {
            throw new Failure("plot: " + log + " holds no siftr segment lines" + (trace.malformed > 0
                    ? " (" + trace.malformed + " lines did not parse: is it a siftr log?)" : ""));
        }
        List<TcpPlot.Output> out = TcpPlot.plot(trace, port, outDir, svg, png);
        if (out.isEmpty()) {
            throw new Failure("plot: no connection in " + log + " has port " + port + " (connections: "
                    + String.join(", ", trace.flows.keySet()) + ")");
        }
        StringBuilder sb = new StringBuilder();
        for (TcpPlot.Output o : out) {
            sb.append(o.flow()).append(": ").append(o.lines()).append(" segments");
            if (o.svg() != null) {
                sb.append(", ").append(o.svg());
            }
            if (o.png() != null) {
                sb.append(", ").append(o.png());
            }
            sb.append('\n');
        }
        if (trace.malformed > 0) {
            sb.append(trace.malformed).append(" line(s) of ").append(log).append(" did not parse and were skipped\n");
        }
        return sb.toString();
    }

    private static int portArg(String[] argv, int i) {
        if (i >= argv.length) {
            throw new Failure("plot: -p needs a port number (usage: " + USAGE + ")");
        }
        try {
            int p = Integer.parseInt(argv[i]);
            if (p < 1 || p > 65535) {
                throw new NumberFormatException();
            }
            return p;
        } catch (NumberFormatException e) {
            throw new Failure("plot: -p takes a port from 1 to 65535, not '" + argv[i] + "'");
        }
    }

    private static Path locate(String name) {
        Path p = Path.of(name);
        if (Files.isRegularFile(p)) {
            return p;
        }
        String dir = System.getProperty("protosw.log.dir");
        if (!p.isAbsolute() && dir != null && Files.isRegularFile(Path.of(dir).resolve(p))) {
            return Path.of(dir).resolve(p);
        }
        throw new Failure("plot: no such file: " + p.toAbsolutePath() + (dir == null ? "" : " (nor in " + dir + ")"));
    }

    /** A failure the shell shows as its message only. */
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
