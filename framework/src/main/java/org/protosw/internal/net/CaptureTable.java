package org.protosw.internal.net;

import java.io.IOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.protosw.socket.Errno;
import org.protosw.socket.SocketException;

/**
 * The packet captures of one stack instance ({@code net:capture start|stop|list}).
 *
 * <p>One capture per interface at a time, as the interface has one tap: a second start on
 * the same interface fails with EBUSY (stop the first, or capture both directions in one).
 * Finished captures stay listed (the most recent {@value #KEEP_FINISHED}) until stopped by
 * id, so their counts can still be read.
 */
public final class CaptureTable implements AutoCloseable {
    public static final int KEEP_FINISHED = 32;

    private final Map<Integer, Capture> captures = new LinkedHashMap<>();
    private int nextId = 1;
    private boolean closed;

    /**
     * Starts capturing on {@code ifp} into {@code file} (created or truncated).
     *
     * @param snaplen    bytes kept of each packet, 1 to 65535, or 0 for 65535
     * @param maxPackets stop after this many packets, 0 for no limit
     * @param direction  {@code in}, {@code out}, {@code both}; null for both
     * @return the capture's id
     */
    public synchronized int start(NetInterface ifp, Path file, int snaplen, long maxPackets, String direction)
            throws SocketException {
        if (closed) {
            throw new SocketException(Errno.EINVAL, "capture table is closed");
        }
        if (snaplen < 0 || snaplen > PcapWriter.DEFAULT_SNAPLEN) {
            throw new SocketException(Errno.EINVAL, "snaplen " + snaplen + " out of range (accepted: 1 to 65535, or 0 for 65535)");
        }
        if (maxPackets < 0) {
            throw new SocketException(Errno.EINVAL, "packet count " + maxPackets + " is negative (accepted: 0 for no limit, or more)");
        }
        Capture.Direction dir;
        try {
            dir = Capture.Direction.parse(direction);
        } catch (IllegalArgumentException e) {
            throw new SocketException(Errno.EINVAL, e.getMessage());
        }
        PacketTap cur = ifp.captureTap();
        if (cur != null) {
            String who = cur instanceof Capture c ? "capture " + c.id() : "another tap";
            throw new SocketException(Errno.EBUSY, who + " already runs on " + ifp.name() + " (stop it first)");
        }
        PcapWriter w;
        try {
            w = PcapWriter.create(file, snaplen == 0 ? PcapWriter.DEFAULT_SNAPLEN : snaplen);
        } catch (IOException e) {
            throw new SocketException(errnoOf(e), "cannot write capture file " + file + ": " + e.getMessage(), e);
        }
        int id = nextId++;
        Capture c = new Capture(id, ifp, file, dir, maxPackets, w);
        captures.put(id, c);
        ifp.setCaptureTap(c);
        pruneFinished();
        return id;
    }

    /** Stops capture {@code id} (if it still runs), forgets it and returns its last counts; ENOENT if unknown. */
    public synchronized CaptureInfo stop(int id) throws SocketException {
        Capture c = captures.remove(id);
        if (c == null) {
            throw new SocketException(Errno.ENOENT, "no capture " + id);
        }
        c.stop();
        return c.info();
    }

    /** Stops the capture running on interface {@code ifname}; ENOENT if none runs there. */
    public synchronized CaptureInfo stop(String ifname) throws SocketException {
        for (Capture c : captures.values()) {
            if (c.state() == Capture.State.RUNNING && c.ifp().name().equals(ifname)) {
                return stop(c.id());
            }
        }
        throw new SocketException(Errno.ENOENT, "no capture runs on " + ifname);
    }

    /** Running and recently finished captures, by id. */
    public synchronized List<CaptureInfo> list() {
        List<CaptureInfo> l = new ArrayList<>(captures.size());
        for (Capture c : captures.values()) {
            l.add(c.info());
        }
        return l;
    }

    /** Stops every capture and closes the files. */
    @Override
    public synchronized void close() {
        closed = true;
        for (Capture c : captures.values()) {
            c.stop();
        }
        captures.clear();
    }

    private void pruneFinished() {
        int finished = 0;
        for (Capture c : captures.values()) {
            if (c.state() != Capture.State.RUNNING) {
                finished++;
            }
        }
        for (Iterator<Capture> it = captures.values().iterator(); it.hasNext() && finished > KEEP_FINISHED;) {
            if (it.next().state() != Capture.State.RUNNING) {
                it.remove();
                finished--;
            }
        }
    }

    private static Errno errnoOf(IOException e) {
        if (e instanceof NoSuchFileException) {
            return Errno.ENOENT;
        }
        if (e instanceof AccessDeniedException) {
            return Errno.EACCES;
        }
        return Errno.EIO;
    }
}
