package org.protosw.inetd.internal;

import static org.protosw.socket.SocketConstants.AF_INET;
import static org.protosw.socket.SocketConstants.IPPROTO_TCP;
import static org.protosw.socket.SocketConstants.SOCK_STREAM;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

import org.protosw.socket.Errno;
import org.protosw.socket.InAddr;
import org.protosw.socket.InetSockAddr;
import org.protosw.socket.NetStack;
import org.protosw.socket.SockOpt;
import org.protosw.socket.Socket;
import org.protosw.socket.SocketException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A stream service: a listening socket, an accept loop, and one virtual thread per
 * connection running the handler. {@link #stop} closes the listener and every open
 * connection, which wakes their threads, and waits (bounded) for them to leave.
 */
public final class StreamService extends InetService {
    private static final Logger LOG = LoggerFactory.getLogger(StreamService.class);
    /** listen(2)'s -1: as long a queue as kern.ipc.somaxconn allows, as FreeBSD's inetd asks. */
    private static final int BACKLOG = -1;
    private static final long JOIN_MS = 5000;

    private volatile Socket listener;
    private final StreamHandler handler;
    private final Set<Socket> open = ConcurrentHashMap.newKeySet();
    private final Set<Thread> threads = ConcurrentHashMap.newKeySet();
    private final Thread acceptor;

    private StreamService(String name, ServiceKind kind, NetStack stack, int port, Path root, Socket listener, StreamHandler handler) {
        super(name, kind, stack, port, root);
        this.listener = listener;
        this.handler = handler;
        this.acceptor = Thread.ofVirtual().name("inetd-" + name).unstarted(this::acceptLoop);
    }

    static StreamService start(String name, ServiceKind kind, NetStack stack, int port, Path root, StreamHandler handler)
            throws SocketException {
        StreamService s = new StreamService(name, kind, stack, port, root, listen(stack, port), handler);
        s.acceptor.start();
        return s;
    }

    private static Socket listen(NetStack stack, int port) throws SocketException {
        Socket so = stack.socket(AF_INET, SOCK_STREAM, IPPROTO_TCP);
        try {
            so.setOption(SockOpt.SO_REUSEADDR, true);
            so.bind(new InetSockAddr(InAddr.ANY, port));
            so.listen(BACKLOG);
        } catch (SocketException e) {
            so.close();
            throw e;
        }
        return so;
    }

    @Override
    public String transport() {
        return "tcp";
    }

    @Override
    public int activeConnections() {
        return open.size();
    }

    private void acceptLoop() {
        while (!stopping()) {
            Socket c;
            Socket l = listener;
            try {
                c = l.accept();
            } catch (SocketException e) {
                if (stopping()) {
                    return;
                }
                if (abortedUnder(l, e)) {
                    l.close();
                    if (!reopen(() -> listen(stack(), port()), e, so -> listener = so)) {
                        return;
                    }
                    continue;
                }
                if (e.errno() == Errno.ECONNABORTED) {
                    // a connection reset while it waited on the queue: take the next
                    stats().errors.increment();
                    continue;
                }
                LOG.warn("inetd {}: accept failed, the service stops: {}", name(), e.getMessage());
                return;
            }
            stats().sessions.increment();
            open.add(c);
            Thread t = Thread.ofVirtual().name("inetd-" + name() + "-conn").unstarted(() -> serve(c));
            threads.add(t);
            t.start();
            if (stopping()) {
                c.close();
            }
        }
    }

    private void serve(Socket c) {
        try {
            handler.serve(c, stats());
        } catch (IOException e) {
            // the peer went away (reset, closed while we sent) or the service stops
            if (!stopping() && !(e instanceof SocketException se && (se.errno() == Errno.EPIPE || se.errno() == Errno.ECONNRESET))) {
                stats().errors.increment();
            }
        } catch (RuntimeException e) {
            stats().errors.increment();
            LOG.warn("inetd {}: a connection failed", name(), e);
        } finally {
            c.close();
            open.remove(c);
            threads.remove(Thread.currentThread());
        }
    }

    @Override
    public void stop() {
        markStopping();
        listener.close();
        for (Socket c : open) {
            c.close();
        }
        long deadline = System.nanoTime() + JOIN_MS * 1_000_000;
        try {
            acceptor.join(JOIN_MS);
            for (Thread t : threads) {
                long left = (deadline - System.nanoTime()) / 1_000_000;
                if (left <= 0) {
                    break;
                }
                t.join(left);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
