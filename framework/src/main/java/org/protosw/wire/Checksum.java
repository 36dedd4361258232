package org.protosw.wire;

/** The Internet checksum (RFC 1071), with incremental update (RFC 1624). */
public final class Checksum {
    private Checksum() {
    }

    /** One's complement sum of {@code len} bytes, folded to 16 bits, starting from {@code initial}. */
    public static int sum(byte[] buf, int off, int len, int initial) {
        long sum = initial & 0xffffffffL;
        int i = off;
        int end = off + len;
        while (i + 1 < end) {
            sum += ((buf[i] & 0xff) << 8) | (buf[i + 1] & 0xff);
            i += 2;
        }
        if (i < end) {
            sum += (buf[i] & 0xff) << 8;
        }
        while ((sum >>> 16) != 0) {
            sum = (sum & 0xffff) + (sum >>> 16);
        }
        return (int) sum;
    }

    /** The checksum field value for these bytes: the complement of their sum. */
    public static int compute(byte[] buf, int off, int len) {
        return ~sum(buf, off, len, 0) & 0xffff;
    }

    /** The IPv4 pseudo-header sum for UDP and TCP (RFC 768, RFC 9293). */
    public static int pseudoHeader(int src, int dst, int proto, int length) {
        long sum = (src >>> 16) + (src & 0xffff) + (dst >>> 16) + (dst & 0xffff) + proto + length;
        while ((sum >>> 16) != 0) {
            sum = (sum & 0xffff) + (sum >>> 16);
        }
        return (int) sum;
    }

    /**
     * RFC 1624 incremental update (eqn. 3, {@code HC' = ~(~HC + ~m + m')}): the new checksum
     * field value after a 16-bit word of the covered data changed from {@code oldWord} to
     * {@code newWord}. Never yields 0xffff (-0) from a correct checksum.
     */
    public static int adjust(int checksum, int oldWord, int newWord) {
        int sum = (~checksum & 0xffff) + (~oldWord & 0xffff) + (newWord & 0xffff);
        while ((sum >>> 16) != 0) {
            sum = (sum & 0xffff) + (sum >>> 16);
        }
        return ~sum & 0xffff;
    }

    /** True when the bytes, checksum field included, sum to all ones (they verify). */
    public static boolean verify(byte[] buf, int off, int len) {
        return sum(buf, off, len, 0) == 0xffff;
    }

    /** Folds a sum and complements it into a checksum field value. */
    public static int finish(int sum) {
        while ((sum >>> 16) != 0) {
            sum = (sum & 0xffff) + (sum >>> 16);
        }
        return ~sum & 0xffff;
    }
}
