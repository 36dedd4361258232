package org.protosw.ib.demo.internal.wire;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** The CM MAD header and REQ fields at the IBTA offsets (Vol. 1, 13.4.2 and 12.6.5). */
class MadTest {
    @Test
    void headerAndReqFields() {
        byte[] b = new byte[Mad.LENGTH];
        Mad m = new Mad().wrap(b, 0).writeHeader(Mad.ATTR_REQ, 0x1122334455667788L);
        m.put32(Mad.LOCAL_COMM_ID, 0xcafebabe).put64(Mad.REQ_SERVICE_ID, 0x1000).put24(Mad.REQ_LOCAL_QPN, 0x000123)
                .put24(Mad.REQ_STARTING_PSN, 0xabcdef);
        assertThat(b[0]).isEqualTo((byte) 1);
        assertThat(b[1]).isEqualTo((byte) 0x07);
        assertThat(b[2]).isEqualTo((byte) 2);
        assertThat(b[3]).isEqualTo((byte) 3);
        assertThat(b[8]).isEqualTo((byte) 0x11);
        assertThat(b[15]).isEqualTo((byte) 0x88);
        assertThat(b[16]).isEqualTo((byte) 0);
        assertThat(b[17]).isEqualTo((byte) 0x10);
        assertThat(b[24] & 0xff).isEqualTo(0xca);
        assertThat(b[24 + 8 + 6] & 0xff).isEqualTo(0x10);
        assertThat(b[24 + 32 + 2] & 0xff).isEqualTo(0x23);
        assertThat(b[24 + 44] & 0xff).isEqualTo(0xab);
        assertThat(m.check()).isEqualTo(IbWireStatus.OK);
        assertThat(m.i64(Mad.REQ_SERVICE_ID)).isEqualTo(0x1000);
        b[1] = 0x01; // subnet management class
        assertThat(m.check()).isEqualTo(IbWireStatus.BAD_MAD);
        b[1] = 0x07;
        b[17] = 0x11; // MRA: not spoken here
        assertThat(m.check()).isEqualTo(IbWireStatus.BAD_MAD);
    }
}
