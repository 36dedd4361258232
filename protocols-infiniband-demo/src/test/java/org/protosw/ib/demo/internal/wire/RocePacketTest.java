package org.protosw.ib.demo.internal.wire;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** Field offsets against the IBTA layout, and what check() answers for bad input. */
class RocePacketTest {
    @Test
    void bthFieldsSitWhereTheIbtaPutsThem() {
        byte[] b = new byte[RocePacket.packetLength(0, 5)];
        new Bth().wrap(b, 0).write(IbOpcode.RC_SEND_ONLY, true, 3, 0xffff, 0xabcdef, true, 0x123456);
        assertThat(b[0]).isEqualTo((byte) 0x04);
        assertThat(b[1] & 0xff).isEqualTo(0x80 | 0x40 | 3 << 4); // SE, MigReq, PadCnt 3, TVer 0
        assertThat(b[2] & 0xff).isEqualTo(0xff);
        assertThat(b[3] & 0xff).isEqualTo(0xff);
        assertThat(b[4]).isEqualTo((byte) 0);
        assertThat(new byte[] {b[5], b[6], b[7]}).containsExactly(0xab, 0xcd, 0xef);
        assertThat(b[8] & 0xff).isEqualTo(0x80);
        assertThat(new byte[] {b[9], b[10], b[11]}).containsExactly(0x12, 0x34, 0x56);
        assertThat(b.length).isEqualTo(12 + 5 + 3 + 4);
        RocePacket p = new RocePacket().wrap(b, 0, b.length);
        assertThat(p.check()).isEqualTo(IbWireStatus.OK);
        assertThat(p.payloadOffset()).isEqualTo(12);
        assertThat(p.payloadLength()).isEqualTo(5);
        assertThat(p.bth().destQp()).isEqualTo(0xabcdef);
        assertThat(p.bth().psn()).isEqualTo(0x123456);
        assertThat(p.bth().ackReq()).isTrue();
        assertThat(p.bth().solicited()).isTrue();
    }

    @Test
    void rethAndImmediateFollowTheBth() {
        int op = IbOpcode.RC_RDMA_WRITE_ONLY_IMM;
        byte[] b = new byte[RocePacket.packetLength(IbOpcode.extLength(op), 8)];
        new Bth().wrap(b, 0).write(op, true, 0, 0xffff, 7, true, 1);
        new Reth().wrap(b, 12).write(0x0102030405060708L, 0x0a0b0c0d, 8);
        b[28] = 0x11;
        b[29] = 0x22;
        b[30] = 0x33;
        b[31] = 0x44;
        RocePacket p = new RocePacket().wrap(b, 0, b.length);
        assertThat(p.check()).isEqualTo(IbWireStatus.OK);
        assertThat(b[12]).isEqualTo((byte) 1);
        assertThat(b[20]).isEqualTo((byte) 0x0a);
        assertThat(b[27]).isEqualTo((byte) 8);
        assertThat(p.reth().va()).isEqualTo(0x0102030405060708L);
        assertThat(p.reth().rkey()).isEqualTo(0x0a0b0c0d);
        assertThat(p.reth().dmaLength()).isEqualTo(8);
        assertThat(p.imm()).isEqualTo(0x11223344);
        assertThat(p.payloadOffset()).isEqualTo(32);
    }

    @Test
    void aethSyndromes() {
        byte[] b = new byte[RocePacket.packetLength(4, 0)];
        new Bth().wrap(b, 0).write(IbOpcode.RC_ACK, false, 0, 0xffff, 7, false, 99);
        Aeth a = new Aeth().wrap(b, 12);
        a.write(Aeth.KIND_RNR_NAK, 12, 0x010203);
        assertThat(b[12] & 0xff).isEqualTo(0x20 | 12);
        assertThat(new byte[] {b[13], b[14], b[15]}).containsExactly(1, 2, 3);
        RocePacket p = new RocePacket().wrap(b, 0, b.length);
        assertThat(p.check()).isEqualTo(IbWireStatus.OK);
        assertThat(p.aeth().kind()).isEqualTo(Aeth.KIND_RNR_NAK);
        assertThat(Aeth.rnrTimerMicros(12)).isEqualTo(640);
        a.write(Aeth.KIND_NAK, Aeth.NAK_PSN_SEQ_ERROR, 0);
        assertThat(b[12] & 0xff).isEqualTo(0x60);
        assertThat(p.check()).isEqualTo(IbWireStatus.OK);
        b[12] = 0x40; // kind 0b10 is reserved
        assertThat(p.check()).isEqualTo(IbWireStatus.BAD_AETH);
        b[12] = 0x65; // NAK code 5 is reserved
        assertThat(p.check()).isEqualTo(IbWireStatus.BAD_AETH);
        b[12] = (byte) 0x9f; // bit 7 is reserved
        assertThat(p.check()).isEqualTo(IbWireStatus.BAD_AETH);
    }

    @Test
    void malformedInputIsAnsweredNotThrown() {
        RocePacket p = new RocePacket();
        assertThat(p.wrap(new byte[15], 0, 15).check()).isEqualTo(IbWireStatus.TRUNCATED);
        byte[] b = new byte[20];
        assertThat(p.wrap(b, 0, 18).check()).isEqualTo(IbWireStatus.BAD_PAD); // not a multiple of 4
        b = new byte[24];
        b[1] = 0x01; // TVer 1
        assertThat(p.wrap(b, 0, 24).check()).isEqualTo(IbWireStatus.BAD_VERSION);
        b[1] = 0;
        b[0] = 0x1f;
        assertThat(p.wrap(b, 0, 24).check()).isEqualTo(IbWireStatus.BAD_OPCODE);
        b[0] = IbOpcode.RC_RDMA_WRITE_FIRST; // needs a 16-byte RETH: 12 + 16 + 4 > 24
        assertThat(p.wrap(b, 0, 24).check()).isEqualTo(IbWireStatus.TRUNCATED);
        b[0] = IbOpcode.RC_SEND_ONLY;
        b[1] = 0x30; // pad 3 with 8 bytes between BTH and ICRC is fine
        assertThat(p.wrap(b, 0, 24).check()).isEqualTo(IbWireStatus.OK);
        assertThat(p.wrap(b, 0, 16).check()).isEqualTo(IbWireStatus.BAD_PAD); // pad 3, no payload
        b[0] = IbOpcode.RC_ACK;
        b[1] = 0;
        assertThat(p.wrap(b, 0, 24).check()).isEqualTo(IbWireStatus.BAD_LENGTH); // an ACK with payload
        b[0] = (byte) IbOpcode.UD_SEND_ONLY;
        assertThat(p.wrap(b, 0, 24).check()).isEqualTo(IbWireStatus.BAD_LENGTH); // not a MAD
    }

    @Test
    void randomBytesNeverThrow() {
        java.util.Random r = new java.util.Random(42);
        RocePacket p = new RocePacket();
        Mad m = new Mad();
        for (int i = 0; i < 200_000; i++) {
            byte[] b = new byte[r.nextInt(300)];
            r.nextBytes(b);
            if (b.length > 0 && r.nextBoolean()) {
                b[0] = (byte) (r.nextInt(0x0c));
                if (b.length > 1) {
                    b[1] &= 0xf0;
                }
            }
            IbWireStatus st = p.wrap(b, 0, b.length).check();
            if (st.ok()) {
                assertThat(p.payloadLength()).isBetween(0, b.length);
                assertThat(p.payloadOffset() + p.payloadLength()).isLessThanOrEqualTo(b.length - 4);
                if (IbOpcode.hasReth(p.bth().opcode())) {
                    p.reth().va();
                }
                if (IbOpcode.hasDeth(p.bth().opcode())) {
                    m.wrap(b, p.payloadOffset()).check();
                }
            }
        }
    }
}
