package org.protosw.socket;

/**
 * An IPv4 address held as 32 bits in network order ({@code struct in_addr}). Parsing never
 * consults a name service.
 *
 * @param bits the address, most significant octet first
 */
public record InAddr(int bits) implements Comparable<InAddr> {
    public static final InAddr ANY = new InAddr(0);
    public static final InAddr LOOPBACK = new InAddr(0x7f000001);
    public static final InAddr BROADCAST = new InAddr(0xffffffff);

    public static InAddr of(int a, int b, int c, int d) {
        for (int octet : new int[] {a, b, c, d}) {
            if (octet < 0 || octet > 255) {
                throw new IllegalArgumentException("octet out of range 0..255: " + octet);
            }
        }
        return new InAddr(a << 24 | b << 16 | c << 8 | d);
    }

    /**
     * Parses dotted-quad notation ({@code 192.0.2.1}).
     *
     * @throws IllegalArgumentException with a message naming the text and what is accepted
     */
    public static InAddr parse(String text) {
        if (text == null) {
            throw new IllegalArgumentException("no IPv4 address given (expected a.b.c.d)");
        }
        String[] parts = text.trim().split("\\.", -1);
        if (parts.length != 4) {
            throw new IllegalArgumentException("not an IPv4 address: '" + text + "' (expected a.b.c.d, each 0..255)");
        }
        int bits = 0;
        for (String part : parts) {
            if (part.isEmpty() || part.length() > 3 || !part.chars().allMatch(Character::isDigit)) {
                throw new IllegalArgumentException("not an IPv4 address: '" + text + "' (expected a.b.c.d, each 0..255)");
            }
            int v = Integer.parseInt(part);
            if (v > 255) {
                throw new IllegalArgumentException("not an IPv4 address: '" + text + "' (octet " + v + " is above 255)");
            }
            bits = bits << 8 | v;
        }
        return new InAddr(bits);
    }

    /** A netmask of {@code prefixLength} leading one bits. */
    public static int netmask(int prefixLength) {
        if (prefixLength < 0 || prefixLength > 32) {
            throw new IllegalArgumentException("prefix length out of range 0..32: " + prefixLength);
        }
        return prefixLength == 0 ? 0 : -1 << (32 - prefixLength);
    }

    public boolean isAny() {
        return bits == 0;
    }

    public boolean isLoopback() {
        return (bits >>> 24) == 127;
    }

    public boolean isMulticast() {
        return (bits >>> 28) == 0xe;
    }

    public boolean isLimitedBroadcast() {
        return bits == 0xffffffff;
    }

    /** The same network under a prefix of {@code prefixLength} bits. */
    public boolean inSubnet(InAddr network, int prefixLength) {
        int mask = netmask(prefixLength);
        return (bits & mask) == (network.bits & mask);
    }

    /** The four octets, most significant first. */
    public byte[] toBytes() {
        return new byte[] {(byte) (bits >>> 24), (byte) (bits >>> 16), (byte) (bits >>> 8), (byte) bits};
    }

    @Override
    public int compareTo(InAddr o) {
        return Integer.compareUnsigned(bits, o.bits);
    }

    @Override
    public String toString() {
        return (bits >>> 24) + "." + ((bits >>> 16) & 0xff) + "." + ((bits >>> 8) & 0xff) + "." + (bits & 0xff);
    }
}
