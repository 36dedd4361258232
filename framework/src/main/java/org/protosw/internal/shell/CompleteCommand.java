package org.protosw.internal.shell;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import org.apache.felix.service.command.Descriptor;
import org.osgi.service.component.annotations.Component;
import org.protosw.internal.kern.Vnet;
import org.protosw.internal.net.CaptureInfo;
import org.protosw.internal.net.DummynetPipe;
import org.protosw.internal.net.NetInterface;
import org.protosw.internal.socket.SocketInfo;
import org.protosw.spi.IfAddr;
import org.protosw.spi.StringTunable;
import org.protosw.spi.Tunable;

/**
 * {@code net:complete}: what the shell's Tab offers for the protosw commands, in the manner of
 * the per-command completion functions of zsh and bash (compctl, complete -F): the options a
 * command takes, and for the word being typed the names that fit there, read from the live
 * stack: interfaces, vnets, protocols, sysctl names, pipes, captures, socket ids, addresses.
 * etc/gosh_profile registers it with Gogo's {@code complete} for every command it knows, for
 * the local shell and attached sessions alike.
 */
@Component(service = CompleteCommand.class, property = {"osgi.command.scope=net", "osgi.command.function=complete"})
public final class CompleteCommand extends NetCommand {
    static final String USAGE = "complete INDEX WORD... | complete commands | complete options COMMAND"
            + " | complete [-j vnet] interfaces|vnets|protocols|sysctls|sockets|pipes|captures|addresses|levels";

    /** The names a word can be. */
    enum Kind {
        INTERFACES, VNETS, PROTOCOLS, SYSCTLS, SOCKETS, PIPES, CAPTURES, ADDRESSES, LEVELS,
        /** A value the user makes up (a number, a file): nothing to offer. */
        VALUE
    }

    /** log:display and log:tail's levels, lowest first, as logback names them. */
    static final List<String> LEVELS = List.of("TRACE", "DEBUG", "INFO", "WARN", "ERROR");

    /** One command's grammar: its options (null kind: a flag) and what its other words can be. */
    private record Spec(Map<String, Kind> options, Positional positional) {
    }

    /** The candidates for the next positional word, given those before it (options left out). */
    @FunctionalInterface
    private interface Positional {
        List<String> next(CompleteCommand c, Vnet v, List<String> before);
    }

    private static final Map<String, Spec> SPECS = specs();

    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(CompleteCommand.class);

    /** Other bundles' commands, by scope:function, from their {@value CompletionGrammar#PROPERTY} property. */
    private final Map<String, CompletionGrammar> contributed = new java.util.concurrent.ConcurrentHashMap<>();
    private org.osgi.util.tracker.ServiceTracker<Object, List<String>> tracker;

    @org.osgi.service.component.annotations.Activate
    void activate(org.osgi.framework.BundleContext ctx) throws org.osgi.framework.InvalidSyntaxException {
        // any service with the property, whatever its class: only its properties are read
        tracker = new org.osgi.util.tracker.ServiceTracker<>(ctx, ctx.createFilter("(" + CompletionGrammar.PROPERTY + "=*)"),
                new org.osgi.util.tracker.ServiceTrackerCustomizer<Object, List<String>>() {
                    @Override
                    public List<String> addingService(org.osgi.framework.ServiceReference<Object> ref) {
                        return contribute(ref.getProperty("osgi.command.scope"), ref.getProperty("osgi.command.function"),
                                ref.getProperty(CompletionGrammar.PROPERTY), ref.getBundle());
                    }

                    @Override
                    public void modifiedService(org.osgi.framework.ServiceReference<Object> ref, List<String> names) {
                        names.forEach(contributed::remove);
                        names.clear();
                        names.addAll(addingService(ref));
                    }

                    @Override
                    public void removedService(org.osgi.framework.ServiceReference<Object> ref, List<String> names) {
                        names.forEach(contributed::remove);
                    }
                });
        tracker.open(true);
    }

    @org.osgi.service.component.annotations.Deactivate
    void deactivate() {
        tracker.close();
    }

    /**
     * Takes a command's grammar (its scope, its function names and the rules); returns the
     * command names taken. A grammar that cannot be read is logged with its bundle and left out.
     */
    List<String> contribute(Object scope, Object functions, Object rules, Object bundle) {
        List<String> names = new ArrayList<>();
        for (String f : flatten(functions)) {
            String name = scope + ":" + f;
            try {
                contributed.put(name, CompletionGrammar.parse(name, rules));
                names.add(name);
            } catch (IllegalArgumentException e) {
                LOG.warn("no Tab completion for {} of {}: {}", name, bundle, e.getMessage());
            }
        }
        return names;
    }

    /** The grammar of {@code command} (scope:function) another bundle declared, or null. */
    private CompletionGrammar contributed(String command) {
        return contributed.get(command);
    }

    private List<String> allCommands() {
        List<String> all = new ArrayList<>(SPECS.keySet());
        contributed.keySet().stream().sorted().filter(c -> !SPECS.containsKey(c)).forEach(all::add);
        return all;
    }

    @Descriptor("what Tab offers for a protosw command (used by etc/gosh_profile)\n"
            + "  complete INDEX WORD...    the candidates for word INDEX (0: the command) of a command line\n"
            + "  complete commands         the commands it completes\n"
            + "  complete options COMMAND  the options COMMAND takes, without their dash\n"
            + "  complete KIND             the names of one kind: interfaces, vnets, protocols, sysctls,\n"
            + "                            sockets (ids), pipes, captures, addresses, levels\n"
            + "  -j vnet                   the stack instance whose names KIND lists (default: the default vnet;\n"
            + "                            on a command line its own -j counts)")
    public List<String> complete(@Descriptor("INDEX WORD... | commands | options COMMAND | [-j vnet] KIND") Object... argv) {
        Args args = new Args("complete", USAGE, flatten(argv));
        Args.Options o = args.options();
        String first = args.next("INDEX, commands, options or a kind");
        if (first.equals("commands")) {
            args.end();
            return allCommands();
        }
        if (first.equals("options")) {
            String command = args.next("command after options");
            args.end();
            Spec spec = SPECS.get(scoped(command));
            CompletionGrammar grammar = spec == null ? contributed(scoped(command)) : null;
            if (spec == null && grammar == null) {
                throw args.fail("no completion for '" + command + "' (known: " + String.join(", ", allCommands()) + ")");
            }
            return (spec != null ? spec.options().keySet().stream() : grammar.optionNames().stream()).map(s -> s.substring(1)).toList();
        }
        if (!first.isEmpty() && Character.isDigit(first.charAt(0))) {
            int index = (int) args.parseLong(first, "INDEX", 0, 10_000);
            return line(index, args.rest());
        }
        Kind kind;
        try {
            kind = Kind.valueOf(first.toUpperCase(java.util.Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw args.fail("unknown kind '" + first + "'");
        }
        if (kind == Kind.VALUE) {
            throw args.fail("unknown kind '" + first + "'");
        }
        args.end();
        return names(kind, instance("complete", o.vnet()));
    }

    /**
     * The words, lists among them spread out: the profile passes the command line's words as the
     * list jline gives ({@code ($.commandLine words)}), and Gogo would make it one word.
     */
    static String[] flatten(Object... argv) {
        List<String> words = new ArrayList<>();
        if (argv != null) {
            for (Object a : argv) {
                if (a instanceof java.util.Collection<?> c) {
                    c.forEach(w -> words.add(String.valueOf(w)));
                } else if (a instanceof Object[] array) {
                    for (Object w : array) {
                        words.add(String.valueOf(w));
                    }
                } else if (a != null) {
                    words.add(String.valueOf(a));
                }
            }
        }
        return words.toArray(String[]::new);
    }

    /** The candidates for word {@code index} of {@code words}; nothing for what it does not know. */
    List<String> line(int index, List<String> words) {
        if (index == 0) {
            return allCommands();
        }
        if (words.isEmpty() || index > words.size()) {
            return List.of();
        }
        Spec spec = SPECS.get(scoped(words.get(0)));
        if (spec == null) {
            CompletionGrammar grammar = contributed(scoped(words.get(0)));
            return grammar == null ? List.of() : line(grammar, index, words);
        }
        Line l = walk(index, words, spec.options()::containsKey, w -> spec.options().get(w) != null);
        if (l == null) {
            return List.of();
        }
        String previous = words.get(index - 1);
        if (spec.options().containsKey(previous) && spec.options().get(previous) != null) {
            return names(spec.options().get(previous), l.vnet());
        }
        return spec.positional() == null ? List.of() : spec.positional().next(this, l.vnet(), l.positional());
    }

    /** {@link #line(int, List)} for a command of another bundle. */
    private List<String> line(CompletionGrammar grammar, int index, List<String> words) {
        Line l = walk(index, words, grammar::isOption, grammar::takesValue);
        if (l == null) {
            return List.of();
        }
        java.util.function.Function<Kind, List<String>> names = k -> names(k, l.vnet());
        String previous = words.get(index - 1);
        if (grammar.takesValue(previous)) {
            return grammar.optionValue(previous, names);
        }
        return grammar.positional(l.positional(), names);
    }

    /** The words before the one being typed: the vnet its -j names, and those that are no option or option value. */
    private record Line(Vnet vnet, List<String> positional) {
    }

    /** Null when the line's -j names no vnet (nothing to offer there). */
    private Line walk(int index, List<String> words, java.util.function.Predicate<String> isOption,
            java.util.function.Predicate<String> takesValue) {
        String vnetName = null;
        List<String> positional = new ArrayList<>();
        for (int i = 1; i < index; i++) {
            String w = words.get(i);
            if (isOption.test(w)) {
                if (takesValue.test(w) && i + 1 < index) {
                    if (w.equals("-j") || w.equals("--vnet")) {
                        vnetName = words.get(i + 1);
                    }
                    i++;
                }
            } else {
                positional.add(w);
            }
        }
        try {
            return new Line(core().requireVnet(vnetName == null ? org.protosw.socket.NetStack.DEFAULT_VNET : vnetName), positional);
        } catch (org.protosw.socket.SocketException e) {
            return null;
        }
    }

    private static String scoped(String command) {
        return command.indexOf(':') >= 0 ? command : "net:" + command;
    }

    List<String> names(Kind kind, Vnet v) {
        Set<String> out = new LinkedHashSet<>();
        switch (kind) {
            case INTERFACES -> v.interfaces().list().forEach(i -> out.add(i.name()));
            case VNETS -> out.addAll(core().vnetNames());
            case PROTOCOLS -> core().registry().list().forEach(p -> out.add(p.name()));
            case SYSCTLS -> {
                for (Tunable t : v.sysctl().list()) {
                    out.add(t.name());
                }
                for (StringTunable t : v.sysctl().strings()) {
                    out.add(t.name());
                }
            }
            case SOCKETS -> {
                for (SocketInfo s : v.sockets().sockets()) {
                    out.add(Long.toString(s.id()));
                }
            }
            case PIPES -> {
                for (DummynetPipe p : v.pipes().list()) {
                    out.add(Integer.toString(p.number()));
                }
            }
            case CAPTURES -> {
                for (CaptureInfo c : v.captures().list()) {
                    out.add(Integer.toString(c.id()));
                }
            }
            case ADDRESSES -> {
                for (NetInterface i : v.interfaces().list()) {
                    for (IfAddr a : i.addresses()) {
                        out.add(a.addr().toString());
                    }
                }
            }
            case LEVELS -> out.addAll(LEVELS);
            case VALUE -> {
            }
        }
        List<String> sorted = new ArrayList<>(out);
        if (kind == Kind.SYSCTLS || kind == Kind.VNETS || kind == Kind.PROTOCOLS) {
            sorted.sort(null);
        }
        return sorted;
    }

    private static List<String> concat(List<String> a, List<String> b) {
        List<String> out = new ArrayList<>(a);
        out.addAll(b);
        return out;
    }

    private static String last(List<String> words) {
        return words.isEmpty() ? null : words.get(words.size() - 1);
    }

    private static Map<String, Kind> options(Object... pairs) {
        Map<String, Kind> m = new LinkedHashMap<>();
        for (int i = 0; i < pairs.length; i += 2) {
            m.put((String) pairs[i], (Kind) pairs[i + 1]);
        }
        return m;
    }

    private static Map<String, Spec> specs() {
        Map<String, Spec> s = new LinkedHashMap<>();
        List<String> ifKeywords = List.of("inet", "alias", "delete", "mtu", "up", "down", "vnet", "destroy");
        s.put("net:ifconfig", new Spec(options("-j", Kind.VNETS, "-a", null, "-alias", null), (c, v, before) -> {
            if (before.isEmpty()) {
                return concat(c.names(Kind.INTERFACES, v), List.of("epair"));
            }
            if (before.get(0).equals("epair")) {
                return before.size() == 1 ? List.of("create") : List.of();
            }
            String last = last(before);
            return switch (last) {
                case "vnet" -> c.names(Kind.VNETS, v);
                case "inet", "alias", "delete", "mtu" -> List.of();
                default -> ifKeywords;
            };
        }));
        s.put("net:route", new Spec(options("-j", Kind.VNETS, "-n", null, "-net", null, "-host", null,
                "-interface", Kind.INTERFACES, "-iface", Kind.INTERFACES, "-mtu", Kind.VALUE), (c, v, before) ->
                before.isEmpty() ? List.of("show", "add", "delete", "get") : List.of()));
        s.put("net:netstat", new Spec(options("-j", Kind.VNETS, "-a", null, "-n", null, "-W", null, "-T", null,
                "-p", Kind.PROTOCOLS, "-s", null, "-i", null, "-r", null), null));
        s.put("net:systat", new Spec(options("-j", Kind.VNETS, "-n", Kind.VALUE, "-w", Kind.VALUE, "-c", Kind.VALUE), null));
        s.put("net:protocols", new Spec(options(), (c, v, before) -> {
            if (before.isEmpty()) {
                return List.of("list", "drain", "undrain");
            }
            return before.size() == 1 && !before.get(0).equals("list") ? c.names(Kind.PROTOCOLS, v) : List.of();
        }));
        s.put("net:vnet", new Spec(options("-v", null), (c, v, before) -> {
            if (before.isEmpty()) {
                return List.of("list", "create", "destroy");
            }
            return before.size() == 1 && before.get(0).equals("destroy") ? c.names(Kind.VNETS, v) : List.of();
        }));
        List<String> pipeKeywords = List.of("bw", "delay", "plr", "dup", "reorder", "gap", "corrupt", "queue", "seed");
        s.put("net:pipe", new Spec(options("-j", Kind.VNETS), (c, v, before) -> {
            if (before.isEmpty()) {
                return concat(List.of("show", "list"), c.names(Kind.PIPES, v));
            }
            if (before.size() == 1) {
                return List.of("config", "delete", "attach", "detach");
            }
            String verb = before.get(1);
            if (verb.equals("attach") || verb.equals("detach")) {
                return switch (before.size()) {
                    case 2 -> c.names(Kind.INTERFACES, v);
                    case 3 -> List.of("in", "out");
                    default -> List.of();
                };
            }
            // each keyword of config takes a value
            return verb.equals("config") && before.size() % 2 == 0 ? pipeKeywords : List.of();
        }));
        s.put("net:capture", new Spec(options("-j", Kind.VNETS), (c, v, before) -> {
            if (before.isEmpty()) {
                return List.of("start", "stop", "list");
            }
            return switch (before.get(0)) {
                case "start" -> switch (before.size()) {
                    case 1 -> c.names(Kind.INTERFACES, v);
                    case 2 -> List.of();
                    default -> {
                        String last = last(before);
                        yield last.equals("count") || last.equals("snaplen") ? List.of()
                                : List.of("count", "snaplen", "in", "out", "both");
                    }
                };
                case "stop" -> before.size() == 1 ? concat(c.names(Kind.CAPTURES, v), c.names(Kind.INTERFACES, v)) : List.of();
                default -> List.of();
            };
        }));
        s.put("net:sysctl", new Spec(options("-j", Kind.VNETS, "-a", null, "-d", null),
                (c, v, before) -> c.names(Kind.SYSCTLS, v)));
        s.put("net:ping", new Spec(options("-j", Kind.VNETS, "-c", Kind.VALUE, "-s", Kind.VALUE, "-i", Kind.VALUE,
                "-t", Kind.VALUE, "-m", Kind.VALUE, "-S", Kind.ADDRESSES),
                (c, v, before) -> before.isEmpty() ? c.names(Kind.ADDRESSES, v) : List.of()));
        s.put("net:diag", new Spec(options(), null));
        s.put("net:upgrade", new Spec(options(), (c, v, before) ->
                before.isEmpty() ? c.names(Kind.PROTOCOLS, v) : List.of()));
        s.put("log:display", new Spec(options("-l", Kind.LEVELS, "-n", Kind.VALUE), null));
        s.put("log:tail", new Spec(options("-l", Kind.LEVELS, "-n", Kind.VALUE), null));
        return s;
    }
}
