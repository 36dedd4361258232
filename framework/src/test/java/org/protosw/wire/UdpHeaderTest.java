package org.protosw.wire;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Random;

import org.junit.jupiter.api.Test;

class UdpHeaderTest {
    private static final int SRC = 0xc0a80001;
    private static final int DST = 0xc0a800c7;

    private static byte[] datagram(byte[] payload) {
        byte[] b = new byte[8 + payload.length];
        new UdpHeader(b, 0, b.length).setSrcPort(5353).setDstPort(53).setLength(b.length);
        System.arraycopy(payload, 0, b, 8, payload.length);
        return b;
    }

    @Test
    void checksumWithPseudoHeader() {
        byte[] b = datagram("hello, world".getBytes());
        UdpHeader u = new UdpHeader(b, 0, b.length).fillChecksum(SRC, DST);
        assertThat(u.check()).isEqualTo(WireStatus.OK);
        assertThat(u.srcPort()).isEqualTo(5353);
        assertThat(u.dstPort()).isEqualTo(53);
        assertThat(u.payloadOffset()).isEqualTo(8);
        assertThat(u.payloadLength()).isEqualTo(12);
        assertThat(u.checksumValid(SRC, DST)).isTrue();
        assertThat(u.checksumValid(SRC, DST + 1)).as("pseudo-header covers the addresses").isFalse();
        b[9] ^= 1;
        assertThat(u.checksumValid(SRC, DST)).isFalse();
        u.setChecksum(0);
        assertThat(u.checksumValid(SRC, DST)).as("zero means no checksum").isTrue();
    }

    @Test
    void computedZeroIsSentAsAllOnes() {
        byte[] b = datagram(new byte[4]);
        UdpHeader u = new UdpHeader(b, 0, b.length);
        int s = Checksum.sum(b, 0, b.length, Checksum.pseudoHeader(SRC, DST, 17, b.length));
        int word = ~s & 0xffff; // makes the sum all ones, so the checksum computes to 0
        b[8] = (byte) (word >>> 8);
        b[9] = (byte) word;
        u.fillChecksum(SRC, DST);
        assertThat(u.checksum()).isEqualTo(0xffff);
        assertThat(u.checksumValid(SRC, DST)).isTrue();
    }

    @Test
    void lengthFieldIsNotTrusted() {
        byte[] b = datagram(new byte[10]);
        UdpHeader u = new UdpHeader(b, 0, b.length);
        assertThat(new UdpHeader(b, 0, 7).check()).isEqualTo(WireStatus.TRUNCATED);
        u.setLength(7);
        assertThat(u.check()).isEqualTo(WireStatus.BAD_LENGTH);
        u.setLength(19);
        assertThat(u.check()).isEqualTo(WireStatus.TRUNCATED);
        u.setLength(12);
        assertThat(u.check()).as("shorter than the IP payload: trailing bytes ignored").isEqualTo(WireStatus.OK);
        assertThat(u.payloadLength()).isEqualTo(4);
    }

    @Test
    void randomBytesNeverThrow() {
        Random rnd = new Random(5);
        UdpHeader u = new UdpHeader();
        for (int i = 0; i < 20000; i++) {
            byte[] b = new byte[rnd.nextInt(40)];
            rnd.nextBytes(b);
            u.wrap(b, 0, b.length);
            if (u.check() == WireStatus.OK) {
                u.checksumValid(rnd.nextInt(), rnd.nextInt());
                assertThat(u.payloadOffset() + u.payloadLength()).isLessThanOrEqualTo(b.length);
            }
            u.toString();
        }
    }
}
