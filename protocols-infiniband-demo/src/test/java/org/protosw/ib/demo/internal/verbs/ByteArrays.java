package org.protosw.ib.demo.internal.verbs;

final class ByteArrays {
    private ByteArrays() {
    }

    /** Four bytes of length, hashed before each message so boundaries count in the digest. */
    static byte[] lengthPrefix(int len) {
        return new byte[] {(byte) (len >>> 24), (byte) (len >>> 16), (byte) (len >>> 8), (byte) len};
    }
}
