package org.protosw.tcp.internal;

import java.util.ArrayList;

import org.protosw.spi.Packet;
import org.protosw.wire.TcpOptions;

/**
 * The out-of-order queue of one connection ({@code tcp_reass}): payloads that arrived
 * beyond {@code rcv_nxt}, sorted by sequence number and without overlap. Only segments
 * inside the advertised window reach it, so it never holds more than the receive buffer.
 */
final class TcpReass {
    /** One queued run of bytes; {@code fin} when the peer's FIN follows its last byte. */
    static final class Seg {
        int seq;
        Packet data;
        boolean fin;

        int len() {
            return data.length();
        }

        int end() {
            return seq + data.length();
        }
    }

    private final ArrayList<Seg> segs = new ArrayList<>();
    /** The blocks other than the latest arrival's, while {@link #sackBlocks} builds its answer. */
    private final int[] otherBlocks = new int[2 * TcpOptions.MAX_SACK_BLOCKS];
    private int bytes;
    /** Sequence number of the most recently queued segment, for the first SACK block (RFC 2018). */
    private int lastSeq;
    private boolean haveLast;

    boolean isEmpty() {
        return segs.isEmpty();
    }

    int bytes() {
        return bytes;
    }

    int segments() {
        return segs.size();
    }

    /**
     * Queues {@code data} (the payload alone) starting at {@code seq}, cutting what queued
     * segments already hold. Returns the bytes newly queued (0 for a complete duplicate).
     */
    int insert(int seq, Packet data, boolean fin) {
        int len = data.length();
        int i = 0;
        while (i < segs.size() && Seq.leq(segs.get(i).seq, seq)) {
            i++;
        }
        if (i > 0) {
            Seg pred = segs.get(i - 1);
            int overlap = pred.end() - seq;
            if (overlap > 0 || (overlap == 0 && len == 0)) {
                if (overlap >= len) {
                    if (fin && pred.end() == seq + len) {
                        pred.fin = true;
                    }
                    if (len > 0) {
                        // the latest arrival, though a duplicate: its block goes first after
                        // the D-SACK (RFC 2883 §4: the larger block holding the duplicate)
                        lastSeq = seq;
                        haveLast = true;
                    }
                    return 0;
                }
                data.adj(overlap);
                seq += overlap;
                len -= overlap;
            }
        }
        while (i < segs.size()) {
            Seg next = segs.get(i);
            int end = seq + len;
            if (Seq.leq(end, next.seq)) {
                break;
            }
            if (Seq.leq(next.end(), end)) {
                if (next.fin && next.end() == end) {
                    fin = true;
                }
                segs.remove(i);
                bytes -= next.len();
                continue;
            }
            data.adj(-(end - next.seq));
            len = data.length();
            fin = false;
            break;
        }
        Seg s = new Seg();
        s.seq = seq;
        s.data = data;
        s.fin = fin;
        segs.add(i, s);
        bytes += len;
        lastSeq = seq;
        haveLast = true;
        return len;
    }

    /**
     * The first queued segment once {@code rcvNxt} reached it, with bytes before
     * {@code rcvNxt} cut off; null when there is a hole first. The segment leaves the queue.
     */
    Seg pollInOrder(int rcvNxt) {
        while (!segs.isEmpty()) {
            Seg s = segs.get(0);
            if (Seq.gt(s.seq, rcvNxt)) {
                return null;
            }
            segs.remove(0);
            bytes -= s.len();
            int dup = rcvNxt - s.seq;
            if (dup >= s.len() && !(dup == s.len() && s.fin)) {
                continue;
            }
            if (dup > 0) {
                s.data.adj(Math.min(dup, s.len()));
                s.seq = rcvNxt;
            }
            return s;
        }
        return null;
    }

    /**
     * Fills {@code edges} with SACK blocks (left, right pairs) of the queued data, the block
     * holding the latest arrival first (RFC 2018 §4), from block {@code first} on (a D-SACK
     * block before it) up to {@code max} blocks in all. Returns how many it wrote.
     */
    int sackBlocks(int[] edges, int first, int max) {
        if (segs.isEmpty() || max <= first) {
            return 0;
        }
        int n = first;
        int firstL = 0;
        int firstR = 0;
        boolean found = false;
        // blocks of contiguous segments
        int l = segs.get(0).seq;
        int r = segs.get(0).end();
        int k = 0;
        // only max blocks can go out: those beyond are not kept (no allocation per ACK)
        int[] tmp = otherBlocks;
        for (int i = 1; i <= segs.size(); i++) {
            if (i < segs.size() && segs.get(i).seq == r) {
                r = segs.get(i).end();
                continue;
            }
            if (r != l) {
                if (haveLast && Seq.leq(l, lastSeq) && Seq.lt(lastSeq, r) && !found) {
                    firstL = l;
                    firstR = r;
                    found = true;
                } else if (k < max && k < TcpOptions.MAX_SACK_BLOCKS) {
                    tmp[2 * k] = l;
                    tmp[2 * k + 1] = r;
                    k++;
                }
            }
            if (i < segs.size()) {
                l = segs.get(i).seq;
                r = segs.get(i).end();
            }
        }
        if (found) {
            edges[2 * n] = firstL;
            edges[2 * n + 1] = firstR;
            n++;
        }
        for (int j = 0; j < k && n < max; j++, n++) {
            edges[2 * n] = tmp[2 * j];
            edges[2 * n + 1] = tmp[2 * j + 1];
        }
        return n - first;
    }

    void clear() {
        segs.clear();
        bytes = 0;
        haveLast = false;
    }

    // ---- live upgrade (TcpTransfer) ---------------------------------------------------

    /** The out-of-order queue: each run's sequence number, bytes and FIN, in order. */
    java.util.Map<String, Object> exportState() {
        java.util.List<Object> runs = new java.util.ArrayList<>(segs.size());
        for (Seg s : segs) {
            java.util.Map<String, Object> r = new java.util.LinkedHashMap<>();
            r.put("seq", s.seq);
            r.put("data", s.data.toByteArray());
            r.put("fin", s.fin);
            runs.add(r);
        }
        java.util.Map<String, Object> m = new java.util.LinkedHashMap<>();
        m.put("runs", runs);
        m.put("lastSeq", lastSeq);
        m.put("haveLast", haveLast);
        return m;
    }

    void restore(java.util.Map<String, Object> m) throws org.protosw.socket.SocketException {
        segs.clear();
        bytes = 0;
        for (java.util.Map<String, Object> r : TcpTransfer.maps(m, "runs")) {
            Seg s = new Seg();
            s.seq = TcpTransfer.integer(r, "seq");
            s.data = Packet.wrap(TcpTransfer.bytes(r, "data"), 0, TcpTransfer.bytes(r, "data").length);
            s.fin = TcpTransfer.bool(r, "fin");
            segs.add(s);
            bytes += s.len();
        }
        lastSeq = TcpTransfer.integer(m, "lastSeq");
        haveLast = TcpTransfer.bool(m, "haveLast");
    }
}
