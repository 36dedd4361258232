package org.protosw.inetd.internal;

import java.nio.file.Path;

import org.protosw.socket.NetStack;

/**
 * A running service: a listening or bound socket of the stack and the thread(s) serving
 * it. {@link #stop} closes every socket it opened and returns once its threads left (bounded).
 */
public abstract sealed class InetService permits DatagramService, StreamService {
    private final String name;
    private final ServiceKind kind;
    private final NetStack stack;
    private final int port;
    private final Path root;
    private final ServiceStats stats = new ServiceStats();

    InetService(String name, ServiceKind kind, NetStack stack, int port, Path root) {
        this.name = name;
        this.kind = kind;
        this.stack = stack;
        this.port = port;
        this.root = root;
    }

    public String name() {
        return name;
    }

    public ServiceKind kind() {
        return kind;
    }

    public NetStack stack() {
        return stack;
    }

    public int port() {
        return port;
    }

    /** The HTTP server's root folder, or null. */
    public Path root() {
        return root;
    }

    public ServiceStats stats() {
        return stats;
    }

    /** "tcp" or "udp". */
    public abstract String transport();

    /** Open connections now (stream services; 0 for datagram ones). */
    public abstract int activeConnections();

    public abstract void stop();
}
