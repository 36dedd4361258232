package org.protosw.launcher;

import java.io.PrintStream;
import java.util.ArrayList;
import java.util.Dictionary;
import java.util.Hashtable;
import java.util.List;
import java.util.Locale;

import ch.qos.logback.classic.Level;
import org.osgi.framework.BundleContext;
import org.osgi.framework.ServiceRegistration;

/**
 * {@code log:display} and {@code log:tail} (Karaf's names): the runtime's own log, as
 * {@code data/log/} has it, from the {@link LogRing} in memory, so an attached operator sees why
 * something failed without a second terminal on the log file. Served by the launcher, which
 * owns logging (slf4j and logback are on its class path).
 *
 * <p>Public with public methods: Gogo calls them by reflection from its own bundle.
 */
public final class LogCommands {
    static final String SCOPE = "log";
    static final String DISPLAY_USAGE = "display [-l LEVEL] [-n COUNT]";
    static final String TAIL_USAGE = "tail [-l LEVEL] [-n COUNT]";
    /** Entries log:tail shows before it follows (as tail(1) shows ten lines). */
    static final int TAIL_BACKLOG = 10;

    private final LogRing ring;

    LogCommands(LogRing ring) {
        this.ring = ring;
    }

    ServiceRegistration<?> register(BundleContext context) {
        Dictionary<String, Object> properties = new Hashtable<>();
        properties.put("osgi.command.scope", SCOPE);
        properties.put("osgi.command.function", new String[] {"display", "tail"});
        return context.registerService(Object.class.getName(), this, properties);
    }

    /** What the options asked for. */
    record Options(Level level, int count) {
    }

    static Options parse(String command, String usage, String... argv) {
        Level level = Level.TRACE;
        int count = -1;
        for (int i = 0; argv != null && i < argv.length; i++) {
            switch (argv[i]) {
                case "-l", "--level" -> {
                    String v = i + 1 < argv.length ? argv[++i] : "";
                    level = level(command, v);
                }
                case "-n" -> {
                    String v = i + 1 < argv.length ? argv[++i] : "";
                    try {
                        count = Integer.parseInt(v);
                        if (count < 1) {
                            throw new NumberFormatException();
                        }
                    } catch (NumberFormatException e) {
                        throw new IllegalArgumentException(command + ": -n takes a count of at least 1, not '" + v + "' (usage: " + usage + ")");
                    }
                }
                default -> throw new IllegalArgumentException(command + ": unknown argument '" + argv[i]
                        + "' (accepted: -l LEVEL, -n COUNT; usage: " + usage + ")");
            }
        }
        return new Options(level, count);
    }

    private static Level level(String command, String v) {
        String up = v.toUpperCase(Locale.ROOT);
        return switch (up) {
            case "TRACE", "DEBUG", "INFO", "WARN", "ERROR" -> Level.toLevel(up);
            case "WARNING" -> Level.WARN;
            default -> throw new IllegalArgumentException(command + ": -l takes TRACE, DEBUG, INFO, WARN or ERROR, not '" + v
                    + "' (entries at that level and above are shown)");
        };
    }

    @org.apache.felix.service.command.Descriptor("the runtime's recent log entries (the in-memory buffer of data/log/protosw.log)\n"
            + "  -l LEVEL   only entries at LEVEL or above (TRACE, DEBUG, INFO, WARN, ERROR)\n"
            + "  -n COUNT   only the last COUNT of them")
    public void display(@org.apache.felix.service.command.Descriptor("[-l LEVEL] [-n COUNT]") String... argv) {
        display(System.out, argv);
    }

    void display(PrintStream out, String... argv) {
        Options o = parse("display", DISPLAY_USAGE, argv);
        for (LogRing.Entry e : ring.last(o.level(), o.count())) {
            out.println(e.text());
        }
        out.flush();
    }

    @org.apache.felix.service.command.Descriptor("the last " + TAIL_BACKLOG + " log entries, then each new one as it is logged, until Ctrl-C\n"
            + "  -l LEVEL   only entries at LEVEL or above (TRACE, DEBUG, INFO, WARN, ERROR)\n"
            + "  -n COUNT   stop after COUNT entries (those shown first included)")
    public void tail(@org.apache.felix.service.command.Descriptor("[-l LEVEL] [-n COUNT]") String... argv) {
        tail(System.out, argv);
    }

    /** Returns when COUNT entries were printed, or when the thread is interrupted (Ctrl-C). */
    void tail(PrintStream out, String... argv) {
        Options o = parse("tail", TAIL_USAGE, argv);
        int left = o.count() < 0 ? Integer.MAX_VALUE : o.count();
        long seen = ring.newest();
        List<LogRing.Entry> first = ring.last(o.level(), Math.min(TAIL_BACKLOG, left));
        for (LogRing.Entry e : first) {
            out.println(e.text());
            left--;
        }
        if (!first.isEmpty()) {
            seen = Math.max(seen, first.get(first.size() - 1).seq());
        }
        out.flush();
        try {
            while (left > 0) {
                List<LogRing.Entry> more = new ArrayList<>(ring.after(seen, o.level(), 1000));
                for (LogRing.Entry e : more) {
                    if (left == 0) {
                        break;
                    }
                    out.println(e.text());
                    seen = e.seq();
                    left--;
                }
                out.flush();
                if (Thread.currentThread().isInterrupted()) {
                    return;
                }
            }
        } catch (InterruptedException e) {
            // Ctrl-C: following ends, the session goes on
            out.flush();
        }
    }
}
