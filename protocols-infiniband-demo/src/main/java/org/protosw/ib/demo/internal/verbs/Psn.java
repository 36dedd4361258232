package org.protosw.ib.demo.internal.verbs;

/**
 * 24-bit packet sequence number arithmetic (IBTA Vol. 1, 9.7.1): PSNs wrap at 2^24, and a
 * PSN is "behind" another when it is less than 2^23 before it, as TCP's {@code SEQ_LT} is
 * for 32-bit sequence numbers.
 */
final class Psn {
    static final int MASK = 0xffffff;

    private Psn() {
    }

    static int add(int psn, int n) {
        return (psn + n) & MASK;
    }

    /** {@code a - b} as a signed distance in (-2^23, 2^23]. */
    static int diff(int a, int b) {
        return ((a - b) << 8) >> 8;
    }

    static boolean lt(int a, int b) {
        return diff(a, b) < 0;
    }

    static boolean le(int a, int b) {
        return diff(a, b) <= 0;
    }
}
