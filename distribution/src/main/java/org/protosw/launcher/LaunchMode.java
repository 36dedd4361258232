package org.protosw.launcher;

import java.nio.file.Path;

/** What the user asked the launcher to do, parsed from the command line. */
sealed interface LaunchMode {

    /** No argument: the Gogo shell on the terminal. */
    record Interactive() implements LaunchMode {}

    /** {@code -c 'command'}: one command in a fresh, throw-away runtime. */
    record Command(String line) implements LaunchMode {}

    /** {@code --script FILE}: run FILE's commands, then serve headless until SIGTERM/SIGINT. */
    record Script(Path file) implements LaunchMode {}

    /** {@code -h} / {@code --help}. */
    record Help() implements LaunchMode {}

    /** {@code attach [-c 'command']}: a shell (line null) or one command in the running runtime. */
    record Attach(String line) implements LaunchMode {}

    /** {@code status}: whether a runtime runs on this data/ (exit 0) or not (exit 3). */
    record Status() implements LaunchMode {}

    /** {@code stop}: stops the running runtime cleanly, as SIGTERM does. */
    record Stop() implements LaunchMode {}

    /** Whether the mode talks to a running runtime rather than starting one. */
    default boolean isClient() {
        return this instanceof Attach || this instanceof Status || this instanceof Stop;
    }

    String USAGE = """
            Usage: protosw [-c COMMAND | --script FILE | -h]
                   protosw attach [-c COMMAND] | status | stop

            A userspace TCP/IP stack on OSGi (Apache Felix) with the Gogo shell.

              (no option)       start the runtime with the Gogo shell on this terminal;
                                'exit' or Ctrl-D stops it
              -c COMMAND        start a fresh runtime (its own framework storage, so it can
                                run beside another instance), wait until deploy/ is loaded,
                                run COMMAND, print its result and exit
                                (0 = success, 1 = the command failed)
              --script FILE     start, wait until deploy/ is loaded, run FILE's commands one per
                                line ('#' starts a comment), then keep running without a
                                terminal until SIGTERM or SIGINT
              -h, --help        this text

              attach            a shell on the runtime already running on this data/ folder
                                (started with --script or interactively), over the Unix socket
                                data/protosw.sock (mode 0600, never a network port); 'exit' or
                                Ctrl-D leaves it and the runtime keeps running; Ctrl-C
                                interrupts the command running in this session only
              attach -c COMMAND run COMMAND in the running runtime; exit 0, or 1 with the error
                                on stderr
              status            whether a runtime runs here (pid, uptime, vnets, protocols):
                                exit 0 when it does, 3 when not
              stop              stop the running runtime cleanly (as SIGTERM does) and wait
                                until it has exited

            Folders: bundle/ system bundles, deploy/ protocol bundles (add, replace or delete a
            jar there to load, upgrade or unload it), etc/ configuration (*.cfg), data/ cache and
            logs (data/log/protosw.log). Environment: JAVA_HOME (JDK 25 or newer), JAVA_OPTS,
            PROTOSW_DATA (another data/ folder).
            """;

    /**
     * Parses the arguments.
     *
     * @throws UsageException with a one-line reason when they make no sense
     */
    static LaunchMode parse(String... args) throws UsageException {
        if (args.length == 0) {
            return new Interactive();
        }
        String first = args[0];
        switch (first) {
            case "attach" -> {
                return attach(args);
            }
            case "status", "stop" -> {
                if (args.length > 1) {
                    throw new UsageException("unexpected argument '" + args[1] + "' after " + first);
                }
                return first.equals("status") ? new Status() : new Stop();
            }
            default -> {
            }
        }
        LaunchMode mode = switch (first) {
            case "-h", "--help" -> new Help();
            case "-c", "--command" -> {
                if (args.length < 2) {
                    throw new UsageException("option " + first + " needs a command, e.g. -c 'lb'");
                }
                if (args[1].isBlank()) {
                    throw new UsageException("option " + first + " was given an empty command");
                }
                yield new Command(args[1]);
            }
            case "--script" -> {
                if (args.length < 2 || args[1].isEmpty()) {
                    throw new UsageException("option --script needs a file");
                }
                yield new Script(Path.of(args[1]));
            }
            default -> {
                if (first.startsWith("--script=") && first.length() > "--script=".length()) {
                    yield new Script(Path.of(first.substring("--script=".length())));
                }
                if (first.startsWith("-")) {
                    throw new UsageException("unknown option '" + first + "'");
                }
                throw new UsageException("unexpected argument '" + first + "'");
            }
        };
        int used = switch (mode) {
            case Help h -> 1;
            case Script s when first.startsWith("--script=") -> 1;
            default -> 2;
        };
        if (args.length > used) {
            String extra = args[used];
            String hint = mode instanceof Command ? " (quote the whole command: -c 'lb -s')" : "";
            throw new UsageException("unexpected argument '" + extra + "'" + hint);
        }
        return mode;
    }

    private static LaunchMode attach(String... args) throws UsageException {
        if (args.length == 1) {
            return new Attach(null);
        }
        String option = args[1];
        if (!option.equals("-c") && !option.equals("--command")) {
            throw new UsageException("attach takes only -c COMMAND, not '" + option + "'");
        }
        if (args.length < 3) {
            throw new UsageException("attach " + option + " needs a command, e.g. attach -c 'net:netstat -an'");
        }
        if (args[2].isBlank()) {
            throw new UsageException("attach " + option + " was given an empty command");
        }
        if (args.length > 3) {
            throw new UsageException("unexpected argument '" + args[3] + "' (quote the whole command: attach -c 'lb -s')");
        }
        return new Attach(args[2]);
    }

    /** A command line that cannot be run; the message is one line, for stderr. */
    final class UsageException extends Exception {
        UsageException(String message) {
            super(message);
        }
    }
}
