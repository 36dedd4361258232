package org.protosw.ib.demo.internal.wire;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.HexFormat;

import org.junit.jupiter.api.Test;

/**
 * The ICRC against packets built by an independent implementation: scapy's
 * {@code scapy.contrib.roce} (its {@code BTH.compute_icrc}), which prepends eight 0xff
 * bytes, masks TOS, TTL, the IP and UDP checksums and the BTH's FECN/BECN/resv6 byte, and
 * appends the CRC-32 least significant byte first. The vectors were made with:
 *
 * <pre>
 * IP(src="192.0.2.1", dst="192.0.2.2", id=0x1234, flags="DF", ttl=64, tos=0x02)/UDP(sport=4791, dport=4791)
 *   /BTH(opcode=0x04, migreq=1, pkey=0xffff, dqpn=0x12, ackreq=1, psn=5)/Raw(b"hello world!")
 * IP(src="192.0.2.2", dst="192.0.2.1", id=0x0042, ttl=63)/UDP(sport=4791, dport=4791)
 *   /BTH(opcode=0x04, migreq=1, pkey=0xffff, dqpn=0x345, psn=0xfffffe, padcount=1)/Raw(b"abc\x00")
 * </pre>
 */
class IcrcTest {
    static final String SEND_ONLY_A = "45020038123440004011a47bc0000201c000020212b712b700242c790440ffff000000128000000568656c6c6f20776f726c642183119062";
    static final String SEND_ONLY_PADDED = "45000030004200003f11f777c0000202c000020112b712b7001caca60450ffff0000034500fffffe61626300f2e1e9c5";

    @Test
    void verifiesScapysVectors() {
        for (String v : new String[] {SEND_ONLY_A, SEND_ONLY_PADDED}) {
            byte[] b = HexFormat.of().parseHex(v);
            assertThat(Icrc.applicable(b, 0, b.length)).isTrue();
            assertThat(Icrc.verify(b, 0, b.length - Icrc.IB_OFFSET)).as(v).isTrue();
        }
    }

    @Test
    void fillWritesTheSameBytesScapyDid() {
        byte[] want = HexFormat.of().parseHex(SEND_ONLY_A);
        byte[] b = want.clone();
        b[b.length - 1] = b[b.length - 2] = b[b.length - 3] = b[b.length - 4] = 0;
        Icrc.fill(b, 0, b.length - Icrc.IB_OFFSET);
        assertThat(b).isEqualTo(want);
    }

    @Test
    void variantFieldsDoNotChangeIt() {
        byte[] b = HexFormat.of().parseHex(SEND_ONLY_A);
        b[1] = 0x03; // ECN CE set by a router
        b[8] = 17; // TTL decremented
        b[10] = 0x12; // IP checksum rewritten
        b[26] = 0x55; // UDP checksum
        b[28 + 4] = (byte) 0xc0; // BTH FECN/BECN
        assertThat(Icrc.verify(b, 0, b.length - Icrc.IB_OFFSET)).isTrue();
    }

    @Test
    void anyInvariantByteChangesIt() {
        byte[] orig = HexFormat.of().parseHex(SEND_ONLY_A);
        int[] variant = {1, 8, 10, 11, 26, 27, 28 + 4};
        for (int i = 0; i < orig.length - 4; i++) {
            final int at = i;
            if (java.util.Arrays.stream(variant).anyMatch(x -> x == at)) {
                continue;
            }
            byte[] b = orig.clone();
            b[i] ^= 0x01;
            assertThat(Icrc.verify(b, 0, b.length - Icrc.IB_OFFSET)).as("byte %d flipped", i).isFalse();
        }
    }
}
