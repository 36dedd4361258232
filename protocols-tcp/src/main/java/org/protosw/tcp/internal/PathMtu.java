package org.protosw.tcp.internal;

/**
 * The MTU plateaus of RFC 1191 §7: where a "fragmentation needed" error from an old router
 * names no next-hop MTU, the sender guesses the next common MTU below the packet refused.
 */
final class PathMtu {
    private static final int[] PLATEAUS = {65535, 32000, 17914, 8166, 4352, 2002, 1492, 1006, 508, 296, 68};

    private PathMtu() {
    }

    /** The largest plateau below {@code refused} (the IP length of the refused packet), at least 68. */
    static int plateauBelow(int refused) {
        for (int p : PLATEAUS) {
            if (p < refused) {
                return p;
            }
        }
        return 68;
    }
}
