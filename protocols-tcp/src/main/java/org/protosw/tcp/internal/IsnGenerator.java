package org.protosw.tcp.internal;

import java.security.SecureRandom;

/**
 * RFC 6528 initial sequence numbers: ISN = M + F(localip, localport, remoteip, remoteport,
 * secret), M a clock ticking every 4 µs and F SipHash-2-4 keyed with a secret chosen at
 * start. The same hash, with another key, gives each connection its timestamp offset
 * (RFC 7323 §5.4), so timestamps do not reveal the uptime.
 */
final class IsnGenerator {
    private volatile long k0;
    private volatile long k1;
    private volatile long t0;
    private volatile long t1;

    IsnGenerator() {
        SecureRandom r = new SecureRandom();
        k0 = r.nextLong();
        k1 = r.nextLong();
        t0 = r.nextLong();
        t1 = r.nextLong();
    }

    /**
     * The secrets, for a live upgrade: the next revision must pick ISNs and timestamp offsets
     * from the same functions, or a new connection to a peer whose old one is in TIME_WAIT
     * could start inside the old sequence space (RFC 6528).
     */
    java.util.List<Object> exportState() {
        return java.util.List.of(k0, k1, t0, t1);
    }

    void restore(java.util.Map<String, Object> m, String key) throws org.protosw.socket.SocketException {
        long[] k = TcpTransfer.longs(m, key, 4);
        k0 = k[0];
        k1 = k[1];
        t0 = k[2];
        t1 = k[3];
    }

    int isn(int laddr, int lport, int faddr, int fport) {
        long m = System.nanoTime() / 4000;
        return (int) (m + sipHash(k0, k1, laddr, lport, faddr, fport));
    }

    int tsOffset(int laddr, int lport, int faddr, int fport) {
        return (int) sipHash(t0, t1, laddr, lport, faddr, fport);
    }

    /** SipHash-2-4 of two 64-bit words built from the four-tuple. */
    static long sipHash(long key0, long key1, int laddr, int lport, int faddr, int fport) {
        long v0 = key0 ^ 0x736f6d6570736575L;
        long v1 = key1 ^ 0x646f72616e646f6dL;
        long v2 = key0 ^ 0x6c7967656e657261L;
        long v3 = key1 ^ 0x7465646279746573L;
        long m0 = (laddr & 0xffffffffL) << 32 | (faddr & 0xffffffffL);
        long m1 = (long) (lport & 0xffff) << 16 | (fport & 0xffff);
        long[] v = {v0, v1, v2, v3};
        compress(v, m0);
        compress(v, m1);
        // final block: the length (16 bytes) in the top byte
        compress(v, 16L << 56);
        v[2] ^= 0xff;
        for (int i = 0; i < 4; i++) {
            round(v);
        }
        return v[0] ^ v[1] ^ v[2] ^ v[3];
    }

    private static void compress(long[] v, long m) {
        v[3] ^= m;
        round(v);
        round(v);
        v[0] ^= m;
    }

    private static void round(long[] v) {
        v[0] += v[1];
        v[1] = Long.rotateLeft(v[1], 13);
        v[1] ^= v[0];
        v[0] = Long.rotateLeft(v[0], 32);
        v[2] += v[3];
        v[3] = Long.rotateLeft(v[3], 16);
        v[3] ^= v[2];
        v[0] += v[3];
        v[3] = Long.rotateLeft(v[3], 21);
        v[3] ^= v[0];
        v[2] += v[1];
        v[1] = Long.rotateLeft(v[1], 17);
        v[1] ^= v[2];
        v[2] = Long.rotateLeft(v[2], 32);
    }
}
