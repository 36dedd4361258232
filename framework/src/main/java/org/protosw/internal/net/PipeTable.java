package org.protosw.internal.net;

import java.util.ArrayList;
import java.util.List;
import java.util.TreeMap;

import org.protosw.socket.Errno;
import org.protosw.socket.SocketException;

/**
 * The pipes of one stack instance, by number, as {@code dnctl pipe N config|delete|show}
 * manage them, and their attachment to interface directions. Administration only: the
 * data path reaches a pipe through {@link NetInterface#pipe}, never through this table.
 */
public final class PipeTable implements AutoCloseable {
    public static final int MIN_PIPE = 1;
    public static final int MAX_PIPE = 65534;

    private final Dummynet sched;
    private final boolean ownsScheduler;
    private final TreeMap<Integer, DummynetPipe> pipes = new TreeMap<>();
    private boolean closed;

    /** A table with its own scheduler thread, {@code dummynet-<name>}. */
    public PipeTable(String name) {
        this.sched = new Dummynet(name);
        this.ownsScheduler = true;
    }

    /** A table using a scheduler shared with other instances; {@link #close} leaves it running. */
    public PipeTable(Dummynet shared) {
        this.sched = shared;
        this.ownsScheduler = false;
    }

    public Dummynet scheduler() {
        return sched;
    }

    /** Creates pipe {@code n} or reconfigures it (keeping its attachments and counters). */
    public synchronized DummynetPipe config(int n, PipeConfig c) throws SocketException {
        checkNumber(n);
        if (c == null) {
            throw new SocketException(Errno.EINVAL, "pipe " + n + ": no configuration given");
        }
        if (closed) {
            throw new SocketException(Errno.EINVAL, "pipe table is closed");
        }
        DummynetPipe p = pipes.get(n);
        if (p == null) {
            p = new DummynetPipe(n, c, sched);
            pipes.put(n, p);
        } else {
            p.configure(c);
        }
        return p;
    }

    /** Deletes pipe {@code n}, detaching it from every interface; ENOENT when absent. */
    public synchronized void delete(int n) throws SocketException {
        DummynetPipe p = pipes.remove(n);
        if (p == null) {
            throw noSuchPipe(n);
        }
        unhook(p);
    }

    /** Makes pipe {@code n} the pipe of one direction of {@code ifp}, replacing what was there. */
    public synchronized void attach(int n, NetInterface ifp, boolean inbound) throws SocketException {
        DummynetPipe p = pipes.get(n);
        if (p == null) {
            throw noSuchPipe(n);
        }
        LinkPipe old = ifp.pipe(inbound);
        if (old instanceof DummynetPipe.Port port && port.pipe() == p) {
            return;
        }
        ifp.setPipe(inbound, p.newPort(ifp, inbound));
        if (old != null) {
            old.detached(ifp);
        }
    }

    /** Removes the pipe from one direction of {@code ifp}; false when none was attached. */
    public synchronized boolean detach(NetInterface ifp, boolean inbound) {
        LinkPipe cur = ifp.pipe(inbound);
        if (cur == null) {
            return false;
        }
        ifp.setPipe(inbound, null);
        cur.detached(ifp);
        return true;
    }

    /** Pipe {@code n}, or null. */
    public synchronized DummynetPipe get(int n) {
        return pipes.get(n);
    }

    /** All pipes, by number. */
    public synchronized List<DummynetPipe> list() {
        return new ArrayList<>(pipes.values());
    }

    /** Deletes every pipe and, unless shared, stops the scheduler. */
    @Override
    public void close() {
        synchronized (this) {
            closed = true;
            for (DummynetPipe p : pipes.values()) {
                unhook(p);
            }
            pipes.clear();
        }
        if (ownsScheduler) {
            sched.close();
        }
    }

    private static void unhook(DummynetPipe p) {
        for (DummynetPipe.Port port : p.ports()) {
            NetInterface ifp = port.ifp();
            if (ifp != null && ifp.pipe(port.inbound()) == port) {
                ifp.setPipe(port.inbound(), null);
            }
        }
        p.delete();
    }

    private static void checkNumber(int n) throws SocketException {
        if (n < MIN_PIPE || n > MAX_PIPE) {
            throw new SocketException(Errno.EINVAL, "pipe number " + n + " out of range (accepted: " + MIN_PIPE + " to " + MAX_PIPE + ")");
        }
    }

    private static SocketException noSuchPipe(int n) {
        return new SocketException(Errno.ENOENT, "pipe " + n + " does not exist (dnctl pipe " + n + " config ... creates it)");
    }
}
