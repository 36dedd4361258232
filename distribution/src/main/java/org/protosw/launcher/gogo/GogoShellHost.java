package org.protosw.launcher.gogo;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.lang.reflect.Field;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Dictionary;
import java.util.Hashtable;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.felix.gogo.jline.Builtin;
import org.apache.felix.gogo.jline.Converters;
import org.apache.felix.gogo.jline.Posix;
import org.apache.felix.gogo.jline.Procedural;
import org.apache.felix.gogo.jline.Shell;
import org.apache.felix.service.command.CommandProcessor;
import org.apache.felix.service.command.CommandSession;
import org.apache.felix.service.command.Converter;
import org.apache.felix.service.command.Function;
import org.apache.felix.service.command.Job;
import org.jline.terminal.Size;
import org.jline.terminal.Terminal;
import org.jline.terminal.TerminalBuilder;
import org.jline.terminal.impl.LineDisciplineTerminal;
import org.osgi.framework.BundleContext;
import org.osgi.framework.ServiceReference;
import org.osgi.framework.ServiceRegistration;
import org.osgi.util.tracker.ServiceTracker;
import org.protosw.launcher.ShellHost;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs gogo.jline's {@link Shell} for the local terminal and for attached clients, doing what
 * gogo.jline's own activator does (register its builtin commands and start a shell on the
 * system terminal) but for as many terminals as there are sessions. A client's terminal is a
 * {@link LineDisciplineTerminal}: JLine's software line discipline, fed the bytes the client's
 * terminal sends in raw mode, so Ctrl-C (0x03) becomes SIGINT of that terminal only, and the
 * Shell interrupts that session's foreground job, as a pty would with a process group.
 *
 * <p>In attached sessions {@code exit [N]} leaves the session (status N for the client); it
 * never stops the runtime ({@code protosw stop} does). Loaded by {@code BundleBridge}: public
 * with a public constructor for it.
 */
public final class GogoShellHost implements ShellHost {

    private static final Logger LOG = LoggerFactory.getLogger(GogoShellHost.class);
    private static final long PROCESSOR_WAIT_MILLIS = 10_000;

    private final BundleContext context;
    private final Runnable stopRuntime;
    private final ClassLoader jlineLoader;
    private final ServiceTracker<CommandProcessor, CommandProcessor> tracker;
    private final CommandProcessor processor;
    private final Shell shell;
    private final List<ServiceRegistration<?>> registrations = new ArrayList<>();
    private final Set<Remote> sessions = ConcurrentHashMap.newKeySet();
    private final AtomicBoolean closing = new AtomicBoolean();
    private volatile Terminal local;

    public GogoShellHost(BundleContext context, Runnable stopRuntime, ClassLoader jlineLoader) throws Exception {
        this.context = context;
        this.stopRuntime = stopRuntime;
        this.jlineLoader = jlineLoader;
        this.tracker = new ServiceTracker<>(context, CommandProcessor.class, null);
        tracker.open();
        CommandProcessor found = tracker.waitForService(PROCESSOR_WAIT_MILLIS);
        if (found == null) {
            tracker.close();
            throw new IllegalStateException("no Gogo command processor (is bundle/org.apache.felix.gogo.runtime-*.jar there and started?)");
        }
        this.processor = found;
        this.shell = new Shell(new Shell.Context() {
            @Override
            public String getProperty(String name) {
                return context.getProperty(name);
            }

            @Override
            public void exit() {
                if (!closing.get()) {
                    stopRuntime.run();
                }
            }
        }, processor);
        register();
    }

    /** What gogo.jline's activator registers: its converters and builtin commands, in the gogo scope. */
    private void register() throws ReflectiveOperationException {
        registrations.add(context.registerService(Converter.class.getName(),
                new Converters(context.getBundle(0).getBundleContext()), null));
        registerCommands(Builtin.class, new Builtin());
        registerCommands(Procedural.class, new Procedural());
        registerCommands(Posix.class, new Posix(processor));
        registerCommands(Shell.class, shell);
    }

    private void registerCommands(Class<?> type, Object commands) throws ReflectiveOperationException {
        // the function names are gogo.jline's package-private constants
        Field field = type.getDeclaredField("functions");
        field.setAccessible(true);
        Dictionary<String, Object> properties = new Hashtable<>();
        properties.put(CommandProcessor.COMMAND_SCOPE, "gogo");
        properties.put(CommandProcessor.COMMAND_FUNCTION, field.get(null));
        registrations.add(context.registerService(type.getName(), commands, properties));
    }

    @Override
    public void runLocal() throws Exception {
        Terminal terminal;
        Thread thread = Thread.currentThread();
        ClassLoader previous = thread.getContextClassLoader();
        // JLine finds its terminal providers through the context class loader: let it find the bundle's
        thread.setContextClassLoader(jlineLoader);
        try {
            terminal = TerminalBuilder.builder().name("protosw").system(true).nativeSignals(true)
                    .signalHandler(Terminal.SignalHandler.SIG_IGN).build();
        } finally {
            thread.setContextClassLoader(previous);
        }
        local = terminal;
        // The system terminal's output is buffered until the shell flushes it, which it does only
        // when the command ends; a command writing as it goes (ping, a capture) must be seen as
        // it goes, as on an attached terminal, whose output is not buffered.
        OutputStream out = new FlushingOutputStream(terminal.output());
        CommandSession session = processor.createSession(terminal.input(), out, out);
        ctrlC(session, out, out);
        try {
            session.put(Shell.VAR_TERMINAL, terminal);
            shell.gosh(session, new String[] {"--login"});
        } catch (Exception e) {
            if (!closing.get()) {
                throw e;
            }
        } finally {
            session.close();
            closeQuietly(terminal);
        }
    }

    @Override
    public Session interactive(String terminalType, int columns, int rows, OutputStream out) throws IOException {
        LineDisciplineTerminal terminal = new LineDisciplineTerminal("protosw-attach",
                terminalType.isBlank() ? "dumb" : terminalType, out, StandardCharsets.UTF_8);
        if (columns > 0 && rows > 0) {
            terminal.setSize(new Size(columns, rows));
        }
        Remote remote = new Remote(terminal, null);
        sessions.add(remote);
        return remote;
    }

    @Override
    public Session command(String line, OutputStream out, OutputStream err) {
        Remote remote = new Remote(null, new OneCommand(line, out, err));
        sessions.add(remote);
        return remote;
    }

    @Override
    public void close() {
        if (!closing.compareAndSet(false, true)) {
            return;
        }
        shell.stop();
        for (Remote remote : sessions) {
            remote.hangUp();
        }
        Terminal terminal = local;
        if (terminal != null) {
            // restores the terminal's modes; the local shell's readLine ends
            closeQuietly(terminal);
        }
        for (ServiceRegistration<?> registration : registrations) {
            try {
                registration.unregister();
            } catch (IllegalStateException alreadyGone) {
                // unregistered with the framework
            }
        }
        registrations.clear();
        tracker.close();
    }

    /**
     * What a session needs for Ctrl-C to act as in a Unix shell: the command is interrupted, its
     * last lines are written (the session's output survives the interrupt) and the prompt comes
     * back after them.
     */
    private static void ctrlC(CommandSession session, OutputStream out, OutputStream err) {
        SessionOutputs.keepOpenOnInterrupt(session, out, err);
        CommandInterrupts.waitForInterruptedCommands(session);
    }

    private static void closeQuietly(Terminal terminal) {
        try {
            terminal.close();
        } catch (IOException | RuntimeException e) {
            LOG.debug("closing a terminal", e);
        }
    }

    /** A command line of {@code attach -c}. */
    private record OneCommand(String line, OutputStream out, OutputStream err) {
    }

    /** One attached session: a shell on a client's terminal, or one command. */
    private final class Remote implements Session {
        private final LineDisciplineTerminal terminal;
        private final OneCommand command;
        private final AtomicInteger status = new AtomicInteger();
        private volatile CommandSession session;
        private volatile Thread runner;
        private volatile boolean over;

        Remote(LineDisciplineTerminal terminal, OneCommand command) {
            this.terminal = terminal;
            this.command = command;
        }

        @Override
        public int run() throws Exception {
            runner = Thread.currentThread();
            try {
                return terminal != null ? shell() : command();
            } finally {
                over = true;
                sessions.remove(this);
                CommandSession s = session;
                if (s != null) {
                    s.close();
                }
                if (terminal != null) {
                    closeQuietly(terminal);
                }
            }
        }

        private int shell() throws Exception {
            OutputStream out = terminal.output();
            CommandSession s = processor.createSession(terminal.input(), out, out);
            ctrlC(s, out, out);
            session = s;
            s.put(Shell.VAR_TERMINAL, terminal);
            s.put("exit", leave());
            try {
                shell.gosh(s, new String[] {"--login", "--noshutdown"});
            } catch (Exception e) {
                if (!over && !closing.get()) {
                    throw e;
                }
            }
            return status.get();
        }

        private int command() throws Exception {
            PrintStream out = new PrintStream(command.out(), true, StandardCharsets.UTF_8);
            PrintStream err = new PrintStream(command.err(), true, StandardCharsets.UTF_8);
            CommandSession s = processor.createSession(InputStream.nullInputStream(), out, err);
            ctrlC(s, out, err);
            session = s;
            AtomicBoolean left = new AtomicBoolean();
            s.put("exit", (Function) (cs, arguments) -> {
                status.set(exitStatus(arguments));
                left.set(true);
                return null;
            });
            Object result = s.execute(command.line());
            if (result != null && !left.get()) {
                out.println(s.format(result, Converter.INSPECT));
            }
            out.flush();
            err.flush();
            return status.get();
        }

        /** {@code exit [N]} in an attached shell: the session ends with N; the runtime keeps running. */
        private Function leave() {
            return (cs, arguments) -> {
                status.set(exitStatus(arguments));
                over = true;
                // the shell's next read sees the end of its input and returns
                closeQuietly(terminal);
                return null;
            };
        }

        @Override
        public void input(byte[] bytes, int offset, int length) throws IOException {
            if (terminal != null && !over) {
                terminal.processInputBytes(bytes, offset, length);
            }
        }

        @Override
        public void resize(int columns, int rows) {
            if (terminal != null && columns > 0 && rows > 0) {
                terminal.setSize(new Size(columns, rows));
                terminal.raise(Terminal.Signal.WINCH);
            }
        }

        @Override
        public void interrupt() {
            if (terminal != null) {
                // what the line discipline does on VINTR: the shell interrupts its foreground job
                terminal.raise(Terminal.Signal.INT);
                return;
            }
            CommandSession s = session;
            Job job = s == null ? null : s.foregroundJob();
            if (job != null) {
                job.interrupt();
            } else if (runner != null) {
                runner.interrupt();
            }
        }

        @Override
        public void hangUp() {
            over = true;
            CommandSession s = session;
            Job job = s == null ? null : s.foregroundJob();
            if (job != null) {
                job.interrupt();
            }
            if (terminal != null) {
                closeQuietly(terminal);
            } else if (runner != null && job == null) {
                runner.interrupt();
            }
        }
    }

    private static int exitStatus(List<Object> arguments) {
        if (arguments.isEmpty()) {
            return 0;
        }
        if (arguments.size() > 1) {
            throw new IllegalArgumentException("exit takes at most one status, 0..255");
        }
        int status;
        try {
            status = Integer.parseInt(String.valueOf(arguments.get(0)));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("exit status must be 0..255, not '" + arguments.get(0) + "'");
        }
        if (status < 0 || status > 255) {
            throw new IllegalArgumentException("exit status must be 0..255, not " + status);
        }
        return status;
    }
}
