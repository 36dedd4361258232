package org.protosw.tcp.internal;

/**
 * What one fast recovery episode changed and resent, to take it back when D-SACK shows that
 * every retransmission of the episode was unnecessary (RFC 3708 §3, kept simple as Linux's
 * {@code undo_marker} / {@code undo_retrans}): the window and ssthresh from before the
 * episode, and the ranges retransmitted in it that the peer has not yet reported as
 * duplicates. When the last of them is reported, the original segments had arrived after all:
 * the episode answered reordering, not loss.
 *
 * <p>Only the most recent episode is kept; a retransmission timeout forgets it (the Eifel
 * undo handles timeouts). More distinct retransmitted ranges than fit here make the episode
 * one that is never undone, which errs on the safe side. Not thread-safe: used under the
 * connection lock. Sequence numbers compare modulo 2^32.
 */
final class DsackUndo {
    private static final int MAX_RANGES = 16;

    private static final int[] NONE = {};
    /** Grown by the first retransmission of an episode, given back when one is forgotten. */
    private int[] left = NONE;
    private int[] right = NONE;
    private int count;
    private boolean valid;
    private boolean resent;
    private long cwndPrev;
    private long ssthreshPrev;

    /** A recovery episode starts: remember the window it is about to cut. */
    void start(long cwnd, long ssthresh) {
        valid = true;
        resent = false;
        count = 0;
        cwndPrev = cwnd;
        ssthreshPrev = ssthresh;
    }

    /** The episode can no longer be undone (a timeout, or too much to keep track of). */
    void forget() {
        valid = false;
        count = 0;
        left = NONE;
        right = NONE;
    }

    /** Room for one more range; false when the list is as long as it may be. */
    private boolean room() {
        if (count == MAX_RANGES) {
            return false;
        }
        if (count == left.length) {
            left = SackScoreboard.grown(left, MAX_RANGES);
            right = SackScoreboard.grown(right, MAX_RANGES);
        }
        return true;
    }

    boolean valid() {
        return valid;
    }

    long cwndPrev() {
        return cwndPrev;
    }

    long ssthreshPrev() {
        return ssthreshPrev;
    }

    /** The episode resent [from, end). */
    void retransmitted(int from, int end) {
        if (!valid || !Seq.lt(from, end)) {
            return;
        }
        resent = true;
        int i = 0;
        while (i < count && Seq.lt(right[i], from)) {
            i++;
        }
        int j = i;
        while (j < count && Seq.leq(left[j], end)) {
            if (Seq.lt(left[j], from)) {
                from = left[j];
            }
            if (Seq.gt(right[j], end)) {
                end = right[j];
            }
            j++;
        }
        int merged = j - i;
        if (merged == 0) {
            if (!room()) {
                forget();
                return;
            }
            System.arraycopy(left, i, left, i + 1, count - i);
            System.arraycopy(right, i, right, i + 1, count - i);
            count++;
        } else if (merged > 1) {
            System.arraycopy(left, j, left, i + 1, count - j);
            System.arraycopy(right, j, right, i + 1, count - j);
            count -= merged - 1;
        }
        left[i] = from;
        right[i] = end;
    }

    /**
     * The peer reported [l, r) received twice. Returns true when that was the last
     * retransmission of the episode still unreported: every one of them was unnecessary.
     */
    boolean duplicate(int l, int r) {
        if (!valid || !resent || count == 0 || !Seq.lt(l, r)) {
            return false;
        }
        boolean hit = false;
        for (int k = 0; k < count; k++) {
            if (Seq.leq(right[k], l) || Seq.leq(r, left[k])) {
                continue;
            }
            hit = true;
            boolean keepLeft = Seq.lt(left[k], l);
            boolean keepRight = Seq.gt(right[k], r);
            if (keepLeft && keepRight) {
                if (!room()) {
                    forget();
                    return false;
                }
                System.arraycopy(left, k + 1, left, k + 2, count - k - 1);
                System.arraycopy(right, k + 1, right, k + 2, count - k - 1);
                count++;
                left[k + 1] = r;
                right[k + 1] = right[k];
                right[k] = l;
                k++;
            } else if (keepLeft) {
                right[k] = l;
            } else if (keepRight) {
                left[k] = r;
            } else {
                System.arraycopy(left, k + 1, left, k, count - k - 1);
                System.arraycopy(right, k + 1, right, k, count - k - 1);
                count--;
                k--;
            }
        }
        return hit && count == 0;
    }

    // ---- live upgrade (TcpTransfer) ---------------------------------------------------

    java.util.Map<String, Object> exportState() {
        java.util.Map<String, Object> m = new java.util.LinkedHashMap<>();
        TcpTransfer.putRanges(m, left, right, count);
        m.put("valid", valid);
        m.put("resent", resent);
        m.put("cwndPrev", cwndPrev);
        m.put("ssthreshPrev", ssthreshPrev);
        return m;
    }

    void restore(java.util.Map<String, Object> m) throws org.protosw.socket.SocketException {
        left = new int[MAX_RANGES];
        right = new int[MAX_RANGES];
        count = TcpTransfer.takeRanges(m, left, right, "D-SACK undo list");
        valid = TcpTransfer.bool(m, "valid");
        resent = TcpTransfer.bool(m, "resent");
        cwndPrev = TcpTransfer.longValue(m, "cwndPrev");
        ssthreshPrev = TcpTransfer.longValue(m, "ssthreshPrev");
    }
}
