package org.protosw.launcher;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.ConnectException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.Channels;
import java.nio.channels.SocketChannel;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.EnumSet;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.jline.terminal.Attributes;
import org.jline.terminal.Size;
import org.jline.terminal.Terminal;
import org.jline.terminal.TerminalBuilder;
import sun.misc.Signal;

/**
 * {@code protosw attach [-c COMMAND]}, {@code protosw status} and {@code protosw stop}: a client
 * of the running runtime's {@link AttachServer}, started without a framework of its own. For an
 * interactive session it puts its terminal in raw mode, as ssh(1) does, and forwards every byte
 * (Ctrl-C and Ctrl-D included) and each window change; the runtime's line discipline and shell
 * do the rest, so editing, history and completion behave as in the local shell.
 *
 * <p>Exit statuses: the session's (0, or 1 when the command failed); 1 when no runtime runs;
 * for {@code status} 0 when one runs and 3 when none does, as LSB init scripts report.
 */
final class AttachClient {

    /** LSB: "program is not running". */
    static final int NOT_RUNNING = 3;
    /** How long {@code stop} waits for the runtime's process to be gone, beyond the framework's own stop. */
    static final Duration EXIT_WAIT = Launcher.STOP_TIMEOUT.plusSeconds(30);

    private final Layout layout;
    private final Console console;

    AttachClient(Layout layout, Console console) {
        this.layout = layout;
        this.console = console;
    }

    int run(LaunchMode mode) throws IOException, InterruptedException {
        AttachFrames.Mode wanted = switch (mode) {
            case LaunchMode.Attach(String line) -> line == null ? AttachFrames.Mode.SHELL : AttachFrames.Mode.COMMAND;
            case LaunchMode.Status s -> AttachFrames.Mode.STATUS;
            case LaunchMode.Stop s -> AttachFrames.Mode.STOP;
            default -> throw new IllegalArgumentException("not a client mode: " + mode);
        };
        String line = mode instanceof LaunchMode.Attach(String l) && l != null ? l : "";
        Optional<SocketChannel> connected = connect(wanted);
        if (connected.isEmpty()) {
            return wanted == AttachFrames.Mode.STATUS ? NOT_RUNNING : 1;
        }
        try (SocketChannel channel = connected.get()) {
            OutputStream out = Channels.newOutputStream(channel);
            InputStream in = Channels.newInputStream(channel);
            return switch (wanted) {
                case SHELL -> shell(in, out);
                case COMMAND, STATUS -> command(in, out, wanted, line);
                case STOP -> stop(in, out);
            };
        }
    }

    /** Connects, or says in one line why not (nothing runs, a stale socket, another user's). */
    private Optional<SocketChannel> connect(AttachFrames.Mode mode) throws IOException {
        Path socket = AttachServer.socketOf(layout.data());
        String notRunning = "no protosw runtime is running on " + layout.data();
        if (!Files.exists(socket)) {
            tellNotRunning(mode, notRunning);
            return Optional.empty();
        }
        AttachServer.checkLength(socket);
        SocketChannel channel = SocketChannel.open(StandardProtocolFamily.UNIX);
        try {
            channel.connect(UnixDomainSocketAddress.of(socket));
            return Optional.of(channel);
        } catch (ConnectException e) {
            channel.close();
            tellNotRunning(mode, notRunning + " (" + socket.getFileName() + " is left from a runtime that did not stop "
                    + "cleanly; the next start replaces it)");
            return Optional.empty();
        } catch (AccessDeniedException | SecurityException e) {
            channel.close();
            console.report("cannot attach to " + socket + ": permission denied (the runtime belongs to another user)");
            return Optional.empty();
        } catch (IOException e) {
            channel.close();
            String message = String.valueOf(e.getMessage());
            if (message.contains("ermission denied")) {
                console.report("cannot attach to " + socket + ": permission denied (the runtime belongs to another user)");
                return Optional.empty();
            }
            throw e;
        }
    }

    private void tellNotRunning(AttachFrames.Mode mode, String message) {
        if (mode == AttachFrames.Mode.STATUS) {
            console.out("protosw is not running (" + message.substring(message.indexOf(" on ") + 1) + ")");
        } else {
            console.report(message);
        }
    }

    private static void hello(OutputStream out, AttachFrames.Mode mode, String type, int columns, int rows, String line)
            throws IOException {
        byte[] hello = new AttachFrames.Hello(AttachFrames.VERSION, mode, type, columns, rows, line).encode();
        synchronized (out) {
            AttachFrames.write(out, AttachFrames.HELLO, hello, 0, hello.length);
        }
    }

    /** @return the runtime's pid from its WELCOME */
    private static int welcome(InputStream in) throws IOException {
        AttachFrames.Frame frame = AttachFrames.read(in);
        if (frame == null || frame.type() != AttachFrames.WELCOME) {
            throw new IOException("the runtime did not answer as protosw attach expects");
        }
        return frame.intValue();
    }

    private int command(InputStream in, OutputStream out, AttachFrames.Mode mode, String line) throws IOException {
        hello(out, mode, "", 0, 0, line);
        welcome(in);
        // Ctrl-C (or kill -INT) interrupts the command in the runtime; the command ends and says so
        Signal.handle(new Signal("INT"), s -> send(out, AttachFrames.SIGNAL, AttachFrames.intPayload(AttachFrames.SIGINT)));
        return copyUntilExit(in, console.sessionOut());
    }

    private int stop(InputStream in, OutputStream out) throws IOException, InterruptedException {
        hello(out, AttachFrames.Mode.STOP, "", 0, 0, "");
        int pid = welcome(in);
        int status = copyUntilExit(in, console.sessionOut());
        Optional<ProcessHandle> process = ProcessHandle.of(pid);
        if (process.isPresent()) {
            try {
                process.get().onExit().get(EXIT_WAIT.toSeconds(), TimeUnit.SECONDS);
            } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
                console.report("the runtime (pid " + pid + ") has not exited after " + EXIT_WAIT.toSeconds() + " s");
                return 1;
            }
        }
        return status;
    }

    private int shell(InputStream in, OutputStream out) throws IOException {
        Terminal terminal = TerminalBuilder.builder().name("protosw-attach").system(true).nativeSignals(true)
                .signalHandler(Terminal.SignalHandler.SIG_IGN).build();
        Attributes saved = terminal.getAttributes();
        try {
            Size size = terminal.getSize();
            hello(out, AttachFrames.Mode.SHELL, terminal.getType(), size.getColumns(), size.getRows(), "");
            welcome(in);
            terminal.setAttributes(raw(saved));
            terminal.handle(Terminal.Signal.WINCH, s -> {
                Size now = terminal.getSize();
                send(out, AttachFrames.WINCH, AttachFrames.sizePayload(now.getColumns(), now.getRows()));
            });
            terminal.handle(Terminal.Signal.INT,
                    s -> send(out, AttachFrames.SIGNAL, AttachFrames.intPayload(AttachFrames.SIGINT)));
            Thread.ofPlatform().daemon().name("protosw-attach-keys").start(() -> keys(terminal, out));
            // keys is left alone: interrupting a thread that writes the channel would close it
            return copyUntilExit(in, terminal.output());
        } finally {
            terminal.setAttributes(saved);
            terminal.flush();
        }
    }

    /**
     * cfmakeraw(3): no echo, no line editing, no signals from keys, no output processing: the
     * runtime's line discipline does all of that for its session.
     */
    private static Attributes raw(Attributes cooked) {
        Attributes raw = new Attributes(cooked);
        raw.setLocalFlags(EnumSet.of(Attributes.LocalFlag.ICANON, Attributes.LocalFlag.ECHO,
                Attributes.LocalFlag.IEXTEN, Attributes.LocalFlag.ISIG, Attributes.LocalFlag.ECHONL), false);
        raw.setInputFlags(EnumSet.of(Attributes.InputFlag.IXON, Attributes.InputFlag.ICRNL, Attributes.InputFlag.INLCR,
                Attributes.InputFlag.IGNCR, Attributes.InputFlag.ISTRIP, Attributes.InputFlag.BRKINT,
                Attributes.InputFlag.PARMRK), false);
        raw.setOutputFlag(Attributes.OutputFlag.OPOST, false);
        raw.setControlChar(Attributes.ControlChar.VMIN, 1);
        raw.setControlChar(Attributes.ControlChar.VTIME, 0);
        return raw;
    }

    /** The keyboard to the runtime; at the end of a non-terminal stdin, Ctrl-D. */
    private static void keys(Terminal terminal, OutputStream out) {
        byte[] buffer = new byte[4096];
        try {
            InputStream keys = terminal.input();
            int n;
            while ((n = keys.read(buffer)) >= 0) {
                if (n > 0) {
                    synchronized (out) {
                        AttachFrames.write(out, AttachFrames.INPUT, buffer, 0, n);
                    }
                }
            }
            synchronized (out) {
                AttachFrames.write(out, AttachFrames.INPUT, new byte[] {4}, 0, 1);
            }
        } catch (IOException e) {
            // the session ended
        }
    }

    /** Copies OUT and ERR until EXIT; a connection that ends without one is a failure. */
    private int copyUntilExit(InputStream in, OutputStream stdout) throws IOException {
        OutputStream stderr = console.sessionErr();
        AttachFrames.Frame frame;
        while ((frame = AttachFrames.read(in)) != null) {
            switch (frame.type()) {
                case AttachFrames.OUT -> {
                    stdout.write(frame.payload());
                    stdout.flush();
                }
                case AttachFrames.ERR -> {
                    stdout.flush();
                    stderr.write(frame.payload());
                    stderr.flush();
                }
                case AttachFrames.EXIT -> {
                    stdout.flush();
                    return frame.intValue();
                }
                default -> {
                    // a newer runtime's frame: nothing to show
                }
            }
        }
        stdout.flush();
        console.report("the runtime closed the session");
        return 1;
    }

    private static void send(OutputStream out, byte type, byte[] payload) {
        try {
            synchronized (out) {
                AttachFrames.write(out, type, payload, 0, payload.length);
            }
        } catch (IOException e) {
            // the session is ending; its EXIT or end of stream follows
        }
    }
}
