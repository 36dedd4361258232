package org.protosw.tcp.internal;

import java.util.Arrays;

/**
 * The data sent and not yet cumulatively acknowledged, one entry a transmitted segment in
 * sequence order, each with the time it last went out and what has become of it: SACKed,
 * deemed lost, retransmitted. RACK (RFC 8985) reasons over transmission times, which the
 * byte-counting {@link SackScoreboard} cannot give; FreeBSD's RACK stack keeps the same
 * record ({@code rack_sendmap}), Linux keeps it in the skbs of its retransmit queue.
 *
 * <p>Entries cover contiguous sequence space from SND.UNA upward. A retransmission or a
 * SACK edge that falls inside an entry splits it. The bytes SACKed and deemed lost are kept
 * as totals, so the pipe (RFC 6675's SetPipe, RACK's inflight) costs nothing to compute.
 *
 * <p>It also remembers, in a small ring, when the last few segments RACK retransmitted had
 * first gone out: a D-SACK of one of them says its original arrived after all, and how late
 * it was is the reordering the path really has.
 *
 * <p>Not thread-safe: used under the connection lock. Sequence numbers compare modulo 2^32.
 */
final class TcpSendMap {
    static final byte SACKED = 1;
    static final byte LOST = 1 << 1;
    static final byte RETRANS = 1 << 2;

    /** The arrays an idle connection keeps; a map grown past this is given back when it empties. */
    private static final int KEEP = 8;
    private static final int RING = 32;
    private static final int[] NO_INTS = {};
    private static final long[] NO_LONGS = {};
    private static final byte[] NO_BYTES = {};

    private int[] start = NO_INTS;
    private int[] end = NO_INTS;
    /** System.nanoTime() of the entry's latest transmission. */
    private long[] sentAt = NO_LONGS;
    private byte[] flags = NO_BYTES;
    /** Live entries are [base, base + count) of the arrays. */
    private int base;
    private int count;
    private long sackedBytes;
    private long lostBytes;

    private int[] firstStart = NO_INTS;
    private int[] firstEnd = NO_INTS;
    private long[] firstSentAt = NO_LONGS;
    private int firstNext;

    int size() {
        return count;
    }

    boolean isEmpty() {
        return count == 0;
    }

    int start(int i) {
        return start[base + i];
    }

    int end(int i) {
        return end[base + i];
    }

    long sentAt(int i) {
        return sentAt[base + i];
    }

    boolean has(int i, byte flag) {
        return (flags[base + i] & flag) != 0;
    }

    long sackedBytes() {
        return sackedBytes;
    }

    long lostBytes() {
        return lostBytes;
    }

    /** One past the last byte sent (the map's right edge), meaningful only when not empty. */
    int lastEnd() {
        return end[base + count - 1];
    }

    /** [s, e) went out at {@code now}: new data extends the map, data sent before is resent. */
    void sent(int s, int e, long now) {
        if (!Seq.lt(s, e)) {
            return;
        }
        if (count == 0 || Seq.geq(s, lastEnd())) {
            append(s, e, now);
            return;
        }
        int resendEnd = Seq.lt(e, lastEnd()) ? e : lastEnd();
        int i = splitAt(s);
        int j = splitAt(resendEnd);
        for (int k = i; k < j; k++) {
            int p = base + k;
            if ((flags[p] & RETRANS) == 0) {
                rememberFirst(start[p], end[p], sentAt[p]);
            }
            if ((flags[p] & LOST) != 0) {
                lostBytes -= end[p] - start[p];
            }
            flags[p] = (byte) ((flags[p] & ~LOST) | RETRANS);
            sentAt[p] = now;
        }
        if (Seq.gt(e, resendEnd)) {
            append(resendEnd, e, now);
        }
    }

    private void append(int s, int e, long now) {
        room();
        int p = base + count;
        start[p] = s;
        end[p] = e;
        sentAt[p] = now;
        flags[p] = 0;
        count++;
    }

    /** Marks entry {@code i} SACKed (it is no longer lost, nor in flight). */
    void markSacked(int i) {
        int p = base + i;
        int len = end[p] - start[p];
        if ((flags[p] & LOST) != 0) {
            lostBytes -= len;
        }
        if ((flags[p] & SACKED) == 0) {
            sackedBytes += len;
        }
        flags[p] = (byte) ((flags[p] & ~LOST) | SACKED);
    }

    /** Marks entry {@code i} lost: counted out of the pipe until it is sent again. */
    void markLost(int i) {
        int p = base + i;
        if ((flags[p] & (LOST | SACKED)) == 0) {
            lostBytes += end[p] - start[p];
            flags[p] |= LOST;
        }
    }

    /** The receiver may have discarded what it SACKed (RFC 2018 reneging): nothing counts as SACKed. */
    void forgetSacks() {
        for (int k = 0; k < count; k++) {
            flags[base + k] &= ~SACKED;
        }
        sackedBytes = 0;
    }

    /** The cumulative ACK moved to {@code una}: entries below it are gone. */
    void ackedTo(int una) {
        while (count > 0 && Seq.leq(end[base], una)) {
            take(base, end[base] - start[base]);
            base++;
            count--;
        }
        if (count > 0 && Seq.lt(start[base], una)) {
            take(base, una - start[base]);
            start[base] = una;
        }
        if (count == 0) {
            base = 0;
            if (start.length > KEEP) {
                start = NO_INTS;
                end = NO_INTS;
                sentAt = NO_LONGS;
                flags = NO_BYTES;
            }
        }
    }

    /** {@code len} bytes of the entry at array position {@code p} leave the map: out of the totals. */
    private void take(int p, int len) {
        if ((flags[p] & SACKED) != 0) {
            sackedBytes -= len;
        }
        if ((flags[p] & LOST) != 0) {
            lostBytes -= len;
        }
    }

    /**
     * Makes {@code seq} an entry boundary, splitting the entry that holds it, and returns the
     * index of the first entry starting at or after it ({@link #size()} when none does).
     */
    int splitAt(int seq) {
        int i = indexAfter(seq);
        // i: first entry whose end lies beyond seq
        if (i == count || !Seq.lt(start(i), seq)) {
            return i;
        }
        room();
        int p = base + i;
        System.arraycopy(start, p + 1, start, p + 2, count - i - 1);
        System.arraycopy(end, p + 1, end, p + 2, count - i - 1);
        System.arraycopy(sentAt, p + 1, sentAt, p + 2, count - i - 1);
        System.arraycopy(flags, p + 1, flags, p + 2, count - i - 1);
        start[p + 1] = seq;
        end[p + 1] = end[p];
        sentAt[p + 1] = sentAt[p];
        flags[p + 1] = flags[p];
        end[p] = seq;
        count++;
        return i + 1;
    }

    /** The first entry whose end lies beyond {@code seq} (binary search: ends ascend). */
    private int indexAfter(int seq) {
        int lo = 0;
        int hi = count;
        while (lo < hi) {
            int mid = (lo + hi) >>> 1;
            if (Seq.leq(end(mid), seq)) {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        return lo;
    }

    /** Room for one more entry at the end: compacted to the front, or grown. */
    private void room() {
        if (base + count < start.length) {
            return;
        }
        if (base > 0 && count < start.length / 2) {
            System.arraycopy(start, base, start, 0, count);
            System.arraycopy(end, base, end, 0, count);
            System.arraycopy(sentAt, base, sentAt, 0, count);
            System.arraycopy(flags, base, flags, 0, count);
            base = 0;
            return;
        }
        int n = Math.max(4, start.length * 2);
        start = Arrays.copyOf(start, n);
        end = Arrays.copyOf(end, n);
        sentAt = Arrays.copyOf(sentAt, n);
        flags = Arrays.copyOf(flags, n);
    }

    private void rememberFirst(int s, int e, long at) {
        if (firstStart.length == 0) {
            firstStart = new int[RING];
            firstEnd = new int[RING];
            firstSentAt = new long[RING];
        }
        firstStart[firstNext] = s;
        firstEnd[firstNext] = e;
        firstSentAt[firstNext] = at;
        firstNext = (firstNext + 1) % RING;
    }

    /**
     * When the original of a recently retransmitted segment inside [l, r) first went out, or
     * -1 when none of those remembered lies there.
     */
    long firstSentAt(int l, int r) {
        for (int k = 0; k < firstStart.length; k++) {
            if (firstSentAt[k] != 0 && Seq.leq(l, firstStart[k]) && Seq.leq(firstEnd[k], r)) {
                return firstSentAt[k];
            }
        }
        return -1;
    }

    /** The entry holding a remembered original is reported: it is not reported twice. */
    void forgetFirst(long at) {
        for (int k = 0; k < firstSentAt.length; k++) {
            if (firstSentAt[k] == at) {
                firstSentAt[k] = 0;
            }
        }
    }

    // ---- live upgrade (TcpTransfer) ---------------------------------------------------

    java.util.Map<String, Object> exportState() {
        java.util.Map<String, Object> m = new java.util.LinkedHashMap<>();
        // lists of boxed values: a snapshot holds only JDK values (see TcpTransfer)
        m.put("start", Arrays.stream(start, base, base + count).boxed().toList());
        m.put("end", Arrays.stream(end, base, base + count).boxed().toList());
        m.put("sentAt", Arrays.stream(sentAt, base, base + count).boxed().toList());
        java.util.List<Integer> f = new java.util.ArrayList<>(count);
        for (int k = 0; k < count; k++) {
            f.add((int) flags[base + k]);
        }
        m.put("flags", f);
        return m;
    }

    void restore(java.util.Map<String, Object> m) throws org.protosw.socket.SocketException {
        int[] s = TcpTransfer.ints(m, "start");
        int[] e = TcpTransfer.ints(m, "end");
        long[] at = TcpTransfer.longs(m, "sentAt", s.length);
        int[] f = TcpTransfer.ints(m, "flags");
        if (e.length != s.length || f.length != s.length) {
            throw TcpTransfer.bad("send map of " + s.length + " starts, " + e.length + " ends and " + f.length + " flags");
        }
        base = 0;
        count = 0;
        sackedBytes = 0;
        lostBytes = 0;
        for (int k = 0; k < s.length; k++) {
            if (!Seq.lt(s[k], e[k]) || (k > 0 && s[k] != e[k - 1])) {
                throw TcpTransfer.bad("send map entry " + k + " [" + s[k] + ", " + e[k] + ")");
            }
            append(s[k], e[k], at[k]);
            flags[k] = (byte) (f[k] & RETRANS);
            if ((f[k] & SACKED) != 0) {
                markSacked(k);
            }
            if ((f[k] & LOST) != 0) {
                markLost(k);
            }
        }
    }
}
