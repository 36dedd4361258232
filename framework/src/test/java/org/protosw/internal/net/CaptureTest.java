package org.protosw.internal.net;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.protosw.socket.Errno;
import org.protosw.socket.SocketException;
import org.protosw.spi.Packet;
import org.protosw.wire.Checksum;

class CaptureTest {
    private static final int A = 0x0a000001; // 10.0.0.1
    private static final int B = 0x0a000002; // 10.0.0.2

    @TempDir
    Path dir;

    /** A well-formed IPv4/UDP datagram with correct checksums and a seeded payload. */
    static Packet udp(int src, int dst, int sport, int dport, int payloadLen, long seed) {
        int len = 20 + 8 + payloadLen;
        Packet p = Packet.allocate(len);
        p.set8(0, 0x45);
        p.set16(2, len);
        p.set16(4, (int) (seed & 0xffff));
        p.set8(8, 64);
        p.set8(9, 17);
        p.set32(12, src);
        p.set32(16, dst);
        p.set16(10, Checksum.compute(p.array(), p.offset(), 20));
        p.set16(20, sport);
        p.set16(22, dport);
        p.set16(24, 8 + payloadLen);
        byte[] payload = new byte[payloadLen];
        new SplittableRandom(seed).nextBytes(payload);
        System.arraycopy(payload, 0, p.array(), p.offset() + 28, payloadLen);
        int sum = Checksum.sum(p.array(), p.offset() + 20, 8 + payloadLen, Checksum.pseudoHeader(src, dst, 17, 8 + payloadLen));
        int ck = Checksum.finish(sum);
        p.set16(26, ck == 0 ? 0xffff : ck);
        return p;
    }

    @Test
    void writerAndReaderRoundTrip() throws IOException {
        Path f = dir.resolve("rt.pcap");
        byte[] one = {0x45, 0, 0, 20, 1, 2, 3, 4};
        byte[] two = new byte[300];
        new SplittableRandom(1).nextBytes(two);
        try (PcapWriter w = PcapWriter.create(f, 100)) {
            w.write(1_700_000_000_123_456L, one, 0, one.length);
            w.write(1_700_000_001_000_001L, two, 0, two.length);
            w.write(1_700_000_002_000_000L, two, 10, 50);
            assertThat(w.packets()).isEqualTo(3);
            assertThat(w.bytes()).isEqualTo(8 + 100 + 50);
        }
        byte[] raw = Files.readAllBytes(f);
        assertThat(raw.length).isEqualTo(24 + 3 * 16 + 8 + 100 + 50);
        // little-endian 0xa1b2c3d4, version 2.4, LINKTYPE_RAW
        assertThat(Arrays.copyOfRange(raw, 0, 4)).containsExactly(0xd4, 0xc3, 0xb2, 0xa1);
        assertThat(raw[4]).isEqualTo((byte) 2);
        assertThat(raw[6]).isEqualTo((byte) 4);
        assertThat(raw[20]).isEqualTo((byte) 101);

        try (PcapReader r = PcapReader.open(f)) {
            assertThat(r.versionMajor()).isEqualTo(2);
            assertThat(r.versionMinor()).isEqualTo(4);
            assertThat(r.snaplen()).isEqualTo(100);
            assertThat(r.linktype()).isEqualTo(PcapWriter.LINKTYPE_RAW);
            assertThat(r.bigEndian()).isFalse();
            PcapReader.Record r1 = r.next();
            assertThat(r1.timeMicros()).isEqualTo(1_700_000_000_123_456L);
            assertThat(r1.data()).isEqualTo(one);
            assertThat(r1.origLen()).isEqualTo(8);
            PcapReader.Record r2 = r.next();
            assertThat(r2.data()).isEqualTo(Arrays.copyOf(two, 100));
            assertThat(r2.origLen()).isEqualTo(300);
            PcapReader.Record r3 = r.next();
            assertThat(r3.data()).isEqualTo(Arrays.copyOfRange(two, 10, 60));
            assertThat(r.next()).isNull();
        }
    }

    @Test
    void readerChecksTheHeaderAndLengths() throws IOException {
        assertThatThrownBy(() -> new PcapReader(new ByteArrayInputStream(new byte[10])))
                .isInstanceOf(IOException.class).hasMessageContaining("shorter");
        byte[] junk = new byte[24];
        junk[0] = 0x7f;
        assertThatThrownBy(() -> new PcapReader(new ByteArrayInputStream(junk)))
                .isInstanceOf(IOException.class).hasMessageContaining("not a pcap file").hasMessageContaining("0xa1b2c3d4");

        // a big-endian file, as written on other hosts, with one record cut short
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        b.writeBytes(new byte[] {(byte) 0xa1, (byte) 0xb2, (byte) 0xc3, (byte) 0xd4, 0, 2, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 64, 0, 0, 0, 101});
        b.writeBytes(new byte[] {0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 4, 0, 0, 0, 4, 9, 8, 7, 6});
        b.writeBytes(new byte[] {0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 30, 0, 0, 0, 30, 1, 2});
        try (PcapReader r = new PcapReader(new ByteArrayInputStream(b.toByteArray()))) {
            assertThat(r.bigEndian()).isTrue();
            assertThat(r.snaplen()).isEqualTo(64);
            assertThat(r.linktype()).isEqualTo(101);
            PcapReader.Record rec = r.next();
            assertThat(rec.timeMicros()).isEqualTo(1_000_002L);
            assertThat(rec.data()).containsExactly(9, 8, 7, 6);
            assertThatThrownBy(r::next).isInstanceOf(EOFException.class).hasMessageContaining("cut short");
        }

        // a record longer than the snaplen is refused, not allocated
        ByteArrayOutputStream c = new ByteArrayOutputStream();
        c.writeBytes(Arrays.copyOf(b.toByteArray(), 24));
        c.writeBytes(new byte[] {0, 0, 0, 1, 0, 0, 0, 2, 0x7f, 0, 0, 0, 0x7f, 0, 0, 0});
        try (PcapReader r = new PcapReader(new ByteArrayInputStream(c.toByteArray()))) {
            assertThatThrownBy(r::next).isInstanceOf(IOException.class).hasMessageContaining("exceeds the snaplen");
        }
    }

    @Test
    void capturesBothDirectionsWithTheExactBytes() throws Exception {
        Epair e = new Epair(0);
        e.a().setInputHandler(new Sink());
        e.b().setInputHandler(new Sink());
        Path f = dir.resolve("a.pcap");
        List<byte[]> expected = new ArrayList<>();
        try (CaptureTable t = new CaptureTable()) {
            int id = t.start(e.a(), f, 0, 0, null);
            assertThat(e.a().captureTap()).isInstanceOf(Capture.class);
            for (int i = 0; i < 3; i++) {
                Packet out = udp(A, B, 4000 + i, 53, 10 + i * 100, i);
                expected.add(out.toByteArray());
                e.a().output(out, B);
                Packet in = udp(B, A, 53, 4000 + i, 20 + i, 100 + i);
                expected.add(in.toByteArray());
                e.b().output(in, A);
            }
            CaptureInfo info = t.list().getFirst();
            assertThat(info.id()).isEqualTo(id);
            assertThat(info.ifname()).isEqualTo("epair0a");
            assertThat(info.file()).isEqualTo(f);
            assertThat(info.direction()).isEqualTo("both");
            assertThat(info.packets()).isEqualTo(6);
            assertThat(info.bytes()).isEqualTo(expected.stream().mapToLong(x -> x.length).sum());
            assertThat(info.state()).isEqualTo(Capture.State.RUNNING);

            CaptureInfo last = t.stop(id);
            assertThat(last.state()).isEqualTo(Capture.State.STOPPED);
            assertThat(e.a().captureTap()).isNull();
            assertThat(t.list()).isEmpty();
        }
        List<PcapReader.Record> recs = PcapReader.readAll(f);
        assertThat(recs).hasSize(6);
        for (int i = 0; i < 6; i++) {
            assertThat(recs.get(i).data()).isEqualTo(expected.get(i));
            assertThat(recs.get(i).origLen()).isEqualTo(expected.get(i).length);
        }
        long now = System.currentTimeMillis() * 1000;
        assertThat(recs.getFirst().timeMicros()).isBetween(now - 3_600_000_000L, now + 1_000_000L);
        assertThat(recs.get(5).timeMicros()).isGreaterThanOrEqualTo(recs.getFirst().timeMicros());
    }

    @Test
    void directionFilterAndSnaplen() throws Exception {
        Epair e = new Epair(1);
        e.b().setInputHandler(new Sink());
        e.a().setInputHandler(new Sink());
        Path f = dir.resolve("in.pcap");
        try (CaptureTable t = new CaptureTable()) {
            t.start(e.b(), f, 40, 0, "in");
            Packet toB = udp(A, B, 1, 2, 100, 5);
            byte[] bytes = toB.toByteArray();
            e.a().output(toB, B);
            e.b().output(udp(B, A, 2, 1, 100, 6), A); // outbound on b: not captured
            assertThat(t.stop("epair1b").packets()).isEqualTo(1);
            List<PcapReader.Record> recs = PcapReader.readAll(f);
            assertThat(recs).hasSize(1);
            assertThat(recs.getFirst().data()).isEqualTo(Arrays.copyOf(bytes, 40));
            assertThat(recs.getFirst().origLen()).isEqualTo(128);
        }
    }

    @Test
    void stopsItselfAfterThePacketLimit() throws Exception {
        Loopback lo = new Loopback();
        lo.setInputHandler(new Sink());
        Path f = dir.resolve("lo.pcap");
        try (CaptureTable t = new CaptureTable()) {
            int id = t.start(lo, f, 0, 3, "out");
            for (int i = 0; i < 5; i++) {
                lo.output(udp(0x7f000001, 0x7f000001, 9, 9, 10, i), 0x7f000001);
            }
            CaptureInfo info = t.list().getFirst();
            assertThat(info.id()).isEqualTo(id);
            assertThat(info.state()).isEqualTo(Capture.State.DONE);
            assertThat(info.packets()).isEqualTo(3);
            assertThat(info.maxPackets()).isEqualTo(3);
            assertThat(lo.captureTap()).isNull();
            assertThat(PcapReader.readAll(f)).hasSize(3);
            // a finished capture no longer holds the interface
            int again = t.start(lo, dir.resolve("lo2.pcap"), 0, 0, "both");
            assertThat(again).isNotEqualTo(id);
            assertThat(t.list()).extracting(CaptureInfo::state).containsExactly(Capture.State.DONE, Capture.State.RUNNING);
        }
        assertThat(lo.captureTap()).isNull();
    }

    @Test
    void interfaceDestroyedClosesTheCapture() throws Exception {
        Epair e = new Epair(2);
        e.b().setInputHandler(new Sink());
        Path f = dir.resolve("gone.pcap");
        try (CaptureTable t = new CaptureTable()) {
            t.start(e.a(), f, 0, 0, "out");
            e.a().output(udp(A, B, 1, 2, 3, 4), B);
            e.b().destroy();
            assertThat(t.list().getFirst().state()).isEqualTo(Capture.State.DETACHED);
            assertThat(PcapReader.readAll(f)).hasSize(1);
            assertThatThrownBy(() -> t.stop("epair2a")).isInstanceOf(SocketException.class).hasMessageContaining("no capture runs on epair2a");
        }
    }

    @Test
    void errorsCarryTheirErrno() throws Exception {
        Loopback lo = new Loopback();
        try (CaptureTable t = new CaptureTable()) {
            assertErrno(() -> t.start(lo, dir.resolve("x.pcap"), 0, 0, "sideways"), Errno.EINVAL, "in, out, both");
            assertErrno(() -> t.start(lo, dir.resolve("x.pcap"), 70000, 0, null), Errno.EINVAL, "1 to 65535");
            assertErrno(() -> t.start(lo, dir.resolve("x.pcap"), 0, -1, null), Errno.EINVAL, "negative");
            assertErrno(() -> t.start(lo, dir.resolve("no/such/dir/x.pcap"), 0, 0, null), Errno.ENOENT, "x.pcap");
            int id = t.start(lo, dir.resolve("x.pcap"), 0, 0, null);
            assertErrno(() -> t.start(lo, dir.resolve("y.pcap"), 0, 0, null), Errno.EBUSY, "capture " + id + " already runs on lo0");
            assertErrno(() -> t.stop(id + 1), Errno.ENOENT, "no capture " + (id + 1));
            assertErrno(() -> t.stop("lo9"), Errno.ENOENT, "lo9");
        }
        assertThat(lo.captureTap()).isNull();
    }

    private interface Call {
        void run() throws Exception;
    }

    private static void assertErrno(Call c, Errno errno, String text) {
        assertThatThrownBy(c::run).isInstanceOf(SocketException.class).hasMessageContaining(text)
                .satisfies(x -> assertThat(((SocketException) x).errno()).isEqualTo(errno));
    }

    @Test
    void tsharkReadsTheFile() throws Exception {
        Tshark tshark = Tshark.require("tshark reads our pcap files", dir);
        Epair e = new Epair(5);
        e.b().setInputHandler(new Sink());
        e.a().setInputHandler(new Sink());
        Path f = dir.resolve("tshark.pcap");
        try (CaptureTable t = new CaptureTable()) {
            t.start(e.a(), f, 0, 0, null);
            for (int i = 0; i < 4; i++) {
                e.a().output(udp(A, B, 5000 + i, 9, 32 * i, i), B);
                e.b().output(udp(B, A, 9, 5000 + i, 16, 50 + i), A);
            }
        }
        // tshark's exit status is checked by read
        String text = tshark.read(f, java.util.List.of());
        assertThat(text.toLowerCase(Locale.ROOT)).doesNotContain("malformed");
        assertThat(text.lines().filter(l -> l.contains("UDP"))).hasSize(8);
        assertThat(text).contains("10.0.0.1").contains("10.0.0.2");
    }
}
