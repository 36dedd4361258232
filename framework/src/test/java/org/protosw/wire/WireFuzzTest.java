package org.protosw.wire;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;

/**
 * Fuzz targets for the packet views (smoltcp's wire tests taken to random bytes). The
 * promise each checks is the one {@code org.protosw.wire} makes: {@code check()} answers a
 * status for any bytes at any offset and never throws; once it answered OK, every accessor
 * stays inside the wrapped region, and the lengths it reports add up to what is there.
 *
 * <p>Without {@code JAZZER_FUZZ} each target replays its seeds in
 * {@code src/test/resources/org/protosw/wire/WireFuzzTestInputs/<method>/} (regression
 * mode, part of the suite); with {@code JAZZER_FUZZ=1} the one named by {@code -Dtest}
 * is fuzzed (README: "Fuzzing").
 */
class WireFuzzTest {

    /** The bytes placed at a fuzzed offset inside a larger array, so no view may assume offset 0. */
    private record Placed(byte[] buf, int off, int len) {
        static Placed of(FuzzedDataProvider data) {
            int pad = data.consumeInt(0, 7);
            int tail = data.consumeInt(0, 7);
            byte[] body = data.consumeRemainingAsBytes();
            byte[] buf = new byte[pad + body.length + tail];
            System.arraycopy(body, 0, buf, pad, body.length);
            return new Placed(buf, pad, body.length);
        }
    }

    @FuzzTest(maxDuration = "5s")
    void ipv4Header(FuzzedDataProvider data) {
        Placed in = Placed.of(data);
        Ipv4Header h = new Ipv4Header(in.buf, in.off, in.len);
        WireStatus st = h.check();
        assertThat(Ipv4Header.check(in.buf, in.off, in.len)).isEqualTo(st);
        if (st != WireStatus.OK) {
            return;
        }
        int hlen = h.headerLength();
        assertThat(hlen).isBetween(Ipv4Header.MIN_LENGTH, Math.min(Ipv4Header.MAX_LENGTH, in.len));
        assertThat(h.totalLength()).isBetween(hlen, in.len);
        assertThat(h.payloadOffset()).isEqualTo(in.off + hlen);
        assertThat(h.payloadOffset() + h.payloadLength()).isLessThanOrEqualTo(in.off + in.len);
        assertThat(h.optionsOffset() + h.optionsLength()).isEqualTo(h.payloadOffset());
        h.version();
        h.tos();
        h.id();
        h.fragmentOffset();
        h.isFragment();
        h.ttl();
        h.protocol();
        h.src();
        h.dst();
        h.toString();
        int bad = h.badOptionOffset();
        assertThat(bad).isBetween(-1, hlen - 1);
        if (bad < 0) {
            byte[] copy = new byte[Ipv4Header.MAX_LENGTH];
            int n = Ipv4Header.copyCopiedOptions(in.buf, in.off, hlen, copy, 0);
            assertThat(n).isBetween(0, hlen - Ipv4Header.MIN_LENGTH).matches(v -> v % 4 == 0, "a multiple of 4");
        }
        h.fillChecksum();
        assertThat(h.checksumValid()).isTrue();
        int ttl = h.ttl();
        if (ttl > 0) {
            h.decrementTtl();
            assertThat(h.ttl()).isEqualTo(ttl - 1);
            assertThat(h.checksumValid()).as("RFC 1624 update keeps the header valid").isTrue();
        }
    }

    @FuzzTest(maxDuration = "5s")
    void icmpHeader(FuzzedDataProvider data) {
        Placed in = Placed.of(data);
        IcmpHeader h = new IcmpHeader(in.buf, in.off, in.len);
        if (h.check() != WireStatus.OK) {
            assertThat(h.checksumValid() && in.len < IcmpHeader.MIN_LENGTH).isFalse();
            return;
        }
        assertThat(h.dataOffset() + h.dataLength()).isEqualTo(in.off + in.len);
        h.type();
        h.code();
        h.id();
        h.seq();
        h.nextHopMtu();
        h.pointer();
        h.gateway();
        h.restOfHeader();
        h.toString();
        IcmpHeader.typeName(h.type());
        IcmpHeader.maxCode(h.type());
        if (IcmpHeader.isError(h.type())) {
            // what ICMP input quotes must be a header it can check in turn
            Ipv4Header quoted = new Ipv4Header(in.buf, h.dataOffset(), h.dataLength());
            assertThat(quoted.headerLength() + 8).isLessThanOrEqualTo(h.dataLength());
            assertThat(quoted.version()).isEqualTo(4);
        }
        h.fillChecksum();
        assertThat(h.checksumValid()).isTrue();
    }

    @FuzzTest(maxDuration = "5s")
    void udpHeader(FuzzedDataProvider data) {
        int src = data.consumeInt();
        int dst = data.consumeInt();
        Placed in = Placed.of(data);
        UdpHeader h = new UdpHeader(in.buf, in.off, in.len);
        if (h.check() != WireStatus.OK) {
            return;
        }
        assertThat(h.length()).isBetween(UdpHeader.LENGTH, in.len);
        assertThat(h.payloadOffset() + h.payloadLength()).isLessThanOrEqualTo(in.off + in.len);
        h.srcPort();
        h.dstPort();
        h.checksumValid(src, dst);
        h.toString();
        h.fillChecksum(src, dst);
        assertThat(h.checksum()).as("0 means none: a computed zero goes out as 0xffff").isNotZero();
        assertThat(h.checksumValid(src, dst)).isTrue();
    }

    @FuzzTest(maxDuration = "5s")
    void tcpHeader(FuzzedDataProvider data) {
        int src = data.consumeInt();
        int dst = data.consumeInt();
        Placed in = Placed.of(data);
        TcpHeader h = new TcpHeader(in.buf, in.off, in.len);
        if (h.check() != WireStatus.OK) {
            return;
        }
        int hlen = h.headerLength();
        assertThat(hlen).isBetween(TcpHeader.MIN_LENGTH, in.len);
        assertThat(h.payloadOffset() + h.payloadLength()).isEqualTo(in.off + in.len);
        h.srcPort();
        h.dstPort();
        h.seq();
        h.ack();
        h.flags();
        h.window();
        h.urgentPointer();
        h.toString();
        TcpHeader.flagString(h.flags());
        TcpOptions o = h.options(new TcpOptions());
        walkOptions(o, h.optionsOffset(), h.optionsOffset() + h.optionsLength());
        h.fillChecksum(src, dst);
        assertThat(h.checksumValid(src, dst)).isTrue();
    }

    @FuzzTest(maxDuration = "5s")
    void tcpOptions(FuzzedDataProvider data) {
        Placed in = Placed.of(data);
        TcpOptions o = new TcpOptions().wrap(in.buf, in.off, in.len);
        walkOptions(o, in.off, in.off + in.len);
    }

    /** Iterates, then parses: every option and every value read lies inside [start, end). */
    private static void walkOptions(TcpOptions o, int start, int end) {
        int steps = 0;
        for (int k = o.next(); k != TcpOptions.END && k != TcpOptions.MALFORMED; k = o.next()) {
            assertThat(++steps).as("iteration ends").isLessThanOrEqualTo(end - start);
            int at = o.optionOffset();
            assertThat(at).isGreaterThanOrEqualTo(start);
            assertThat(at + o.optionLength()).isLessThanOrEqualTo(end);
            assertThat(o.kind()).isEqualTo(k);
            switch (k) {
                case TcpOptions.KIND_MSS -> o.currentMss();
                case TcpOptions.KIND_WINDOW_SCALE -> o.currentWindowScale();
                case TcpOptions.KIND_TIMESTAMP -> {
                    o.currentTsVal();
                    o.currentTsEcr();
                }
                case TcpOptions.KIND_SACK -> {
                    int n = o.currentSackBlocks();
                    assertThat(n).isBetween(1, TcpOptions.MAX_SACK_BLOCKS);
                    for (int i = 0; i < n; i++) {
                        o.currentSackLeft(i);
                        o.currentSackRight(i);
                    }
                }
                default -> {
                }
            }
        }
        WireStatus st = o.parse();
        assertThat(st).isIn(WireStatus.OK, WireStatus.BAD_OPTION);
        if (o.hasMss()) {
            assertThat(o.mss()).isBetween(0, 0xffff);
        }
        if (o.hasWindowScale()) {
            assertThat(o.windowScale()).isBetween(0, 255);
        }
        o.sackPermitted();
        if (o.hasTimestamp()) {
            o.tsVal();
            o.tsEcr();
        }
        int blocks = o.sackBlockCount();
        assertThat(blocks).isBetween(0, TcpOptions.MAX_SACK_BLOCKS);
        for (int i = 0; i < blocks; i++) {
            o.sackLeft(i);
            o.sackRight(i);
        }
    }

    @FuzzTest(maxDuration = "5s")
    void checksum(FuzzedDataProvider data) {
        int initial = data.consumeInt(0, 0xffff);
        int word = data.consumeInt(0, 0xffff);
        Placed in = Placed.of(data);
        assertThat(Checksum.sum(in.buf, in.off, in.len, initial)).isEqualTo(reference(in.buf, in.off, in.len, initial));
        if (in.len < 2) {
            return;
        }
        // a valid message stays valid through an RFC 1624 update of its first word
        int fieldAt = in.off + (in.len >= 4 ? 2 : 0);
        in.buf[fieldAt] = 0;
        in.buf[fieldAt + 1] = 0;
        int csum = Checksum.compute(in.buf, in.off, in.len);
        Ipv4Header.put16(in.buf, fieldAt, csum);
        assertThat(Checksum.verify(in.buf, in.off, in.len)).isTrue();
        if (fieldAt != in.off) {
            int old = Ipv4Header.u16(in.buf, in.off);
            Ipv4Header.put16(in.buf, in.off, word);
            Ipv4Header.put16(in.buf, fieldAt, Checksum.adjust(Ipv4Header.u16(in.buf, fieldAt), old, word));
            int field = Ipv4Header.u16(in.buf, fieldAt);
            Ipv4Header.put16(in.buf, fieldAt, 0);
            boolean allZero = Checksum.sum(in.buf, in.off, in.len, 0) == 0;
            Ipv4Header.put16(in.buf, fieldAt, field);
            if (allZero) {
                // RFC 1624 §3: eqn. 3 answers +0 where recomputing answers -0 (0xffff) only when
                // every other covered byte is zero, which no IPv4/ICMP/TCP header can be
                // (found by this target; adjust is used for TTL and header rewrites only)
                assertThat(field).isIn(0, 0xffff);
            } else {
                assertThat(Checksum.verify(in.buf, in.off, in.len)).as("after adjust").isTrue();
            }
        }
    }

    /** RFC 1071 the slow way: 16-bit words, end-around carry at each step. */
    private static int reference(byte[] b, int off, int len, int initial) {
        int sum = initial;
        for (int i = 0; i < len; i += 2) {
            int w = (b[off + i] & 0xff) << 8 | (i + 1 < len ? b[off + i + 1] & 0xff : 0);
            sum += w;
            sum = (sum & 0xffff) + (sum >>> 16);
        }
        return sum;
    }
}
