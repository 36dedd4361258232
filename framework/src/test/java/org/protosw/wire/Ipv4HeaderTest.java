package org.protosw.wire;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Random;

import org.junit.jupiter.api.Test;

class Ipv4HeaderTest {
    private static final int SRC = 0x0a000001;
    private static final int DST = 0xc0a80102;

    private static byte[] datagram(int payload) {
        byte[] b = new byte[20 + payload];
        Ipv4Header.write(b, 0, 0x10, b.length, 0xbeef, Ipv4Header.FLAG_DF, 64, 17, SRC, DST);
        return b;
    }

    @Test
    void writtenHeaderReadsBack() {
        byte[] b = datagram(12);
        Ipv4Header h = new Ipv4Header().wrap(b, 0, b.length);
        assertThat(h.check()).isEqualTo(WireStatus.OK);
        assertThat(h.version()).isEqualTo(4);
        assertThat(h.ihl()).isEqualTo(5);
        assertThat(h.headerLength()).isEqualTo(20);
        assertThat(h.tos()).isEqualTo(0x10);
        assertThat(h.totalLength()).isEqualTo(32);
        assertThat(h.id()).isEqualTo(0xbeef);
        assertThat(h.dontFragment()).isTrue();
        assertThat(h.moreFragments()).isFalse();
        assertThat(h.isFragment()).isFalse();
        assertThat(h.ttl()).isEqualTo(64);
        assertThat(h.protocol()).isEqualTo(17);
        assertThat(h.src()).isEqualTo(SRC);
        assertThat(h.dst()).isEqualTo(DST);
        assertThat(h.payloadOffset()).isEqualTo(20);
        assertThat(h.payloadLength()).isEqualTo(12);
        assertThat(h.checksumValid()).isTrue();
        assertThat(h.computeChecksum()).isEqualTo(h.checksum());
    }

    @Test
    void settersBuildAFragmentHeaderAtAnOffset() {
        byte[] b = new byte[100];
        Ipv4Header h = new Ipv4Header(b, 16, 84);
        h.setVersionAndHeaderLength(24).setTos(0).setTotalLength(84).setId(7).setFragment(false, true, 1480)
                .setTtl(3).setProtocol(6).setSrc(SRC).setDst(DST);
        b[16 + 20] = Ipv4Header.OPT_NOP;
        b[16 + 21] = Ipv4Header.OPT_EOL;
        h.fillChecksum();
        assertThat(h.check()).isEqualTo(WireStatus.OK);
        assertThat(h.checksumValid()).isTrue();
        assertThat(h.moreFragments()).isTrue();
        assertThat(h.fragmentOffset()).isEqualTo(1480);
        assertThat(h.isFragment()).isTrue();
        assertThat(h.optionsOffset()).isEqualTo(36);
        assertThat(h.optionsLength()).isEqualTo(4);
        assertThat(h.badOptionOffset()).isEqualTo(-1);
        assertThatThrownBy(() -> h.setFragment(false, false, 12)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> h.setVersionAndHeaderLength(22)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void malformedHeadersAreNamed() {
        byte[] b = datagram(8);
        assertThat(Ipv4Header.check(b, 0, 19)).isEqualTo(WireStatus.TRUNCATED);

        byte[] v6 = b.clone();
        v6[0] = 0x65;
        assertThat(Ipv4Header.check(v6, 0, v6.length)).isEqualTo(WireStatus.BAD_VERSION);

        byte[] shortHl = b.clone();
        shortHl[0] = 0x44;
        assertThat(Ipv4Header.check(shortHl, 0, shortHl.length)).isEqualTo(WireStatus.BAD_HLEN);

        byte[] longHl = b.clone();
        longHl[0] = 0x4f; // 60 bytes of header in a 28-byte buffer
        assertThat(Ipv4Header.check(longHl, 0, longHl.length)).isEqualTo(WireStatus.TRUNCATED);

        byte[] smallTotal = b.clone();
        smallTotal[2] = 0;
        smallTotal[3] = 19;
        assertThat(Ipv4Header.check(smallTotal, 0, smallTotal.length)).isEqualTo(WireStatus.BAD_TOTAL_LENGTH);

        byte[] bigTotal = b.clone();
        bigTotal[3] = 29;
        assertThat(Ipv4Header.check(bigTotal, 0, bigTotal.length)).isEqualTo(WireStatus.TRUNCATED);

        byte[] padded = new byte[b.length + 6];
        System.arraycopy(b, 0, padded, 0, b.length);
        assertThat(Ipv4Header.check(padded, 0, padded.length)).as("link padding after the datagram").isEqualTo(WireStatus.OK);

        byte[] corrupt = b.clone();
        corrupt[8] ^= 1;
        assertThat(new Ipv4Header(corrupt, 0, corrupt.length).checksumValid()).isFalse();
    }

    @Test
    void ttlDecrementKeepsTheChecksumValid() {
        for (int ttl = 1; ttl <= 255; ttl++) {
            byte[] b = new byte[20];
            Ipv4Header.write(b, 0, 0, 20, ttl * 7, 0, ttl, 6, SRC + ttl, DST);
            Ipv4Header h = new Ipv4Header(b, 0, 20);
            assertThat(h.decrementTtl()).isEqualTo(ttl - 1);
            assertThat(h.checksumValid()).as("ttl %d", ttl).isTrue();
        }
    }

    @Test
    void optionsAreCheckedAndCopiedOptionsSelected() {
        byte[] b = new byte[40];
        Ipv4Header h = new Ipv4Header(b, 0, 40);
        h.setVersionAndHeaderLength(40).setTotalLength(40);
        // record route (7, not copied, len 7), NOP, router alert (0x94, copied, len 4), LSRR (0x83, copied, len 7), EOL
        byte[] opts = {7, 7, 4, 0, 0, 0, 0, 1, (byte) 0x94, 4, 0, 0, (byte) 0x83, 7, 4, 1, 2, 3, 4, 0};
        System.arraycopy(opts, 0, b, 20, opts.length);
        assertThat(h.badOptionOffset()).isEqualTo(-1);
        byte[] out = new byte[40];
        int n = Ipv4Header.copyCopiedOptions(b, 0, 40, out, 0);
        assertThat(n).isEqualTo(12);
        assertThat(out[0]).isEqualTo((byte) 0x94);
        assertThat(out[4]).isEqualTo((byte) 0x83);
        assertThat(out[11]).isEqualTo((byte) Ipv4Header.OPT_EOL);

        b[21] = 1; // length 1 is below the minimum of 2
        assertThat(h.badOptionOffset()).isEqualTo(21);
        b[21] = 30; // runs past the header
        assertThat(h.badOptionOffset()).isEqualTo(21);
        b[21] = 7;
        b[39] = 0x44; // a type byte in the last position without its length
        b[38] = 1;
        b[32] = 1;
        b[33] = 1;
        b[34] = 1;
        b[35] = 1;
        b[36] = 1;
        b[37] = 1;
        assertThat(h.badOptionOffset()).isEqualTo(39);
    }

    @Test
    void randomBytesNeverThrow() {
        Random rnd = new Random(42);
        Ipv4Header h = new Ipv4Header();
        int ok = 0;
        for (int i = 0; i < 20000; i++) {
            byte[] b = new byte[rnd.nextInt(80)];
            rnd.nextBytes(b);
            if (b.length >= 4 && rnd.nextBoolean()) {
                // plausible version and total length, so the deeper checks run too
                b[0] = (byte) (0x40 | (b[0] & 0x0f));
                int total = rnd.nextInt(b.length + 8);
                b[2] = (byte) (total >>> 8);
                b[3] = (byte) total;
            }
            h.wrap(b, 0, b.length);
            WireStatus st = h.check();
            if (st == WireStatus.OK) {
                ok++;
                // every accessor is safe on a checked header
                h.version();
                h.tos();
                h.id();
                h.fragmentOffset();
                h.ttl();
                h.protocol();
                h.src();
                h.dst();
                h.checksumValid();
                h.badOptionOffset();
                Ipv4Header.copyCopiedOptions(b, 0, h.headerLength(), new byte[60], 0);
                assertThat(h.payloadOffset() + h.payloadLength()).isLessThanOrEqualTo(b.length);
                h.toString();
            }
        }
        assertThat(ok).as("some random headers pass the length checks").isPositive();
    }
}
