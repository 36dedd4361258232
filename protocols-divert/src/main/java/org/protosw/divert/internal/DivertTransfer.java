package org.protosw.divert.internal;

import java.util.List;
import java.util.Map;

import org.protosw.socket.Errno;
import org.protosw.socket.SocketException;
import org.protosw.spi.Pcb;
import org.protosw.spi.ProtoSocket;
import org.protosw.spi.Protocol;
import org.protosw.spi.Snapshot;

/**
 * Divert's state across a live upgrade, format {@value #FORMAT} version {@value #VERSION}.
 *
 * <p>Per pcb: its divert port and whether it was closed or aborted already
 * ({@link DivertPcb#exportState}). The diverted packets queued for the application are in
 * the socket's receive buffer, which the core keeps: they hold only core objects (the packet,
 * the {@code InetSockAddr} with the rule number, the interface name), nothing of this bundle.
 *
 * <p>Per instance ({@link DivertProtocol#exportState}): the counters of {@code netstat -s -p
 * divert}, the send and receive space of new sockets, the time of the last internal-error
 * log line, and each rule's packet and byte counters (the rules themselves are in the
 * {@link RuleStore}, Configuration Admin in OSGi, and come back from there). A
 * {@link DivertTag} never outlives the {@code pfil.reinject} call that carries it (the
 * divert hook takes it off synchronously, and sends wait at the gate during an upgrade), so
 * there is no tag state to carry.
 */
final class DivertTransfer {
    static final String FORMAT = "org.protosw.divert";
    static final int VERSION = 1;

    private DivertTransfer() {
    }

    static Snapshot exportPcb(Pcb pcb) throws SocketException {
        return new Snapshot(FORMAT, VERSION, divertPcb(pcb).exportState());
    }

    static Snapshot exportProtocol(Protocol p) throws SocketException {
        return new Snapshot(FORMAT, VERSION, divert(p).exportState());
    }

    static void importProtocol(Protocol p, Snapshot s) throws SocketException {
        check(s);
        divert(p).importState(s.state());
    }

    static Pcb importPcb(Protocol p, ProtoSocket so, Snapshot s) throws SocketException {
        check(s);
        return DivertPcb.restore(divert(p), so, s.state());
    }

    private static DivertPcb divertPcb(Pcb pcb) throws SocketException {
        if (pcb instanceof DivertPcb d) {
            return d;
        }
        throw new SocketException(Errno.EINVAL, "not a divert pcb of this revision: " + pcb);
    }

    private static DivertProtocol divert(Protocol p) throws SocketException {
        if (p instanceof DivertProtocol d) {
            return d;
        }
        throw new SocketException(Errno.EINVAL, "not a divert instance of this revision: " + p);
    }

    private static void check(Snapshot s) throws SocketException {
        if (!FORMAT.equals(s.format()) || s.version() != VERSION) {
            throw new SocketException(Errno.EPROTONOSUPPORT, "this divert reads " + FORMAT + " version " + VERSION + ", not "
                    + s.format() + " version " + s.version());
        }
    }

    // ---- reading a snapshot: each value checked, a wrong one named -------------------------

    static SocketException bad(String what) {
        return new SocketException(Errno.EINVAL, "divert snapshot: bad " + what);
    }

    private static String path(String where, String key) {
        return where == null ? key : where + "." + key;
    }

    static int integer(Map<String, Object> m, String key, String where) throws SocketException {
        if (m.get(key) instanceof Integer i) {
            return i;
        }
        throw bad(path(where, key) + " (" + m.get(key) + ", not an integer)");
    }

    static long longValue(Map<String, Object> m, String key, String where) throws SocketException {
        if (m.get(key) instanceof Long l) {
            return l;
        }
        throw bad(path(where, key) + " (" + m.get(key) + ", not a long)");
    }

    static boolean bool(Map<String, Object> m, String key, String where) throws SocketException {
        if (m.get(key) instanceof Boolean b) {
            return b;
        }
        throw bad(path(where, key) + " (" + m.get(key) + ", not a boolean)");
    }

    static String string(Map<String, Object> m, String key, String where) throws SocketException {
        if (m.get(key) instanceof String s) {
            return s;
        }
        throw bad(path(where, key) + " (" + m.get(key) + ", not a string)");
    }

    static List<?> list(Map<String, Object> m, String key, String where) throws SocketException {
        if (m.get(key) instanceof List<?> l) {
            return l;
        }
        throw bad(path(where, key) + " (not a list)");
    }

    @SuppressWarnings("unchecked")
    static Map<String, Object> map(Map<String, Object> m, String key, String where) throws SocketException {
        if (m.get(key) instanceof Map<?, ?> v) {
            return (Map<String, Object>) v;
        }
        throw bad(path(where, key) + " (not a map)");
    }

    /** Element {@code i} of {@code l} as a map, named {@code what[i]} when it is not one. */
    @SuppressWarnings("unchecked")
    static Map<String, Object> element(List<?> l, int i, String what) throws SocketException {
        if (l.get(i) instanceof Map<?, ?> v) {
            return (Map<String, Object>) v;
        }
        throw bad(what + "[" + i + "] (" + l.get(i) + ", not a map)");
    }
}
