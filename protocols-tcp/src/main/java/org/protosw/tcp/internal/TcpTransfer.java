package org.protosw.tcp.internal;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.protosw.socket.Errno;
import org.protosw.socket.SocketException;
import org.protosw.spi.Pcb;
import org.protosw.spi.ProtoSocket;
import org.protosw.spi.Snapshot;

/**
 * TCP's state across a live upgrade, format {@value #FORMAT} version {@value #VERSION}.
 *
 * <p>Per pcb: the whole control block ({@link TcpCbTransfer}): sequence space, windows and
 * scales, timestamps and the clock offset, RTT estimators, every timer's time left, the
 * congestion algorithm with its own data, the SACK scoreboard, D-SACK undo state and the
 * out-of-order queue. The send buffer (unacknowledged and unsent bytes), the receive buffer
 * and the listen queue belong to the socket, which the core keeps.
 *
 * <p>Per instance: the connections that outlived their sockets (closing, TIME_WAIT) with
 * the send bytes they still owe, the SYN cache with its hash key and cookie secrets, the
 * ISN and timestamp-offset secrets, the host cache and the counters. The instance's state
 * is imported before its pcbs, so a listener's port is found taken only by TIME_WAIT entries,
 * which a listener may share.
 */
final class TcpTransfer {
    static final String FORMAT = "org.protosw.tcp";
    static final int VERSION = 1;

    private TcpTransfer() {
    }

    static Snapshot exportPcb(Pcb pcb) throws SocketException {
        TcpCb tp = tcpcb(pcb);
        tp.lock.lock();
        try {
            Map<String, Object> m = TcpCbTransfer.export(tp);
            // the core detaches it next: an exported detach, which tells the peer nothing
            tp.flags |= TcpCb.F_EXPORTED;
            return new Snapshot(FORMAT, VERSION, m);
        } finally {
            tp.lock.unlock();
        }
    }

    /**
     * The resets the core sends if the upgrade fails after this export (the next revision is
     * then not there to answer for these connections): for every synchronized connection, and
     * a handshake that got as far as SYN_RECEIVED, a RST carrying SND.MAX and acknowledging
     * RCV.NXT, and a second at SND.UNA when data are in flight, so that a peer which checks
     * for the exact RCV.NXT (RFC 5961 §3) accepts one of them whatever of the flight it got.
     * TIME_WAIT and connections not yet synchronized need nothing: the peer's next segment
     * finds no connection and is answered then.
     */
    static List<org.protosw.spi.PeerNotice> peerNotices(TcpProtocol tcp) {
        List<org.protosw.spi.PeerNotice> out = new ArrayList<>();
        for (var inp : tcp.table().list()) {
            TcpCb tp = inp.owner();
            if (tp == null) {
                continue;
            }
            tp.lock.lock();
            try {
                TcpState st = tp.state;
                if (!st.haveRcvdSyn() || st == TcpState.TIME_WAIT || tp.faddr == 0) {
                    continue;
                }
                out.add(reset(tp, tp.sndMax));
                if (tp.sndUna != tp.sndMax) {
                    out.add(reset(tp, tp.sndUna));
                }
            } finally {
                tp.lock.unlock();
            }
        }
        return out;
    }

    private static org.protosw.spi.PeerNotice reset(TcpCb tp, int seq) {
        byte[] seg = new byte[org.protosw.wire.TcpHeader.MIN_LENGTH];
        org.protosw.wire.TcpHeader th = new org.protosw.wire.TcpHeader(seg, 0, seg.length);
        th.setSrcPort(tp.lport).setDstPort(tp.fport).setSeq(seq).setAck(tp.rcvNxt).setHeaderLength(seg.length)
                .setFlags(org.protosw.wire.TcpHeader.RST | org.protosw.wire.TcpHeader.ACK).setWindow(0).setUrgentPointer(0)
                .setChecksum(0);
        th.fillChecksum(tp.laddr, tp.faddr);
        return new org.protosw.spi.PeerNotice(tp.laddr, tp.faddr, org.protosw.socket.SocketConstants.IPPROTO_TCP, seg);
    }

    static Snapshot exportProtocol(TcpProtocol tcp) {
        Map<String, Object> m = new LinkedHashMap<>();
        List<Object> orphans = new ArrayList<>();
        for (var inp : tcp.table().list()) {
            TcpCb tp = inp.owner();
            if (tp == null) {
                continue;
            }
            tp.lock.lock();
            try {
                if ((tp.flags & TcpCb.F_DETACHED) == 0 || tp.state == TcpState.CLOSED
                        || (tp.flags & TcpCb.F_EXPORTED) != 0) {
                    continue;
                }
                Map<String, Object> o = TcpCbTransfer.export(tp);
                if (tp.snd != null) {
                    byte[] bytes = new byte[tp.snd.cc()];
                    tp.snd.copyOut(0, bytes, 0, bytes.length);
                    o.put("sndHiwat", tp.snd.hiwat());
                    o.put("sndBytes", bytes);
                }
                orphans.add(o);
                // the protocol's destroy then lets it go without a RST: it lives on
                tp.flags |= TcpCb.F_EXPORTED;
            } finally {
                tp.lock.unlock();
            }
        }
        m.put("orphans", orphans);
        m.put("syncache", tcp.synCache().exportState());
        m.put("isn", tcp.isn().exportState());
        m.put("hostcache", tcp.hostCache().exportState());
        m.put("stats", tcp.stats().exportState());
        return new Snapshot(FORMAT, VERSION, m);
    }

    static void importProtocol(TcpProtocol tcp, Snapshot s) throws SocketException {
        check(s);
        Map<String, Object> m = s.state();
        tcp.isn().restore(m, "isn");
        tcp.hostCache().restore(list(m, "hostcache"));
        tcp.stats().restore(map(m, "stats"));
        for (Map<String, Object> o : maps(m, "orphans")) {
            TcpCb.restoreOrphan(tcp, o);
        }
        tcp.synCache().restore(map(m, "syncache"));
    }

    static Pcb importPcb(TcpProtocol tcp, ProtoSocket so, Snapshot s) throws SocketException {
        check(s);
        return TcpCb.restore(tcp, so, s.state());
    }

    private static TcpCb tcpcb(Pcb pcb) throws SocketException {
        if (pcb instanceof TcpCb tp) {
            return tp;
        }
        throw new SocketException(Errno.EINVAL, "not a TCP pcb of this revision: " + pcb);
    }

    private static void check(Snapshot s) throws SocketException {
        if (!FORMAT.equals(s.format()) || s.version() != VERSION) {
            throw new SocketException(Errno.EPROTONOSUPPORT, "this TCP reads " + FORMAT + " version " + VERSION + ", not "
                    + s.format() + " version " + s.version());
        }
    }

    /** Sequence ranges (SACK scoreboard, D-SACK undo) as two lists of edges. */
    static void putRanges(Map<String, Object> m, int[] left, int[] right, int count) {
        m.put("left", java.util.Arrays.stream(left, 0, count).boxed().toList());
        m.put("right", java.util.Arrays.stream(right, 0, count).boxed().toList());
    }

    /** Reads what {@link #putRanges} wrote into {@code left} and {@code right}; returns the count. */
    static int takeRanges(Map<String, Object> m, int[] left, int[] right, String what) throws SocketException {
        int[] l = ints(m, "left");
        int[] r = ints(m, "right");
        if (l.length != r.length || l.length > left.length) {
            throw bad(what + " of " + l.length + " and " + r.length + " edges");
        }
        System.arraycopy(l, 0, left, 0, l.length);
        System.arraycopy(r, 0, right, 0, r.length);
        return l.length;
    }

    // ---- reading a snapshot: each value checked, a wrong one named -------------------------

    static SocketException bad(String what) {
        return new SocketException(Errno.EINVAL, "TCP snapshot: bad " + what);
    }

    static int integer(Map<String, Object> m, String key) throws SocketException {
        if (m.get(key) instanceof Integer i) {
            return i;
        }
        throw bad(key + " (" + m.get(key) + ", not an integer)");
    }

    static long longValue(Map<String, Object> m, String key) throws SocketException {
        if (m.get(key) instanceof Long l) {
            return l;
        }
        throw bad(key + " (" + m.get(key) + ", not a long)");
    }

    static boolean bool(Map<String, Object> m, String key) throws SocketException {
        if (m.get(key) instanceof Boolean b) {
            return b;
        }
        throw bad(key + " (" + m.get(key) + ", not a boolean)");
    }

    static String string(Map<String, Object> m, String key) throws SocketException {
        if (m.get(key) instanceof String s) {
            return s;
        }
        throw bad(key + " (" + m.get(key) + ", not a string)");
    }

    static byte[] bytes(Map<String, Object> m, String key) throws SocketException {
        if (m.get(key) instanceof byte[] b) {
            return b;
        }
        throw bad(key + " (not bytes)");
    }

    static int[] ints(Map<String, Object> m, String key) throws SocketException {
        if (m.get(key) instanceof int[] a) {
            return a.clone();
        }
        List<?> l = list(m, key);
        int[] a = new int[l.size()];
        for (int i = 0; i < a.length; i++) {
            if (!(l.get(i) instanceof Integer v)) {
                throw bad(key + "[" + i + "] (" + l.get(i) + ")");
            }
            a[i] = v;
        }
        return a;
    }

    static long[] longs(Map<String, Object> m, String key, int n) throws SocketException {
        List<?> l = list(m, key);
        if (l.size() != n) {
            throw bad(key + " (" + l.size() + " values, not " + n + ")");
        }
        long[] a = new long[n];
        for (int i = 0; i < n; i++) {
            if (!(l.get(i) instanceof Long v)) {
                throw bad(key + "[" + i + "] (" + l.get(i) + ")");
            }
            a[i] = v;
        }
        return a;
    }

    static List<?> list(Map<String, Object> m, String key) throws SocketException {
        if (m.get(key) instanceof List<?> l) {
            return l;
        }
        throw bad(key + " (not a list)");
    }

    @SuppressWarnings("unchecked")
    static Map<String, Object> map(Map<String, Object> m, String key) throws SocketException {
        if (m.get(key) instanceof Map<?, ?> v) {
            return (Map<String, Object>) v;
        }
        throw bad(key + " (not a map)");
    }

    @SuppressWarnings("unchecked")
    static List<Map<String, Object>> maps(Map<String, Object> m, String key) throws SocketException {
        List<Map<String, Object>> out = new ArrayList<>();
        for (Object o : list(m, key)) {
            if (!(o instanceof Map<?, ?> v)) {
                throw bad(key + " entry (not a map)");
            }
            out.add((Map<String, Object>) v);
        }
        return out;
    }
}
