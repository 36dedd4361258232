package org.protosw.inetd.internal;

import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

import org.protosw.socket.Errno;
import org.protosw.socket.NetStack;
import org.protosw.socket.Socket;
import org.protosw.socket.SocketException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A running service: a listening or bound socket of the stack and the thread(s) serving
 * it. {@link #stop} closes every socket it opened and returns once its threads left (bounded).
 *
 * <p>A service is supervised, as inetd's children are by a service manager: when the stack
 * aborts its socket because the protocol went away (unloaded, drained, replaced), the service
 * does not end but waits for the protocol to return and then opens its socket again
 * ({@link #reopen}). The application API has no event for "protocol back", so it retries with
 * a backoff, as systemd's {@code Restart=} does; the first try comes quickly because a bundle
 * update brings the protocol back within milliseconds.
 */
public abstract sealed class InetService permits DatagramService, StreamService {
    private final String name;
    private final ServiceKind kind;
    private final NetStack stack;
    private final int port;
    private final Path root;
    private final ServiceStats stats = new ServiceStats();
    private final CountDownLatch stopSignal = new CountDownLatch(1);
    private volatile boolean stopping;
    /** Non-null while the protocol is gone and the service waits for it. */
    private volatile String waitingFor;

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

    /** "serving", or what the service waits for. */
    public String state() {
        String w = waitingFor;
        return w == null ? "serving" : "waiting for " + w;
    }

    final boolean stopping() {
        return stopping;
    }

    /** The first step of every {@link #stop}: wakes a {@link #reopen} that waits. */
    final void markStopping() {
        stopping = true;
        stopSignal.countDown();
    }

    /** Opens the service's socket again (bound, listening where it listens). */
    @FunctionalInterface
    interface SocketOpener {
        Socket open() throws SocketException;
    }

    private static final Logger LOG = LoggerFactory.getLogger(InetService.class);
    private static final long FIRST_RETRY_MS = 20;
    private static final long MAX_RETRY_MS = 1000;

    /**
     * Waits until the protocol the aborted socket belonged to serves again, opens the service's
     * new socket and hands it to {@code publish}. False once the service stops, whether while
     * it waited or just as the new socket was published ({@link #stop} may have closed the old
     * one a moment before: the new one is then closed here). Logs one line when it starts
     * waiting, one for a reason to wait that is not the protocol's absence (a port taken
     * meanwhile), and one when it serves again.
     */
    final boolean reopen(SocketOpener opener, SocketException why, Consumer<Socket> publish) {
        Socket so = awaitProtocol(opener, why);
        if (so == null) {
            return false;
        }
        publish.accept(so);
        if (stopping) {
            so.close();
            return false;
        }
        return true;
    }

    private Socket awaitProtocol(SocketOpener opener, SocketException why) {
        String proto = transport().toUpperCase(Locale.ROOT);
        LOG.warn("inetd {}: {} went away ({}); waiting for it to return", name, proto, why.getMessage());
        waitingFor = transport();
        long started = System.nanoTime();
        long delay = FIRST_RETRY_MS;
        Errno lastOther = null;
        try {
            while (!stopSignal.await(delay, TimeUnit.MILLISECONDS)) {
                try {
                    Socket so = opener.open();
                    LOG.info("inetd {}: {} is back, serving on port {} again after {} ms", name, proto, port,
                            TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started));
                    waitingFor = null;
                    return so;
                } catch (SocketException e) {
                    if (!protocolAbsent(e.errno()) && e.errno() != lastOther) {
                        lastOther = e.errno();
                        LOG.warn("inetd {}: {} is back but the service cannot open its socket yet: {}", name, proto,
                                Inetd.reason(e, transport()));
                    }
                }
                delay = Math.min(delay * 2, MAX_RETRY_MS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return null;
    }

    /** What socket() and its first calls answer while no protocol serves the socket type. */
    private static boolean protocolAbsent(Errno e) {
        return e == Errno.EPROTONOSUPPORT || e == Errno.ESOCKTNOSUPPORT || e == Errno.ECONNABORTED;
    }

    /** Whether a failed call means the stack aborted the socket (its protocol went away). */
    static boolean abortedUnder(Socket so, SocketException e) {
        return e.errno() == Errno.ECONNABORTED && so.isClosed();
    }
}
