package org.protosw.wire;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Random;

import org.junit.jupiter.api.Test;

class ChecksumTest {
    private static byte[] hex(String s) {
        s = s.replace(" ", "");
        byte[] b = new byte[s.length() / 2];
        for (int i = 0; i < b.length; i++) {
            b[i] = (byte) Integer.parseInt(s.substring(2 * i, 2 * i + 2), 16);
        }
        return b;
    }

    @Test
    void rfc1071NumericalExample() {
        // RFC 1071 section 3: 00 01 f2 03 f4 f5 f6 f7 sums to ddf2 (carries folded)
        byte[] b = hex("0001f203f4f5f6f7");
        assertThat(Checksum.sum(b, 0, b.length, 0)).isEqualTo(0xddf2);
        assertThat(Checksum.compute(b, 0, b.length)).isEqualTo(0x220d);
    }

    /** RFC 1071's definition word by word: what the 8-byte-at-a-time sum must equal. */
    private static int sum16(byte[] b, int off, int len, int initial) {
        long sum = initial & 0xffffffffL;
        for (int i = 0; i < len; i += 2) {
            sum += ((b[off + i] & 0xff) << 8) | (i + 1 < len ? b[off + i + 1] & 0xff : 0);
        }
        while ((sum >>> 16) != 0) {
            sum = (sum & 0xffff) + (sum >>> 16);
        }
        return (int) sum;
    }

    @Test
    void wideSumEqualsTheWordByWordDefinitionAtAnyOffsetAndLength() {
        Random r = new Random(1071);
        byte[] b = new byte[70_000];
        r.nextBytes(b);
        for (int k = 0; k < 2000; k++) {
            int off = r.nextInt(64);
            int len = k < 100 ? k : r.nextInt(b.length - off);
            int initial = k % 3 == 0 ? 0 : r.nextInt(0x3ffff);
            assertThat(Checksum.sum(b, off, len, initial)).as("off %d len %d initial %x", off, len, initial).isEqualTo(sum16(b, off, len, initial));
        }
        byte[] ones = new byte[65536];
        java.util.Arrays.fill(ones, (byte) 0xff);
        assertThat(Checksum.sum(ones, 0, ones.length, 0xffff)).isEqualTo(sum16(ones, 0, ones.length, 0xffff)).isEqualTo(0xffff);
        assertThat(Checksum.sum(new byte[64], 3, 40, 0)).isZero();
    }

    @Test
    void oddLengthPadsWithZero() {
        byte[] odd = hex("0001f203f4f5f6");
        byte[] even = hex("0001f203f4f5f600");
        assertThat(Checksum.sum(odd, 0, odd.length, 0)).isEqualTo(Checksum.sum(even, 0, even.length, 0));
    }

    @Test
    void knownIpv4HeaderVerifies() {
        // a well-known example header: 192.168.0.1 > 192.168.0.199, UDP, checksum b861
        byte[] h = hex("45000073000040004011b861c0a80001c0a800c7");
        assertThat(Checksum.verify(h, 0, h.length)).isTrue();
        h[10] = 0;
        h[11] = 0;
        assertThat(Checksum.compute(h, 0, h.length)).isEqualTo(0xb861);
    }

    @Test
    void incrementalUpdateMatchesRecomputation() {
        Random rnd = new Random(7);
        for (int round = 0; round < 500; round++) {
            byte[] b = new byte[20 + rnd.nextInt(40) * 2];
            rnd.nextBytes(b);
            b[0] = 0;
            b[1] = 0;
            int c = Checksum.compute(b, 0, b.length);
            b[0] = (byte) (c >>> 8);
            b[1] = (byte) c;
            int word = 2 * (1 + rnd.nextInt(b.length / 2 - 1));
            int oldWord = (b[word] & 0xff) << 8 | (b[word + 1] & 0xff);
            int newWord = rnd.nextInt(0x10000);
            b[word] = (byte) (newWord >>> 8);
            b[word + 1] = (byte) newWord;
            int adjusted = Checksum.adjust(c, oldWord, newWord);
            b[0] = (byte) (adjusted >>> 8);
            b[1] = (byte) adjusted;
            assertThat(Checksum.verify(b, 0, b.length)).as("round %d", round).isTrue();
        }
    }

    @Test
    void pseudoHeaderSumsItsWords() {
        int sum = Checksum.pseudoHeader(0xc0a80001, 0xc0a800c7, 17, 0x5f);
        // c0a8 + 0001 + c0a8 + 00c7 + 0011 + 005f, folded
        long expected = 0xc0a8 + 0x0001 + 0xc0a8 + 0x00c7 + 0x11 + 0x5f;
        while ((expected >>> 16) != 0) {
            expected = (expected & 0xffff) + (expected >>> 16);
        }
        assertThat(sum).isEqualTo((int) expected);
        assertThat(Checksum.finish(0x1fffe)).isEqualTo(0);
    }
}
