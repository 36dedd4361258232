package org.protosw.tcp.internal;

/** Sequence number arithmetic modulo 2^32 (RFC 9293 §3.4, RFC 1982): {@code SEQ_LT} and friends. */
final class Seq {
    private Seq() {
    }

    static boolean lt(int a, int b) {
        return a - b < 0;
    }

    static boolean leq(int a, int b) {
        return a - b <= 0;
    }

    static boolean gt(int a, int b) {
        return a - b > 0;
    }

    static boolean geq(int a, int b) {
        return a - b >= 0;
    }

    static int max(int a, int b) {
        return gt(a, b) ? a : b;
    }

    static int min(int a, int b) {
        return lt(a, b) ? a : b;
    }

    /** {@code lo <= x < hi}. */
    static boolean inWindow(int x, int lo, int hi) {
        return leq(lo, x) && lt(x, hi);
    }
}
