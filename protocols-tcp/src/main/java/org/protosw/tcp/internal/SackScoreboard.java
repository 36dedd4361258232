package org.protosw.tcp.internal;

/**
 * The sender's SACK scoreboard (RFC 6675 §3, FreeBSD {@code tcp_sack.c}): the ranges above
 * SND.UNA the peer reported holding, kept sorted and merged, plus HighRxt and the rescue mark.
 * The holes between them are what loss recovery retransmits.
 *
 * <p>Not thread-safe: used under the connection lock. Sequence numbers compare modulo 2^32.
 */
final class SackScoreboard {
    /** RFC 6675 DupThresh. */
    static final int DUP_THRESH = 3;
    /** Blocks kept; beyond this the lowest blocks are merged away (FreeBSD caps holes similarly). */
    private static final int MAX_RANGES = 64;

    private static final int[] NONE = {};
    /** Grown on the first block and given back when the scoreboard empties: most connections never see one. */
    private int[] left = NONE;
    private int[] right = NONE;
    private int count;
    /** HighRxt: the highest sequence number retransmitted in this recovery (exclusive end). */
    private int highRxt;
    private int rescueRxt;
    private boolean rescueValid;

    boolean isEmpty() {
        return count == 0;
    }

    int ranges() {
        return count;
    }

    void clear() {
        count = 0;
        rescueValid = false;
        release();
    }

    private void release() {
        left = NONE;
        right = NONE;
    }

    /** {@code a} with room for more ranges, doubling up to {@code max} (shared with {@link DsackUndo}). */
    static int[] grown(int[] a, int max) {
        return java.util.Arrays.copyOf(a, Math.min(max, Math.max(4, a.length * 2)));
    }

    /** Starts a recovery episode: nothing retransmitted yet. */
    void startRecovery(int una) {
        highRxt = una;
        rescueValid = false;
    }

    int highRxt() {
        return highRxt;
    }

    void retransmitted(int end) {
        if (Seq.gt(end, highRxt)) {
            highRxt = end;
        }
    }

    /** Adds one block reported by the peer. */
    void add(int l, int r) {
        int i = 0;
        while (i < count && Seq.lt(right[i], l)) {
            i++;
        }
        // i is the first range that ends at or after l: merge every range touching [l, r)
        int j = i;
        while (j < count && Seq.leq(left[j], r)) {
            if (Seq.lt(left[j], l)) {
                l = left[j];
            }
            if (Seq.gt(right[j], r)) {
                r = right[j];
            }
            j++;
        }
        int merged = j - i;
        if (merged == 0) {
            if (count == MAX_RANGES) {
                if (i == 0) {
                    return;
                }
                // full: give up the lowest range (it is the one nearest to being cumulatively acked)
                System.arraycopy(left, 1, left, 0, count - 1);
                System.arraycopy(right, 1, right, 0, count - 1);
                count--;
                i--;
            } else if (count == left.length) {
                left = grown(left, MAX_RANGES);
                right = grown(right, MAX_RANGES);
            }
            System.arraycopy(left, i, left, i + 1, count - i);
            System.arraycopy(right, i, right, i + 1, count - i);
            count++;
        } else if (merged > 1) {
            System.arraycopy(left, j, left, i + 1, count - j);
            System.arraycopy(right, j, right, i + 1, count - j);
            count -= merged - 1;
        }
        left[i] = l;
        right[i] = r;
    }

    /** The cumulative ACK moved to {@code una}: forget what lies below it. */
    void ackedTo(int una) {
        int k = 0;
        while (k < count && Seq.leq(right[k], una)) {
            k++;
        }
        if (k > 0) {
            System.arraycopy(left, k, left, 0, count - k);
            System.arraycopy(right, k, right, 0, count - k);
            count -= k;
            if (count == 0) {
                release();
            }
        }
        if (count > 0 && Seq.lt(left[0], una)) {
            left[0] = una;
        }
        if (Seq.lt(highRxt, una)) {
            highRxt = una;
        }
    }

    /** Where sending from {@code seq} should start: past the SACKed range holding it, if any. */
    int skipSacked(int seq) {
        for (int k = 0; k < count && Seq.leq(left[k], seq); k++) {
            if (Seq.lt(seq, right[k])) {
                return right[k];
            }
        }
        return seq;
    }

    /** The start of the first SACKed range above {@code seq}, or {@code limit} when none is below it. */
    int nextSackedStart(int seq, int limit) {
        for (int k = 0; k < count; k++) {
            if (Seq.gt(left[k], seq)) {
                return Seq.lt(left[k], limit) ? left[k] : limit;
            }
        }
        return limit;
    }

    /** SACKed bytes above the hole that ends where range {@code i} starts. */
    private long sackedFrom(int i) {
        long n = 0;
        for (int k = i; k < count; k++) {
            n += right[k] - left[k];
        }
        return n;
    }

    /** RFC 6675 IsLost(seq): more than (DupThresh - 1) * SMSS bytes above it were SACKed. */
    boolean isLost(int seq, int mss) {
        long above = 0;
        for (int k = count - 1; k >= 0 && Seq.gt(right[k], seq); k--) {
            above += right[k] - (Seq.gt(left[k], seq) ? left[k] : seq + 1);
        }
        return above > (long) (DUP_THRESH - 1) * mss;
    }

    /**
     * RFC 6675 SetPipe: the unSACKed bytes in flight not deemed lost, plus those retransmitted.
     * A hole is uniformly lost or not, since the SACKed bytes above every byte of it are the same.
     */
    long pipe(int una, int max, int mss) {
        long pipe = 0;
        int holeStart = una;
        long threshold = (long) (DUP_THRESH - 1) * mss;
        for (int k = 0; k <= count; k++) {
            int holeEnd = k < count ? left[k] : max;
            if (Seq.lt(holeStart, holeEnd)) {
                long len = holeEnd - holeStart;
                if (sackedFrom(k) <= threshold) {
                    pipe += len;
                }
                if (Seq.gt(highRxt, holeStart)) {
                    pipe += (Seq.lt(highRxt, holeEnd) ? highRxt : holeEnd) - holeStart;
                }
            }
            if (k < count) {
                holeStart = right[k];
            }
        }
        return pipe;
    }

    /**
     * RFC 6675 NextSeg() rule 1 and rule 3: the first unSACKed, not yet retransmitted sequence
     * number below the highest SACKed one; with {@code lostOnly} only one that IsLost. Writes the
     * start and the hole's end to {@code out} and returns true, or false when there is none.
     */
    boolean nextHole(int una, int mss, boolean lostOnly, int[] out) {
        int holeStart = una;
        for (int k = 0; k < count; k++) {
            int holeEnd = left[k];
            int from = Seq.gt(highRxt, holeStart) ? highRxt : holeStart;
            if (Seq.lt(from, holeEnd) && (!lostOnly || sackedFrom(k) > (long) (DUP_THRESH - 1) * mss)) {
                out[0] = from;
                out[1] = holeEnd;
                return true;
            }
            holeStart = right[k];
        }
        return false;
    }

    /**
     * RFC 6675 NextSeg() rule 4, the rescue retransmission: once per recovery, the last
     * segment's worth of unSACKed data below {@code max}, so a tail loss is found without a timeout.
     */
    boolean rescue(int una, int max, int recoveryPoint, int mss, int[] out) {
        if (rescueValid && Seq.leq(una, rescueRxt)) {
            return false;
        }
        int end = max;
        // the highest unSACKed byte: skip a SACKed range that ends at max
        if (count > 0 && right[count - 1] == max) {
            end = left[count - 1];
        }
        // only data not yet retransmitted in this episode: a hole resent once already is covered
        // by the retransmission timer
        if (Seq.leq(end, una) || Seq.leq(end, highRxt)) {
            return false;
        }
        int start = Seq.gt(end - mss, una) ? end - mss : una;
        out[0] = start;
        out[1] = end;
        rescueRxt = recoveryPoint;
        rescueValid = true;
        return true;
    }

    // ---- live upgrade (TcpTransfer) ---------------------------------------------------

    java.util.Map<String, Object> exportState() {
        java.util.Map<String, Object> m = new java.util.LinkedHashMap<>();
        TcpTransfer.putRanges(m, left, right, count);
        m.put("highRxt", highRxt);
        m.put("rescueRxt", rescueRxt);
        m.put("rescueValid", rescueValid);
        return m;
    }

    void restore(java.util.Map<String, Object> m) throws org.protosw.socket.SocketException {
        left = new int[MAX_RANGES];
        right = new int[MAX_RANGES];
        count = TcpTransfer.takeRanges(m, left, right, "SACK scoreboard");
        if (count == 0) {
            release();
        }
        highRxt = TcpTransfer.integer(m, "highRxt");
        rescueRxt = TcpTransfer.integer(m, "rescueRxt");
        rescueValid = TcpTransfer.bool(m, "rescueValid");
    }
}
