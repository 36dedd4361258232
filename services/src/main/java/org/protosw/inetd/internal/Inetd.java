package org.protosw.inetd.internal;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentSkipListMap;

import org.protosw.inetd.internal.http.FileServer;
import org.protosw.inetd.internal.http.HttpHandler;
import org.protosw.socket.NetStack;
import org.protosw.socket.SocketException;

/**
 * The running services, by name ({@code echo-udp-7}, {@code http-tcp-8080@b} in a vnet other
 * than the default). Starting and stopping are serialised; the services themselves run on
 * their own threads.
 */
public final class Inetd {
    private final Map<String, InetService> services = new ConcurrentSkipListMap<>();

    /** Starts a service; the name it runs under is in the result. */
    public synchronized InetService start(NetStack stack, ServiceKind kind, String transport, int port, Path root) {
        String name = kind.label() + "-" + transport + "-" + port + (stack.name().equals(NetStack.DEFAULT_VNET) ? "" : "@" + stack.name());
        if (services.containsKey(name)) {
            throw new InetdException("inetd: " + name + " already runs (stop it first: inetd stop " + name + ")");
        }
        String what = kind.label() + " " + transport + " on port " + port + " in vnet " + stack.name();
        InetService s;
        try {
            if (transport.equals("udp")) {
                s = DatagramService.start(name, kind, stack, port);
            } else {
                StreamHandler h = switch (kind) {
                    case ECHO -> StreamHandler::echo;
                    case DISCARD -> StreamHandler::discard;
                    case CHARGEN -> StreamHandler::chargen;
                    case HTTP -> new HttpHandler(fileServer(root));
                };
                s = StreamService.start(name, kind, stack, port, root, h);
            }
        } catch (SocketException e) {
            throw new InetdException("inetd: cannot start " + what + ": " + reason(e, transport));
        }
        services.put(name, s);
        return s;
    }

    private static FileServer fileServer(Path root) {
        try {
            return new FileServer(root, Clock.systemUTC());
        } catch (IOException e) {
            throw new InetdException("inetd: cannot serve " + root + ": " + e.getMessage());
        }
    }

    static String reason(SocketException e, String transport) {
        return switch (e.errno()) {
            case EPROTONOSUPPORT, ESOCKTNOSUPPORT -> "no " + transport.toUpperCase(java.util.Locale.ROOT)
                    + " protocol is loaded (" + e.errno().name() + "); start the " + transport.toUpperCase(java.util.Locale.ROOT)
                    + " bundle first";
            case EADDRINUSE -> "the port is in use (" + e.errno().name() + ")";
            default -> e.getMessage() != null ? e.getMessage() : e.errno().text();
        };
    }

    public synchronized void stop(String name) {
        InetService s = services.remove(name);
        if (s == null) {
            throw new InetdException("inetd: no service named " + name + " (running: "
                    + (services.isEmpty() ? "none" : String.join(", ", services.keySet())) + ")");
        }
        s.stop();
    }

    /** Stops the services of one vnet (it went away). */
    public synchronized void stopVnet(String vnet) {
        for (InetService s : List.copyOf(services.values())) {
            if (s.stack().name().equals(vnet)) {
                services.remove(s.name());
                s.stop();
            }
        }
    }

    public synchronized void stopAll() {
        List<InetService> all = new ArrayList<>(services.values());
        services.clear();
        for (InetService s : all) {
            s.stop();
        }
    }

    public List<InetService> list() {
        return List.copyOf(services.values());
    }
}
