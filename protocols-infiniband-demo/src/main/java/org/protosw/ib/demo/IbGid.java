package org.protosw.ib.demo;

/**
 * A 128-bit InfiniBand global identifier, written like an IPv6 address (RFC 4291 2.2,
 * RFC 5952 for output). On RoCEv2 a node's GID is the IPv4-mapped address of its IPv4
 * address: {@code ::ffff:192.0.2.1}.
 *
 * @param hi the first 64 bits
 * @param lo the last 64 bits
 */
public record IbGid(long hi, long lo) {
    private static final long MAPPED_PREFIX = 0x0000ffff00000000L;

    /** The IPv4-mapped GID of an IPv4 address given as its 32 bits. */
    public static IbGid ofIpv4(int addr) {
        return new IbGid(0, MAPPED_PREFIX | (addr & 0xffffffffL));
    }

    /** Whether this is an IPv4-mapped GID (the only kind RoCEv2 over IPv4 reaches). */
    public boolean isIpv4Mapped() {
        return hi == 0 && (lo & 0xffffffff00000000L) == MAPPED_PREFIX;
    }

    /** The IPv4 address bits of a mapped GID. */
    public int ipv4() {
        if (!isIpv4Mapped()) {
            throw new IllegalStateException(this + " is not an IPv4-mapped GID");
        }
        return (int) lo;
    }

    /** The 16 bytes, network order. */
    public byte[] toBytes() {
        byte[] b = new byte[16];
        for (int i = 0; i < 8; i++) {
            b[i] = (byte) (hi >>> (56 - 8 * i));
            b[8 + i] = (byte) (lo >>> (56 - 8 * i));
        }
        return b;
    }

    /**
     * Parses IPv6 text: eight groups of hex digits, one {@code ::} for a run of zero groups,
     * and a dotted IPv4 address as the last 32 bits ({@code ::ffff:192.0.2.1}).
     *
     * @throws IllegalArgumentException with what is wrong
     */
    public static IbGid parse(String text) {
        if (text == null || text.isEmpty()) {
            throw new IllegalArgumentException("not a GID: empty (expected IPv6 notation, e.g. ::ffff:192.0.2.1)");
        }
        int[] groups = new int[8];
        int n = 0;
        int gap = -1;
        String s = text;
        int v4 = 0;
        boolean hasV4 = false;
        int lastColon = s.lastIndexOf(':');
        if (s.indexOf('.') >= 0) {
            if (lastColon < 0) {
                throw bad(text, "an IPv4 address alone is not a GID; write ::ffff:" + text);
            }
            v4 = parseV4(text, s.substring(lastColon + 1));
            hasV4 = true;
            s = s.substring(0, lastColon + 1);
            // keep a trailing "::" intact, drop a single trailing ':'
            if (!s.endsWith("::")) {
                s = s.substring(0, s.length() - 1);
            }
        }
        int limit = hasV4 ? 6 : 8;
        int i = 0;
        if (s.startsWith("::")) {
            gap = 0;
            i = 2;
        } else if (s.startsWith(":")) {
            throw bad(text, "a single leading ':'");
        }
        while (i < s.length()) {
            int j = s.indexOf(':', i);
            String g = j < 0 ? s.substring(i) : s.substring(i, j);
            if (g.isEmpty() || g.length() > 4) {
                throw bad(text, "group '" + g + "' is not 1 to 4 hex digits");
            }
            if (n == limit) {
                throw bad(text, "more than " + limit + " groups");
            }
            try {
                groups[n++] = Integer.parseInt(g, 16);
            } catch (NumberFormatException e) {
                throw bad(text, "group '" + g + "' is not hex");
            }
            if (j < 0) {
                break;
            }
            if (j + 1 < s.length() && s.charAt(j + 1) == ':') {
                if (gap >= 0) {
                    throw bad(text, "more than one '::'");
                }
                gap = n;
                i = j + 2;
            } else {
                if (j + 1 == s.length()) {
                    throw bad(text, "a single trailing ':'");
                }
                i = j + 1;
            }
        }
        int[] full = new int[8];
        if (gap >= 0) {
            if (n == limit) {
                throw bad(text, "'::' stands for no group");
            }
            for (int k = 0; k < gap; k++) {
                full[k] = groups[k];
            }
            int tail = n - gap;
            for (int k = 0; k < tail; k++) {
                full[limit - tail + k] = groups[gap + k];
            }
        } else {
            if (n != limit) {
                throw bad(text, n + " groups where " + limit + " are needed");
            }
            System.arraycopy(groups, 0, full, 0, limit);
        }
        if (hasV4) {
            full[6] = v4 >>> 16;
            full[7] = v4 & 0xffff;
        }
        long hi = 0;
        long lo = 0;
        for (int k = 0; k < 4; k++) {
            hi = hi << 16 | full[k];
            lo = lo << 16 | full[4 + k];
        }
        return new IbGid(hi, lo);
    }

    private static int parseV4(String text, String s) {
        String[] parts = s.split("\\.", -1);
        if (parts.length != 4) {
            throw bad(text, "'" + s + "' is not a dotted IPv4 address");
        }
        int v = 0;
        for (String p : parts) {
            int b;
            try {
                b = Integer.parseInt(p);
            } catch (NumberFormatException e) {
                throw bad(text, "'" + p + "' is not a number 0..255");
            }
            if (b < 0 || b > 255 || p.isEmpty() || p.length() > 3) {
                throw bad(text, "'" + p + "' is not a number 0..255");
            }
            v = v << 8 | b;
        }
        return v;
    }

    private static IllegalArgumentException bad(String text, String why) {
        return new IllegalArgumentException("not a GID: '" + text + "': " + why + " (expected IPv6 notation, e.g. ::ffff:192.0.2.1)");
    }

    /** RFC 5952 text; IPv4-mapped GIDs end in dotted IPv4. */
    @Override
    public String toString() {
        if (isIpv4Mapped()) {
            int a = (int) lo;
            return "::ffff:" + (a >>> 24 & 0xff) + "." + (a >>> 16 & 0xff) + "." + (a >>> 8 & 0xff) + "." + (a & 0xff);
        }
        int[] g = new int[8];
        for (int k = 0; k < 4; k++) {
            g[k] = (int) (hi >>> (48 - 16 * k)) & 0xffff;
            g[4 + k] = (int) (lo >>> (48 - 16 * k)) & 0xffff;
        }
        int bestStart = -1;
        int bestLen = 1;
        for (int k = 0; k < 8;) {
            if (g[k] != 0) {
                k++;
                continue;
            }
            int e = k;
            while (e < 8 && g[e] == 0) {
                e++;
            }
            if (e - k > bestLen) {
                bestStart = k;
                bestLen = e - k;
            }
            k = e;
        }
        StringBuilder sb = new StringBuilder();
        for (int k = 0; k < 8; k++) {
            if (k == bestStart) {
                sb.append("::");
                k += bestLen - 1;
                continue;
            }
            if (sb.length() > 0 && sb.charAt(sb.length() - 1) != ':') {
                sb.append(':');
            }
            sb.append(Integer.toHexString(g[k]));
        }
        return sb.toString();
    }
}
