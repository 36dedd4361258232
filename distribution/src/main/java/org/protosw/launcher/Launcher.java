package org.protosw.launcher;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.ServiceLoader;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.BundleEvent;
import org.osgi.framework.BundleException;
import org.osgi.framework.FrameworkEvent;
import org.osgi.framework.InvalidSyntaxException;
import org.osgi.framework.ServiceReference;
import org.osgi.framework.SynchronousBundleListener;
import org.osgi.framework.launch.Framework;
import org.osgi.framework.launch.FrameworkFactory;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One run of the runtime: starts the framework and the bundles of bundle/, lets FileInstall
 * load etc/ and deploy/, waits until ready, then serves the chosen mode and stops the framework.
 */
final class Launcher {

    /** How long a stopping framework gets before the launcher gives up on it. */
    static final Duration STOP_TIMEOUT = Duration.ofSeconds(30);
    /** How long a command session waits for Gogo's command processor once the stack is ready. */
    static final Duration SHELL_WAIT = Duration.ofSeconds(10);

    private final Layout layout;
    private final LaunchMode mode;
    private final Console console;
    private Logger log;
    private ShellCommands commands;
    private final Instant started = Instant.now();
    /** The shells (local and attached); null in one-shot runs or when bundle/ has no terminal shell. */
    private volatile ShellHost shells;
    private volatile AttachServer attach;
    private volatile Framework framework;

    Launcher(Layout layout, LaunchMode mode, Console console) {
        this.layout = layout;
        this.mode = mode;
        this.console = console;
    }

    /** Runs the mode; returns the process exit status. */
    int run() throws IOException, InterruptedException {
        List<String> script = null;
        if (mode instanceof LaunchMode.Script(Path file)) {
            try {
                script = Files.readAllLines(file, StandardCharsets.UTF_8);
            } catch (IOException e) {
                console.report("cannot read script " + file + ": " + ErrorLines.oneLine(e));
                return 2;
            }
        }
        boolean oneShot = mode instanceof LaunchMode.Command;
        configureLogging(oneShot ? "protosw-cmd" : "protosw");
        log = LoggerFactory.getLogger(Launcher.class);
        DeployFailures failures = new DeployFailures();
        JulBridge.install(console, failures, layout);

        DataLock lock = null;
        Path storage;
        if (oneShot) {
            // a fresh storage of its own: a one-shot command never touches a running instance's cache
            storage = Files.createTempDirectory("protosw-cmd-");
        } else {
            try {
                lock = DataLock.acquire(layout.data());
            } catch (IOException e) {
                console.report(e.getMessage());
                return 1;
            }
            storage = layout.cache();
        }
        log.info("starting protosw: home {}, data {}, storage {}, mode {}", layout.home(), layout.data(), storage,
                describe(mode));
        try {
            Framework framework = ServiceLoader.load(FrameworkFactory.class).findFirst()
                    .orElseThrow(() -> new IllegalStateException("no OSGi framework on the class path (lib/)"))
                    .newFramework(toStrings(FrameworkSettings.build(layout, storage)));
            return run(framework, failures, script);
        } catch (BundleException e) {
            log.error("the framework did not start", e);
            console.report("the framework did not start: " + ErrorLines.message(e));
            return 1;
        } finally {
            if (oneShot) {
                deleteTree(storage);
            }
            if (lock != null) {
                lock.close();
            }
        }
    }

    private int run(Framework framework, DeployFailures failures, List<String> script)
            throws BundleException, IOException, InterruptedException {
        this.framework = framework;
        // from the first entry on: log:display shows why a start failed
        LogRingAppender.install(LogRing.RUNTIME);
        framework.init();
        BundleContext context = framework.getBundleContext();
        Readiness readiness = new Readiness(context, failures);
        readiness.open();
        Thread hook = new Thread(() -> stop(framework, "JVM shutdown"), "protosw-shutdown");
        Runtime.getRuntime().addShutdownHook(hook);
        framework.start();

        // before any bundle starts: SCR and Config Admin pick their log at start
        new OsgiLogBridge(console).register(context);
        commands = new ShellCommands(framework);
        commands.register(context);
        new LogCommands(LogRing.RUNTIME).register(context);
        SystemBundles system = new SystemBundles(context, console);
        // the terminal shell's bundle is installed for its classes, never started (ShellHost runs the shells)
        boolean serves = !(mode instanceof LaunchMode.Command);
        system.install(layout.bundle(), serves);
        context.addBundleListener((SynchronousBundleListener) event -> {
            // before any bundle stops, whoever stops the framework: sessions end, the socket goes
            if (event.getBundle().getBundleId() == 0 && event.getType() == BundleEvent.STOPPING) {
                closeAttach();
            }
        });
        system.startAll();
        awaitReady(readiness, context);
        if (serves) {
            openShells(framework);
        }

        int status = switch (mode) {
            case LaunchMode.Interactive i -> interactive(framework, system);
            case LaunchMode.Command(String line) -> command(framework, line);
            case LaunchMode.Script(Path file) -> script(framework, file, script);
            case LaunchMode.Help h -> 0;
            default -> throw new IllegalStateException("not a runtime mode: " + mode);
        };
        stop(framework, "end of " + describe(mode));
        if (commands.requestedStatus() != ShellCommands.NONE) {
            status = commands.requestedStatus();
        }
        try {
            Runtime.getRuntime().removeShutdownHook(hook);
        } catch (IllegalStateException alreadyShuttingDown) {
            // the hook is running or has run: nothing to remove
        }
        return status;
    }

    private void awaitReady(Readiness readiness, BundleContext context) throws IOException, InterruptedException {
        List<Path> jars = new ArrayList<>();
        for (Path jar : Readiness.deployJars(layout.deploy())) {
            // FileInstall skips such a file without a word, so it would be waited for in vain
            if (SystemBundles.symbolicName(jar) == null) {
                log.warn("{} is not an OSGi bundle (no readable Bundle-SymbolicName); FileInstall ignores it", jar);
                console.report("deploy/" + jar.getFileName() + " is not an OSGi bundle (no readable manifest "
                        + "with a Bundle-SymbolicName); ignored");
            } else {
                jars.add(jar);
            }
        }
        List<Path> pending = readiness.await(jars, Readiness.QUIET, Readiness.CAP);
        readiness.close();
        if (!pending.isEmpty()) {
            String names = pending.stream().map(p -> "deploy/" + p.getFileName()).collect(Collectors.joining(", "));
            log.warn("not ready after {} s: {} not loaded yet; going on", Readiness.CAP.toSeconds(), names);
            console.report("not ready after " + Readiness.CAP.toSeconds() + " s (" + names
                    + " not loaded yet); going on");
        }
        Bundle[] bundles = context.getBundles();
        long active = Arrays.stream(bundles).filter(b -> b.getState() == Bundle.ACTIVE).count();
        log.info("ready: {} of {} bundles active, {} jar(s) in deploy/", active, bundles.length, jars.size());
    }

    private int interactive(Framework framework, SystemBundles system) throws InterruptedException {
        String version = Launcher.class.getPackage().getImplementationVersion();
        Path logFile = layout.log().resolve("protosw.log");
        console.out("protosw " + (version == null ? "" : version + " ") + "on Apache Felix "
                + framework.getVersion() + ", Java " + Runtime.version().feature() + "; log: "
                + (logFile.startsWith(layout.home()) ? layout.home().relativize(logFile) : logFile));
        console.out("'help' lists the commands; 'exit' or Ctrl-D stops.");
        ShellHost host = shells;
        if (host == null) {
            console.report("no shell: bundle/ has no " + SystemBundles.SHELL + " and " + BundleBridge.JLINE
                    + " jars; running until Ctrl-C");
        } else {
            Thread.ofPlatform().name("Gogo shell").start(() -> {
                try {
                    host.runLocal();
                } catch (Exception e) {
                    log.error("the shell failed", e);
                    console.report("the shell failed: " + ErrorLines.oneLine(e) + "; stopping");
                    stop(framework, "the shell failed");
                }
            });
        }
        // the shell stops the framework on 'exit' and Ctrl-D
        waitForStop(framework, Duration.ZERO);
        closeAttach();
        log.info("stopped");
        return 0;
    }

    private int command(Framework framework, String line) throws InterruptedException {
        GogoSession session;
        try {
            session = GogoSession.open(framework.getBundleContext(), console.in(), console.sessionOut(),
                    console.sessionErr(), SHELL_WAIT);
        } catch (IllegalStateException e) {
            log.error("no command session", e);
            console.report(e.getMessage());
            return 1;
        }
        try (session) {
            log.info("command: {}", line);
            Object result = session.execute(line);
            if (result != null) {
                console.out(session.format(result));
            }
            console.flush();
            return 0;
        } catch (Exception e) {
            log.info("command failed: {}", line, e);
            console.flush();
            // a command's own error reads as sysctl(8)'s would; anything else says what it is
            console.errLine(ErrorLines.commandFailure(e, "gogo: "));
            return 1;
        }
    }

    private int script(Framework framework, Path file, List<String> lines) throws InterruptedException {
        GogoSession session;
        try {
            // no terminal: the script's commands read nothing
            session = GogoSession.open(framework.getBundleContext(), InputStream.nullInputStream(),
                    console.sessionOut(), console.sessionErr(), SHELL_WAIT);
        } catch (IllegalStateException e) {
            log.error("no command session", e);
            console.report(e.getMessage());
            return 1;
        }
        try (session) {
            for (int i = 0; i < lines.size(); i++) {
                String line = lines.get(i).strip();
                if (line.isEmpty() || line.startsWith("#")) {
                    continue;
                }
                log.info("{}:{}: {}", file, i + 1, line);
                try {
                    Object result = session.execute(line);
                    if (result != null) {
                        console.out(session.format(result));
                    }
                    console.flush();
                } catch (Exception e) {
                    log.error("{}:{}: '{}' failed", file, i + 1, line, e);
                    console.flush();
                    console.report(file + ":" + (i + 1) + ": " + ErrorLines.commandFailure(e, ""));
                    return 1;
                }
                if (commands.requestedStatus() != ShellCommands.NONE) {
                    log.info("{}:{}: exit: the script stops the runtime", file, i + 1);
                    waitForStop(framework, STOP_TIMEOUT);
                    return commands.requestedStatus();
                }
            }
        }
        Signals.onTermination(signal -> {
            log.info("{} received: stopping the framework", signal);
            try {
                framework.stop();
            } catch (BundleException e) {
                log.error("cannot stop the framework", e);
            }
        });
        log.info("script {} done; running headless until SIGTERM or SIGINT (pid {})", file,
                ProcessHandle.current().pid());
        console.report("ready; running until SIGTERM or SIGINT (pid " + ProcessHandle.current().pid() + ")");
        waitForStop(framework, Duration.ZERO);
        closeAttach();
        log.info("framework stopped; exiting");
        return 0;
    }

    /**
     * The shell host and the attach socket, once the stack is ready. Without them the runtime
     * still serves, headless; the reason is on stderr and in the log.
     */
    private void openShells(Framework framework) {
        BundleContext context = framework.getBundleContext();
        Runnable stopRuntime = () -> {
            try {
                framework.stop();
            } catch (BundleException e) {
                log.error("cannot stop the framework", e);
            }
        };
        Optional<BundleBridge> bridge = BundleBridge.of(context);
        if (bridge.isPresent()) {
            try {
                shells = bridge.get().newShellHost(context, stopRuntime);
            } catch (ReflectiveOperationException | LinkageError | RuntimeException e) {
                log.error("no shell host", e);
                console.report("no shell: " + ErrorLines.oneLine(e) + " (details in the log)");
            }
        }
        try {
            attach = AttachServer.start(layout.data(), shells, this::statusText, () -> {
                log.info("stop requested through attach: stopping the framework");
                stopRuntime.run();
            });
        } catch (IOException e) {
            log.error("no attach socket", e);
            console.report("no attach socket: " + ErrorLines.message(e) + "; 'protosw attach' will not reach this runtime");
        }
    }

    /** Ends the attached sessions and the local shell, removes the socket; idempotent. */
    private void closeAttach() {
        AttachServer a = attach;
        if (a != null) {
            a.close();
        }
        ShellHost s = shells;
        if (s != null) {
            s.close();
        }
    }

    /** What {@code protosw status} prints: pid, uptime, vnets, protocols (from the service registry). */
    private String statusText() {
        StringBuilder text = new StringBuilder();
        text.append("protosw is running (pid ").append(ProcessHandle.current().pid()).append(", up ")
                .append(AttachServer.uptime(started)).append(", since ").append(started.truncatedTo(ChronoUnit.SECONDS))
                .append(")\n");
        text.append("data:      ").append(layout.data()).append('\n');
        text.append("vnets:     ").append(String.join(", ", serviceProperty("org.protosw.socket.NetStack", "protosw.vnet")))
                .append('\n');
        text.append("protocols: ").append(String.join(", ", serviceProperty("org.protosw.spi.ProtoSw", "protosw.name")))
                .append('\n');
        return text.toString();
    }

    private List<String> serviceProperty(String type, String property) {
        Framework framework = this.framework;
        if (framework == null || framework.getBundleContext() == null) {
            return List.of();
        }
        try {
            ServiceReference<?>[] references = framework.getBundleContext().getAllServiceReferences(type, null);
            if (references == null) {
                return List.of("none");
            }
            return Arrays.stream(references).map(r -> r.getProperty(property)).filter(java.util.Objects::nonNull)
                    .map(String::valueOf).distinct().sorted().toList();
        } catch (InvalidSyntaxException | IllegalStateException e) {
            return List.of();
        }
    }

    /** Stops the framework (all bundles stop first) and waits, bounded, for it. */
    private void stop(Framework framework, String why) {
        closeAttach();
        int state = framework.getState();
        if ((state & (Bundle.STARTING | Bundle.ACTIVE | Bundle.STOPPING)) == 0) {
            return;
        }
        try {
            if ((state & (Bundle.STARTING | Bundle.ACTIVE)) != 0) {
                log.info("stopping the framework ({})", why);
                framework.stop();
            }
            if (!waitForStop(framework, STOP_TIMEOUT)) {
                log.warn("the framework did not stop within {} s", STOP_TIMEOUT.toSeconds());
                console.report("the framework did not stop within " + STOP_TIMEOUT.toSeconds() + " s; exiting anyway");
            }
        } catch (BundleException e) {
            log.error("cannot stop the framework", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** @return false when {@code timeout} (zero: none) passed first */
    private static boolean waitForStop(Framework framework, Duration timeout) throws InterruptedException {
        FrameworkEvent event = framework.waitForStop(timeout.toMillis());
        return event.getType() != FrameworkEvent.WAIT_TIMEDOUT;
    }

    /**
     * Points logback at etc/logback.xml and its file at data/log/NAME.log, before anything asks
     * slf4j for a logger. One-shot commands write protosw-cmd.log: they may run beside a
     * long-running instance, and two processes must not roll the same file.
     */
    private void configureLogging(String name) throws IOException {
        Files.createDirectories(layout.log());
        Path config = layout.etc().resolve("logback.xml");
        if (System.getProperty("logback.configurationFile") == null && Files.isRegularFile(config)) {
            System.setProperty("logback.configurationFile", config.toString());
        }
        System.setProperty("protosw.log.dir", layout.log().toString());
        System.setProperty("protosw.log.name", name);
        System.setProperty(Layout.HOME_PROPERTY, layout.home().toString());
        System.setProperty(Layout.DATA_PROPERTY, layout.data().toString());
    }

    private static String describe(LaunchMode mode) {
        return switch (mode) {
            case LaunchMode.Interactive i -> "interactive shell";
            case LaunchMode.Command c -> "one-shot command";
            case LaunchMode.Script(Path file) -> "script " + file;
            case LaunchMode.Help h -> "help";
            default -> mode.toString();
        };
    }

    private static Map<String, String> toStrings(Map<String, Object> settings) {
        // FrameworkFactory takes Map<String, String>; Felix reads the log bridge object from it all the same
        @SuppressWarnings({"unchecked", "rawtypes"})
        Map<String, String> raw = (Map) settings;
        return raw;
    }

    private static void deleteTree(Path root) {
        if (!Files.exists(root)) {
            return;
        }
        try (Stream<Path> paths = Files.walk(root)) {
            for (Path path : paths.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(path);
            }
        } catch (IOException | UncheckedIOException e) {
            // a leftover in the temp folder is harmless; the OS cleans it
        }
    }
}
