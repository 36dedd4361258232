package org.protosw.udp.it;

import java.nio.ByteBuffer;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * Self-checking datagram payloads: a sequence number, the SHA-256 of the sequence number
 * and the body, then the body. A receiver can tell an intact payload from a damaged one
 * without knowing what was sent.
 */
final class Payload {
    /** Sequence number (4) and digest (32). */
    static final int HEADER = 4 + 32;

    private Payload() {
    }

    /** A payload of {@code len} bytes (at least {@link #HEADER}) carrying {@code seq}. */
    static byte[] make(int seq, int len) {
        if (len < HEADER) {
            throw new IllegalArgumentException("a self-checking payload needs " + HEADER + " bytes, got " + len);
        }
        byte[] b = new byte[len];
        ByteBuffer.wrap(b).putInt(seq);
        new SplittableRandom(seq * 7919L + len).nextBytes(b);
        ByteBuffer.wrap(b).putInt(seq);
        System.arraycopy(digest(b, len), 0, b, 4, 32);
        return b;
    }

    /** Plain deterministic bytes of any length, for sizes too small to check themselves. */
    static byte[] plain(int seed, int len) {
        byte[] b = new byte[len];
        new SplittableRandom(seed).nextBytes(b);
        return b;
    }

    /** The sequence number of an intact payload of {@code len} bytes in {@code b}, or -1. */
    static int check(byte[] b, int len) {
        if (len < HEADER) {
            return -1;
        }
        byte[] d = digest(b, len);
        if (!Arrays.equals(b, 4, 36, d, 0, 32)) {
            return -1;
        }
        return ByteBuffer.wrap(b).getInt(0);
    }

    private static byte[] digest(byte[] b, int len) {
        try {
            MessageDigest md = MessageDigest.getInstance("SHA-256");
            md.update(b, 0, 4);
            md.update(b, HEADER, len - HEADER);
            return md.digest();
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
