package org.protosw.wire;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Random;

import org.junit.jupiter.api.Test;

class TcpHeaderTest {
    private static final int SRC = 0x0a000001;
    private static final int DST = 0x0a000002;

    /** A SYN as Linux sends it: MSS, SACK-permitted, timestamps, NOP, window scale. */
    private static byte[] syn() {
        byte[] b = new byte[40];
        TcpHeader t = new TcpHeader(b, 0, b.length);
        t.setSrcPort(40000).setDstPort(80).setSeq(0xfffffff0).setAck(0).setHeaderLength(40).setFlags(TcpHeader.SYN)
                .setWindow(64240).setUrgentPointer(0);
        int o = 20;
        o += TcpOptions.writeMss(b, o, 1460);
        o += TcpOptions.writeSackPermitted(b, o);
        o += TcpOptions.writeTimestamp(b, o, 0xdeadbeef, 0);
        o += TcpOptions.writeNop(b, o);
        o += TcpOptions.writeWindowScale(b, o, 7);
        assertThat(o).isEqualTo(40);
        t.fillChecksum(SRC, DST);
        return b;
    }

    @Test
    void synWithOptions() {
        byte[] b = syn();
        TcpHeader t = new TcpHeader(b, 0, b.length);
        assertThat(t.check()).isEqualTo(WireStatus.OK);
        assertThat(t.srcPort()).isEqualTo(40000);
        assertThat(t.dstPort()).isEqualTo(80);
        assertThat(t.seq()).isEqualTo(0xfffffff0);
        assertThat(t.headerLength()).isEqualTo(40);
        assertThat(t.flags()).isEqualTo(TcpHeader.SYN);
        assertThat(t.has(TcpHeader.ACK)).isFalse();
        assertThat(t.window()).isEqualTo(64240);
        assertThat(t.payloadLength()).isZero();
        assertThat(t.checksumValid(SRC, DST)).isTrue();
        assertThat(t.checksumValid(DST, SRC + 1)).isFalse();
        assertThat(TcpHeader.flagString(t.flags())).isEqualTo("S");

        TcpOptions o = t.options(new TcpOptions());
        assertThat(o.parse()).isEqualTo(WireStatus.OK);
        assertThat(o.hasMss()).isTrue();
        assertThat(o.mss()).isEqualTo(1460);
        assertThat(o.sackPermitted()).isTrue();
        assertThat(o.hasTimestamp()).isTrue();
        assertThat(o.tsVal()).isEqualTo(0xdeadbeef);
        assertThat(o.tsEcr()).isZero();
        assertThat(o.hasWindowScale()).isTrue();
        assertThat(o.windowScale()).isEqualTo(7);
        assertThat(o.sackBlockCount()).isZero();

        o.rewind();
        assertThat(o.next()).isEqualTo(TcpOptions.KIND_MSS);
        assertThat(o.currentMss()).isEqualTo(1460);
        assertThat(o.next()).isEqualTo(TcpOptions.KIND_SACK_PERMITTED);
        assertThat(o.next()).isEqualTo(TcpOptions.KIND_TIMESTAMP);
        assertThat(o.next()).as("NOPs are skipped").isEqualTo(TcpOptions.KIND_WINDOW_SCALE);
        assertThat(o.next()).isEqualTo(TcpOptions.END);
    }

    @Test
    void flagsIncludingAccurateEcnBit() {
        byte[] b = new byte[20];
        TcpHeader t = new TcpHeader(b, 0, 20).setHeaderLength(20);
        t.setFlags(TcpHeader.ACK | TcpHeader.FIN | TcpHeader.AE);
        assertThat(t.flags()).isEqualTo(TcpHeader.ACK | TcpHeader.FIN | TcpHeader.AE);
        assertThat(t.headerLength()).isEqualTo(20);
        t.setHeaderLength(24);
        assertThat(t.has(TcpHeader.AE)).as("data offset change keeps AE").isTrue();
        assertThat(TcpHeader.flagString(TcpHeader.FIN | TcpHeader.ACK)).isEqualTo("F.");
        assertThatThrownBy(() -> t.setHeaderLength(64)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void sackBlocks() {
        byte[] b = new byte[40];
        int[] edges = {100, 200, 300, 400, 500, 600};
        int n = TcpOptions.writeNop(b, 0);
        n += TcpOptions.writeNop(b, n);
        n += TcpOptions.writeSack(b, n, edges, 3);
        TcpOptions o = new TcpOptions().wrap(b, 0, TcpOptions.pad(b, 0, n));
        assertThat(o.parse()).isEqualTo(WireStatus.OK);
        assertThat(o.sackBlockCount()).isEqualTo(3);
        assertThat(o.sackLeft(2)).isEqualTo(500);
        assertThat(o.sackRight(1)).isEqualTo(400);
        assertThatThrownBy(() -> o.sackLeft(3)).isInstanceOf(IndexOutOfBoundsException.class);
    }

    @Test
    void malformedOptions() {
        assertThat(parse(2, 4, 5)).as("MSS runs past the options").isEqualTo(WireStatus.BAD_OPTION);
        assertThat(parse(2, 3, 5, 0)).as("MSS with length 3").isEqualTo(WireStatus.BAD_OPTION);
        assertThat(parse(3, 4, 7, 1)).as("window scale with length 4").isEqualTo(WireStatus.BAD_OPTION);
        assertThat(parse(4, 3, 0, 0)).as("SACK-permitted with length 3").isEqualTo(WireStatus.BAD_OPTION);
        assertThat(parse(8, 9, 0, 0, 0, 0, 0, 0, 0, 0)).as("timestamps with length 9").isEqualTo(WireStatus.BAD_OPTION);
        assertThat(parse(5, 11, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)).as("SACK of 9 bytes").isEqualTo(WireStatus.BAD_OPTION);
        assertThat(parse(5, 2, 0, 0)).as("SACK without blocks").isEqualTo(WireStatus.BAD_OPTION);
        assertThat(parse(99, 0, 0, 0)).as("length 0 would loop forever").isEqualTo(WireStatus.BAD_OPTION);
        assertThat(parse(99, 1, 0, 0)).as("length 1").isEqualTo(WireStatus.BAD_OPTION);
        assertThat(parse(1, 1, 1, 99)).as("kind without length byte").isEqualTo(WireStatus.BAD_OPTION);
        assertThat(parse(99, 4, 0, 0, 2, 4, 2, 0)).as("unknown option skipped").isEqualTo(WireStatus.OK);
        assertThat(parse(0, 99, 99, 99)).as("nothing after EOL is read").isEqualTo(WireStatus.OK);
        TcpOptions o = new TcpOptions().wrap(new byte[] {99, 1, 2, 4, 5, (byte) 180}, 0, 6);
        assertThat(o.next()).isEqualTo(TcpOptions.MALFORMED);
        assertThat(o.next()).as("stays malformed").isEqualTo(TcpOptions.MALFORMED);
    }

    private static WireStatus parse(int... bytes) {
        byte[] b = new byte[bytes.length];
        for (int i = 0; i < b.length; i++) {
            b[i] = (byte) bytes[i];
        }
        return new TcpOptions().wrap(b, 0, b.length).parse();
    }

    @Test
    void malformedHeaders() {
        byte[] b = syn();
        assertThat(new TcpHeader(b, 0, 19).check()).isEqualTo(WireStatus.TRUNCATED);
        assertThat(new TcpHeader(b, 0, 36).check()).as("data offset 40 in 36 bytes").isEqualTo(WireStatus.TRUNCATED);
        b[12] = 0x40;
        assertThat(new TcpHeader(b, 0, b.length).check()).isEqualTo(WireStatus.BAD_DATA_OFFSET);
    }

    @Test
    void randomBytesNeverThrow() {
        Random rnd = new Random(11);
        TcpHeader t = new TcpHeader();
        TcpOptions o = new TcpOptions();
        int parsed = 0;
        for (int i = 0; i < 20000; i++) {
            byte[] b = new byte[rnd.nextInt(80)];
            rnd.nextBytes(b);
            t.wrap(b, 0, b.length);
            if (t.check() == WireStatus.OK) {
                t.seq();
                t.flags();
                t.checksumValid(1, 2);
                if (t.options(o).parse() == WireStatus.OK) {
                    parsed++;
                }
                assertThat(t.payloadOffset() + t.payloadLength()).isEqualTo(b.length);
            }
            t.toString();
            // the options walker alone over any bytes
            o.wrap(b, 0, b.length);
            int guard = 0;
            while (o.next() >= 0) {
                assertThat(++guard).isLessThan(80);
            }
        }
        assertThat(parsed).isPositive();
    }
}
