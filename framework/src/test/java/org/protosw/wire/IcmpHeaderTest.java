package org.protosw.wire;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Random;

import org.junit.jupiter.api.Test;

class IcmpHeaderTest {
    @Test
    void echoRequestRoundTrip() {
        byte[] b = new byte[8 + 56];
        IcmpHeader h = new IcmpHeader(b, 0, b.length);
        h.setType(IcmpHeader.ECHO).setCode(0).setId(0x1234).setSeq(7);
        for (int i = 8; i < b.length; i++) {
            b[i] = (byte) i;
        }
        h.fillChecksum();
        assertThat(h.check()).isEqualTo(WireStatus.OK);
        assertThat(h.checksumValid()).isTrue();
        assertThat(h.type()).isEqualTo(8);
        assertThat(h.id()).isEqualTo(0x1234);
        assertThat(h.seq()).isEqualTo(7);
        assertThat(h.dataOffset()).isEqualTo(8);
        assertThat(h.dataLength()).isEqualTo(56);
        b[20] ^= 0x40;
        assertThat(h.checksumValid()).isFalse();
    }

    @Test
    void fragmentationNeededCarriesTheNextHopMtu() {
        byte[] b = new byte[8 + 28];
        Ipv4Header.write(b, 8, 0, 1500, 1, Ipv4Header.FLAG_DF, 63, 6, 1, 2);
        IcmpHeader h = new IcmpHeader(b, 0, b.length);
        h.setType(IcmpHeader.UNREACH).setCode(IcmpHeader.UNREACH_NEEDFRAG).setRestOfHeader(0).setNextHopMtu(1400).fillChecksum();
        assertThat(h.check()).isEqualTo(WireStatus.OK);
        assertThat(h.nextHopMtu()).isEqualTo(1400);
        assertThat(h.restOfHeader()).isEqualTo(1400);
        h.setType(IcmpHeader.PARAMPROB).setPointer(9);
        assertThat(h.pointer()).isEqualTo(9);
    }

    @Test
    void errorsMustQuoteAHeaderAndEightBytes() {
        byte[] b = new byte[8 + 27];
        Ipv4Header.write(b, 8, 0, 100, 1, 0, 1, 17, 1, 2);
        IcmpHeader h = new IcmpHeader(b, 0, b.length).setType(IcmpHeader.TIMXCEED);
        assertThat(h.check()).isEqualTo(WireStatus.TRUNCATED);
        assertThat(new IcmpHeader(b, 0, 7).check()).isEqualTo(WireStatus.TRUNCATED);
        byte[] c = new byte[8 + 40];
        Ipv4Header.write(c, 8, 0, 100, 1, 0, 1, 17, 1, 2);
        c[8] = 0x47; // quoted header claims 28 bytes: 8 + 28 + 8 = 44 fit in 48
        assertThat(new IcmpHeader(c, 0, c.length).setType(IcmpHeader.UNREACH).check()).isEqualTo(WireStatus.OK);
        c[8] = 0x49; // 36 bytes: needs 52
        assertThat(new IcmpHeader(c, 0, c.length).check()).isEqualTo(WireStatus.TRUNCATED);
        c[8] = 0x43;
        assertThat(new IcmpHeader(c, 0, c.length).check()).isEqualTo(WireStatus.BAD_HLEN);
        c[8] = 0x55;
        assertThat(new IcmpHeader(c, 0, c.length).check()).isEqualTo(WireStatus.BAD_VERSION);
        // an echo reply of 8 bytes is fine
        assertThat(new IcmpHeader(new byte[8], 0, 8).check()).isEqualTo(WireStatus.OK);
    }

    @Test
    void typeTables() {
        assertThat(IcmpHeader.isError(IcmpHeader.UNREACH)).isTrue();
        assertThat(IcmpHeader.isError(IcmpHeader.ECHO)).isFalse();
        assertThat(IcmpHeader.isInfo(IcmpHeader.ECHOREPLY)).isTrue();
        assertThat(IcmpHeader.isInfo(IcmpHeader.TIMXCEED)).isFalse();
        assertThat(IcmpHeader.maxCode(IcmpHeader.UNREACH)).isEqualTo(15);
        assertThat(IcmpHeader.maxCode(42)).isEqualTo(-1);
        assertThat(IcmpHeader.typeName(IcmpHeader.UNREACH)).isEqualTo("destination unreachable");
        assertThat(IcmpHeader.typeName(IcmpHeader.ECHOREPLY)).isEqualTo("echo reply");
    }

    @Test
    void randomBytesNeverThrow() {
        Random rnd = new Random(3);
        IcmpHeader h = new IcmpHeader();
        for (int i = 0; i < 20000; i++) {
            byte[] b = new byte[rnd.nextInt(80)];
            rnd.nextBytes(b);
            h.wrap(b, 0, b.length);
            if (h.check() == WireStatus.OK) {
                h.type();
                h.code();
                h.id();
                h.seq();
                h.nextHopMtu();
                h.pointer();
                h.checksumValid();
                assertThat(h.dataOffset() + h.dataLength()).isEqualTo(b.length);
            } else {
                h.checksumValid();
            }
            h.toString();
        }
    }
}
