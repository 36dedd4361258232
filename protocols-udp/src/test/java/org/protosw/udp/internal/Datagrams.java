package org.protosw.udp.internal;

import org.protosw.spi.Packet;

/**
 * Builds and checks IPv4/UDP bytes independently of the code under test: the checksum here
 * sums an explicit pseudo-header byte array word by word, as RFC 768 draws it.
 */
final class Datagrams {
    private Datagrams() {
    }

    /** RFC 768 checksum over pseudo-header + the UDP bytes given (checksum field as it is in them). */
    static int rfc768Sum(int src, int dst, byte[] udp) {
        byte[] all = new byte[12 + udp.length + (udp.length & 1)];
        put32(all, 0, src);
        put32(all, 4, dst);
        all[8] = 0;
        all[9] = 17;
        all[10] = (byte) (udp.length >>> 8);
        all[11] = (byte) udp.length;
        System.arraycopy(udp, 0, all, 12, udp.length);
        long sum = 0;
        for (int i = 0; i < all.length; i += 2) {
            sum += ((all[i] & 0xff) << 8) | (all[i + 1] & 0xff);
        }
        while (sum > 0xffff) {
            sum = (sum & 0xffff) + (sum >>> 16);
        }
        return (int) (~sum & 0xffff);
    }

    /** The checksum a sender puts in the field: computed with the field zeroed, 0 sent as 0xffff. */
    static int fieldFor(int src, int dst, byte[] udp) {
        byte[] copy = udp.clone();
        copy[6] = 0;
        copy[7] = 0;
        int c = rfc768Sum(src, dst, copy);
        return c == 0 ? 0xffff : c;
    }

    /** UDP header + payload with a correct checksum. */
    static byte[] udp(int src, int sport, int dst, int dport, byte[] payload) {
        byte[] u = new byte[8 + payload.length];
        put16(u, 0, sport);
        put16(u, 2, dport);
        put16(u, 4, u.length);
        System.arraycopy(payload, 0, u, 8, payload.length);
        put16(u, 6, fieldFor(src, dst, u));
        return u;
    }

    /** A 20-byte IPv4 header with protocol 17 in front of {@code udp}, as a packet with headroom. */
    static Packet ip(int src, int dst, byte[] udp) {
        return ip(src, dst, udp, 0);
    }

    /** Same, with {@code trailer} extra bytes after the UDP bytes (IP length includes them). */
    static Packet ip(int src, int dst, byte[] udp, int trailer) {
        byte[] b = new byte[20 + udp.length + trailer];
        b[0] = 0x45;
        put16(b, 2, b.length);
        b[8] = 64;
        b[9] = 17;
        put32(b, 12, src);
        put32(b, 16, dst);
        System.arraycopy(udp, 0, b, 20, udp.length);
        for (int i = 0; i < trailer; i++) {
            b[20 + udp.length + i] = (byte) 0xee;
        }
        Packet p = Packet.allocate(64, b.length);
        System.arraycopy(b, 0, p.array(), p.offset(), b.length);
        return p;
    }

    static Packet datagram(int src, int sport, int dst, int dport, byte[] payload) {
        return ip(src, dst, udp(src, sport, dst, dport, payload));
    }

    static Packet payload(byte[] bytes) {
        Packet p = Packet.allocate(bytes.length);
        System.arraycopy(bytes, 0, p.array(), p.offset(), bytes.length);
        return p;
    }

    static void put16(byte[] b, int i, int v) {
        b[i] = (byte) (v >>> 8);
        b[i + 1] = (byte) v;
    }

    static void put32(byte[] b, int i, int v) {
        b[i] = (byte) (v >>> 24);
        b[i + 1] = (byte) (v >>> 16);
        b[i + 2] = (byte) (v >>> 8);
        b[i + 3] = (byte) v;
    }

    static int get16(byte[] b, int i) {
        return (b[i] & 0xff) << 8 | (b[i + 1] & 0xff);
    }
}
