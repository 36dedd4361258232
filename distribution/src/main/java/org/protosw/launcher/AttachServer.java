package org.protosw.launcher;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.Channels;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.nio.file.attribute.UserPrincipal;
import java.time.Duration;
import java.time.Instant;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import jdk.net.ExtendedSocketOptions;
import jdk.net.UnixDomainPrincipal;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The runtime's end of {@code protosw attach}: a Unix-domain socket in data/ (never a network
 * listener), mode 0600, and a check of each peer's user (SO_PEERCRED) on top, as Karaf's
 * {@code bin/client} would with a local-only console. Each connection is one session
 * ({@link AttachFrames}) on a thread of its own: several at once, each with its own Ctrl-C.
 *
 * <p>The socket is bound under a temporary name, made 0600, then renamed into place, so no
 * client ever sees it with wider permissions. A socket file left by a killed runtime is
 * replaced: the caller holds data/'s lock ({@link DataLock}), so no live runtime owns it.
 */
final class AttachServer implements AutoCloseable {

    static final String SOCKET = "protosw.sock";
    /** sun_path is 108 bytes with its terminating NUL. */
    static final int MAX_PATH_BYTES = 107;
    /** The status of a command ended by Ctrl-C, as sh(1) reports it: 128 + SIGINT. */
    static final int INTERRUPTED = 128 + AttachFrames.SIGINT;

    private static final Logger LOG = LoggerFactory.getLogger(AttachServer.class);

    private final Path socket;
    private final ServerSocketChannel server;
    private final ShellHost shells;
    private final Supplier<String> status;
    private final Runnable stop;
    private final UserPrincipal owner;
    private final Set<Connection> connections = ConcurrentHashMap.newKeySet();
    private final AtomicInteger sessionIds = new AtomicInteger();
    private final Thread acceptor;
    private volatile boolean closed;

    private AttachServer(Path socket, ServerSocketChannel server, ShellHost shells, Supplier<String> status,
            Runnable stop) throws IOException {
        this.socket = socket;
        this.server = server;
        this.shells = shells;
        this.status = status;
        this.stop = stop;
        this.owner = Files.getOwner(socket);
        this.acceptor = Thread.ofPlatform().daemon().name("protosw-attach").unstarted(this::acceptLoop);
    }

    /** The socket file of a data folder. */
    static Path socketOf(Path data) {
        return data.resolve(SOCKET);
    }

    /**
     * Binds data/protosw.sock and starts accepting.
     *
     * @param shells null when bundle/ has no terminal shell: then only status and stop are served
     * @param status the text {@code protosw status} prints
     * @param stop stops the runtime as SIGTERM does (returns at once)
     */
    static AttachServer start(Path data, ShellHost shells, Supplier<String> status, Runnable stop) throws IOException {
        Path socket = socketOf(data);
        Path temporary = data.resolve("." + SOCKET + "." + ProcessHandle.current().pid());
        checkLength(temporary);
        if (Files.deleteIfExists(socket)) {
            LOG.info("removed the stale socket {} of a runtime that did not stop cleanly", socket);
        }
        Files.deleteIfExists(temporary);
        ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
        try {
            server.bind(UnixDomainSocketAddress.of(temporary));
            Files.setPosixFilePermissions(temporary, PosixFilePermissions.fromString("rw-------"));
            Files.move(temporary, socket, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException | RuntimeException e) {
            server.close();
            Files.deleteIfExists(temporary);
            throw e;
        }
        AttachServer attach = new AttachServer(socket, server, shells, status, stop);
        attach.acceptor.start();
        LOG.info("attach: listening on {} (mode 0600, user {})", socket, attach.owner.getName());
        return attach;
    }

    static void checkLength(Path socket) throws IOException {
        int length = socket.toString().getBytes(StandardCharsets.UTF_8).length;
        if (length > MAX_PATH_BYTES) {
            throw new IOException("the attach socket path " + socket + " is " + length + " bytes long, more than a "
                    + "Unix socket allows (" + MAX_PATH_BYTES + "); set PROTOSW_DATA to a shorter folder");
        }
    }

    Path socket() {
        return socket;
    }

    private void acceptLoop() {
        while (!closed) {
            SocketChannel channel;
            try {
                channel = server.accept();
            } catch (IOException e) {
                if (!closed) {
                    LOG.error("attach: accept failed; no more sessions", e);
                }
                return;
            }
            Connection connection = new Connection(channel, sessionIds.incrementAndGet());
            connections.add(connection);
            Thread.ofPlatform().daemon().name("protosw-attach-" + connection.id).start(connection::serve);
        }
    }

    /**
     * Stops accepting, removes the socket file, then ends every session (each client is told the
     * runtime is stopping, and exits). Called as the framework begins to stop.
     */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        try {
            server.close();
        } catch (IOException e) {
            LOG.debug("closing the attach socket", e);
        }
        try {
            Files.deleteIfExists(socket);
        } catch (IOException e) {
            LOG.warn("cannot remove {}", socket, e);
        }
        for (Connection connection : connections) {
            connection.end();
        }
    }

    /** One client and its session. */
    private final class Connection {
        private final SocketChannel channel;
        private final int id;
        private final AttachFrames.Writer out;
        private volatile ShellHost.Session session;
        private volatile boolean stopRequester;
        private volatile boolean exited;

        Connection(SocketChannel channel, int id) {
            this.channel = channel;
            this.id = id;
            this.out = new AttachFrames.Writer(Channels.newOutputStream(channel), "protosw-attach-" + id + "-out");
        }

        void serve() {
            try (channel) {
                if (!peerAllowed()) {
                    return;
                }
                InputStream in = Channels.newInputStream(channel);
                AttachFrames.Frame first = AttachFrames.read(in);
                if (first == null || first.type() != AttachFrames.HELLO) {
                    LOG.warn("attach session {}: no HELLO; closed", id);
                    return;
                }
                AttachFrames.Hello hello;
                try {
                    hello = AttachFrames.Hello.decode(first.payload());
                } catch (IOException e) {
                    send(AttachFrames.WELCOME, AttachFrames.intPayload((int) ProcessHandle.current().pid()));
                    fail(e.getMessage());
                    return;
                }
                send(AttachFrames.WELCOME, AttachFrames.intPayload((int) ProcessHandle.current().pid()));
                LOG.info("attach session {}: {}{}", id, hello.mode().name().toLowerCase(),
                        hello.mode() == AttachFrames.Mode.COMMAND ? " '" + hello.command() + "'" : "");
                switch (hello.mode()) {
                    case STATUS -> {
                        text(AttachFrames.OUT, status.get());
                        exit(0);
                    }
                    case STOP -> {
                        stopRequester = true;
                        LOG.info("attach session {}: stop requested: stopping the framework", id);
                        stop.run();
                        // EXIT comes from close(), once the socket file is gone; wait for it
                        drain(in);
                    }
                    case SHELL, COMMAND -> run(hello, in);
                }
            } catch (IOException e) {
                if (!closed) {
                    LOG.info("attach session {}: connection lost ({})", id, ErrorLines.oneLine(e));
                }
                ShellHost.Session s = session;
                if (s != null) {
                    s.hangUp();
                }
            } finally {
                connections.remove(this);
                LOG.info("attach session {}: closed", id);
            }
        }

        private void run(AttachFrames.Hello hello, InputStream in) throws IOException {
            if (shells == null) {
                fail("this runtime has no shell (bundle/ lacks org.apache.felix.gogo.jline or org.jline)");
                return;
            }
            ShellHost.Session s = hello.mode() == AttachFrames.Mode.SHELL
                    ? shells.interactive(hello.terminalType(), hello.columns(), hello.rows(),
                            new AttachFrames.FrameOutput(out, AttachFrames.OUT))
                    : shells.command(hello.command(), new AttachFrames.FrameOutput(out, AttachFrames.OUT),
                            new AttachFrames.FrameOutput(out, AttachFrames.ERR));
            session = s;
            if (hello.mode() == AttachFrames.Mode.SHELL) {
                // raw on the client's side: the line ends as a terminal needs them
                text(AttachFrames.OUT, "protosw: attached to the runtime of " + socket.getParent() + " (pid "
                        + ProcessHandle.current().pid() + "); 'exit' or Ctrl-D leaves, the runtime keeps running\r");
            }
            // not interrupted ever: an interrupt would close the channel
            Thread.ofPlatform().daemon().name("protosw-attach-" + id + "-in").start(() -> pump(in, s));
            int code;
            try {
                code = s.run();
            } catch (InterruptedException | java.util.concurrent.CancellationException e) {
                // Ctrl-C: Gogo cancels the job; as a shell, 128 + SIGINT
                LOG.info("attach session {}: '{}' interrupted", id, hello.command());
                err("protosw: interrupted");
                code = INTERRUPTED;
            } catch (Exception e) {
                LOG.info("attach session {}: '{}' failed", id, hello.command(), e);
                err(ErrorLines.commandFailure(e, "gogo: "));
                code = 1;
            }
            exit(code);
        }

        /** Client frames while the session runs: keys, window size, signals. */
        private void pump(InputStream in, ShellHost.Session s) {
            try {
                AttachFrames.Frame frame;
                while ((frame = AttachFrames.read(in)) != null) {
                    switch (frame.type()) {
                        case AttachFrames.INPUT -> s.input(frame.payload(), 0, frame.payload().length);
                        case AttachFrames.WINCH -> {
                            int[] size = frame.size();
                            s.resize(size[0], size[1]);
                        }
                        case AttachFrames.SIGNAL -> {
                            if (frame.intValue() == AttachFrames.SIGINT) {
                                s.interrupt();
                            }
                        }
                        default -> LOG.debug("attach session {}: frame '{}' ignored", id, (char) frame.type());
                    }
                }
            } catch (IOException e) {
                LOG.debug("attach session {}: input ended", id, e);
            }
            if (!exited) {
                // the client went away (or closed its end): end what it started
                s.hangUp();
            }
        }

        private static void drain(InputStream in) throws IOException {
            while (AttachFrames.read(in) != null) {
                // a stop session sends nothing more; wait for the runtime to close it
            }
        }

        private boolean peerAllowed() {
            try {
                UnixDomainPrincipal peer = channel.getOption(ExtendedSocketOptions.SO_PEERCRED);
                String user = peer.user().getName();
                if (user.equals(owner.getName()) || user.equals("root")) {
                    return true;
                }
                LOG.warn("attach session {}: refused user {} (the runtime runs as {})", id, user, owner.getName());
                return false;
            } catch (IOException | UnsupportedOperationException e) {
                // the 0600 mode of the socket file is the check on systems without peer credentials
                return true;
            }
        }

        /** The runtime is stopping: the client hears it, its session ends. */
        void end() {
            try {
                if (!stopRequester) {
                    err("protosw: the runtime is stopping; session closed");
                }
                exit(stopRequester ? 0 : 1);
            } catch (IOException e) {
                LOG.debug("attach session {}: gone before the end", id, e);
            }
            ShellHost.Session s = session;
            if (s != null) {
                s.hangUp();
            }
            try {
                channel.close();
            } catch (IOException e) {
                LOG.debug("attach session {}: closing", id, e);
            }
        }

        private void fail(String message) throws IOException {
            err("protosw: " + message);
            exit(1);
        }

        private void err(String line) throws IOException {
            text(AttachFrames.ERR, line);
        }

        private void text(byte type, String text) throws IOException {
            byte[] bytes = (text.endsWith("\n") ? text : text + "\n").getBytes(StandardCharsets.UTF_8);
            send(type, bytes);
        }

        /** The last frame; returns once it and everything before it are written. */
        private void exit(int code) {
            synchronized (this) {
                if (exited) {
                    return;
                }
                exited = true;
            }
            out.finish(AttachFrames.EXIT, AttachFrames.intPayload(code));
        }

        private void send(byte type, byte[] payload) throws IOException {
            if (!exited) {
                out.send(type, payload, 0, payload.length);
            }
        }
    }

    /** {@code protosw status}'s text for a runtime started at {@code started}. */
    static String uptime(Instant started) {
        Duration up = Duration.between(started, Instant.now());
        long s = up.toSeconds();
        return String.format("%dd %02d:%02d:%02d", s / 86400, s / 3600 % 24, s / 60 % 60, s % 60);
    }
}
