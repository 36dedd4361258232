package org.protosw.wire;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.assertj.core.api.SoftAssertions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.protosw.internal.net.PcapReader;

/**
 * The views against bytes nobody here wrote: {@code wire/linux-reference.pcap} holds packets
 * made by Linux's own IP, TCP, UDP and ICMP code between two network namespaces, and
 * {@code wire/linux-reference.fields.tsv} what tshark decodes from them (both made by
 * {@code wire/make-linux-reference.sh}, which says exactly how). Every field tshark names
 * must be what the views read, every checksum Linux wrote must verify with our code, and
 * our code, filling a zeroed checksum field again, must write the very bytes Linux wrote.
 */
class LinuxReferenceTest {
    private static final int ETH_HEADER = 14;
    private static final int ETHERTYPE_IPV4 = 0x0800;
    private static final int LINKTYPE_ETHERNET = 1;
    private static final int A = 0xc0000201; // 192.0.2.1
    private static final int B = 0xc0000202; // 192.0.2.2

    /** The IPv4 packets of the capture, frame number (from 1) to bytes without the Ethernet header. */
    private static final Map<Integer, byte[]> packets = new LinkedHashMap<>();
    /** tshark's fields for each frame, by field name ("" when the frame has none). */
    private static final Map<Integer, Map<String, String>> tshark = new HashMap<>();

    @BeforeAll
    static void load() throws IOException {
        try (InputStream in = LinuxReferenceTest.class.getResourceAsStream("/wire/linux-reference.pcap");
                PcapReader r = new PcapReader(in)) {
            assertThat(r.linktype()).as("link type (captured on a veth)").isEqualTo(LINKTYPE_ETHERNET);
            int frame = 0;
            for (PcapReader.Record rec; (rec = r.next()) != null;) {
                frame++;
                byte[] f = rec.data();
                assertThat(f.length).as("frame %d kept whole", frame).isEqualTo(rec.origLen());
                assertThat(Ipv4Header.u16(f, 12)).as("frame %d ethertype", frame).isEqualTo(ETHERTYPE_IPV4);
                packets.put(frame, Arrays.copyOfRange(f, ETH_HEADER, f.length));
            }
        }
        try (InputStream in = LinuxReferenceTest.class.getResourceAsStream("/wire/linux-reference.fields.tsv")) {
            List<String> lines = new String(in.readAllBytes(), StandardCharsets.UTF_8).lines().toList();
            String[] names = lines.get(0).split("\t", -1);
            for (String line : lines.subList(1, lines.size())) {
                String[] v = line.split("\t", -1);
                Map<String, String> m = new HashMap<>();
                for (int i = 0; i < names.length; i++) {
                    m.put(names[i], i < v.length ? v[i] : "");
                }
                tshark.put(Integer.parseInt(m.get("frame.number")), m);
            }
        }
    }

    @Test
    void theCaptureHoldsWhatTheScriptMade() {
        assertThat(packets).hasSize(20);
        assertThat(tshark.keySet()).isEqualTo(packets.keySet());
        long tcp = packets.values().stream().filter(p -> proto(p) == TcpHeader.PROTOCOL).count();
        long udp = packets.values().stream().filter(p -> proto(p) == UdpHeader.PROTOCOL).count();
        long icmp = packets.values().stream().filter(p -> proto(p) == 1).count();
        assertThat(new long[] {tcp, udp, icmp}).containsExactly(10, 5, 5);
    }

    @Test
    void everyIpHeaderReadsAsTsharkDecodesItAndItsChecksumIsLinuxs() {
        SoftAssertions soft = new SoftAssertions();
        for (var e : packets.entrySet()) {
            int n = e.getKey();
            byte[] p = e.getValue();
            Map<String, String> t = tshark.get(n);
            Ipv4Header ip = new Ipv4Header(p, 0, p.length);
            soft.assertThat(ip.check()).as("frame %d check", n).isEqualTo(WireStatus.OK);
            soft.assertThat(ip.version()).as("frame %d version", n).isEqualTo(4);
            soft.assertThat(ip.id()).as("frame %d ip.id", n).isEqualTo(num(t, "ip.id"));
            soft.assertThat(ip.ttl()).as("frame %d ip.ttl", n).isEqualTo(num(t, "ip.ttl"));
            soft.assertThat(ip.fragWord() >>> 13).as("frame %d ip.flags", n).isEqualTo(num(t, "ip.flags"));
            soft.assertThat(ip.fragWord() & Ipv4Header.OFFMASK).as("frame %d ip.frag_offset", n)
                    .isEqualTo(num(t, "ip.frag_offset"));
            soft.assertThat(ip.protocol()).as("frame %d ip.proto", n).isEqualTo(num(t, "ip.proto"));
            soft.assertThat(ip.headerLength()).as("frame %d ip.hdr_len", n).isEqualTo(num(t, "ip.hdr_len"));
            soft.assertThat(ip.totalLength()).as("frame %d ip.len", n).isEqualTo(num(t, "ip.len"));
            soft.assertThat(ip.totalLength()).as("frame %d ip.len is the frame", n).isEqualTo(p.length);
            soft.assertThat(ip.checksum()).as("frame %d ip.checksum", n).isEqualTo(num(t, "ip.checksum"));
            soft.assertThat(Ipv4Header.addr(ip.src())).as("frame %d ip.src", n).isEqualTo(t.get("ip.src"));
            soft.assertThat(Ipv4Header.addr(ip.dst())).as("frame %d ip.dst", n).isEqualTo(t.get("ip.dst"));
            soft.assertThat(ip.badOptionOffset()).as("frame %d options well formed", n).isEqualTo(-1);

            soft.assertThat(ip.checksumValid()).as("frame %d: Linux's IP checksum verifies", n).isTrue();
            soft.assertThat(ip.computeChecksum()).as("frame %d: ours computes Linux's", n).isEqualTo(ip.checksum());
            byte[] again = p.clone();
            new Ipv4Header(again, 0, again.length).setChecksum(0).fillChecksum();
            soft.assertThat(again).as("frame %d: header refilled by us, byte for byte", n).isEqualTo(p);
        }
        soft.assertAll();
    }

    @Test
    void everyTcpSegmentReadsAsTsharkDecodesItAndItsChecksumIsLinuxs() {
        SoftAssertions soft = new SoftAssertions();
        TcpOptions o = new TcpOptions();
        int seen = 0;
        for (var e : packets.entrySet()) {
            int n = e.getKey();
            byte[] p = e.getValue();
            if (proto(p) != TcpHeader.PROTOCOL) {
                continue;
            }
            seen++;
            Map<String, String> t = tshark.get(n);
            Ipv4Header ip = new Ipv4Header(p, 0, p.length);
            TcpHeader tcp = new TcpHeader(p, ip.payloadOffset(), ip.payloadLength());
            soft.assertThat(tcp.check()).as("frame %d check", n).isEqualTo(WireStatus.OK);
            soft.assertThat(tcp.srcPort()).as("frame %d tcp.srcport", n).isEqualTo(num(t, "tcp.srcport"));
            soft.assertThat(tcp.dstPort()).as("frame %d tcp.dstport", n).isEqualTo(num(t, "tcp.dstport"));
            soft.assertThat(Integer.toUnsignedLong(tcp.seq())).as("frame %d tcp.seq_raw", n).isEqualTo(unsigned(t, "tcp.seq_raw"));
            soft.assertThat(Integer.toUnsignedLong(tcp.ack())).as("frame %d tcp.ack_raw", n).isEqualTo(unsigned(t, "tcp.ack_raw"));
            soft.assertThat(tcp.flags()).as("frame %d tcp.flags", n).isEqualTo(num(t, "tcp.flags"));
            soft.assertThat(tcp.window()).as("frame %d tcp.window_size_value", n).isEqualTo(num(t, "tcp.window_size_value"));
            soft.assertThat(tcp.headerLength()).as("frame %d tcp.hdr_len", n).isEqualTo(num(t, "tcp.hdr_len"));
            soft.assertThat(tcp.payloadLength()).as("frame %d tcp.len", n).isEqualTo(num(t, "tcp.len"));
            soft.assertThat(tcp.checksum()).as("frame %d tcp.checksum", n).isEqualTo(num(t, "tcp.checksum"));

            soft.assertThat(tcp.options(o).parse()).as("frame %d options", n).isEqualTo(WireStatus.OK);
            soft.assertThat(o.hasMss() ? o.mss() : -1).as("frame %d tcp.options.mss_val", n)
                    .isEqualTo(numOr(t, "tcp.options.mss_val", -1));
            soft.assertThat(o.hasWindowScale() ? o.windowScale() : -1).as("frame %d tcp.options.wscale.shift", n)
                    .isEqualTo(numOr(t, "tcp.options.wscale.shift", -1));
            soft.assertThat(o.hasTimestamp()).as("frame %d has timestamps", n).isTrue();
            soft.assertThat(Integer.toUnsignedLong(o.tsVal())).as("frame %d tsval", n)
                    .isEqualTo(unsigned(t, "tcp.options.timestamp.tsval"));
            soft.assertThat(Integer.toUnsignedLong(o.tsEcr())).as("frame %d tsecr", n)
                    .isEqualTo(unsigned(t, "tcp.options.timestamp.tsecr"));

            soft.assertThat(tcp.checksumValid(ip.src(), ip.dst())).as("frame %d: Linux's TCP checksum verifies", n).isTrue();
            soft.assertThat(tcp.checksumValid(ip.dst(), ip.src() + 1)).as("frame %d: not under another pseudo-header", n).isFalse();
            byte[] again = p.clone();
            new TcpHeader(again, ip.payloadOffset(), ip.payloadLength()).setChecksum(0).fillChecksum(ip.src(), ip.dst());
            soft.assertThat(again).as("frame %d: segment refilled by us, byte for byte", n).isEqualTo(p);
        }
        soft.assertThat(seen).isEqualTo(10);
        soft.assertAll();
    }

    /** Linux's SYN layout, and the data both ways, named here rather than taken from tshark. */
    @Test
    void linuxsSynOptionsAndTheEchoedBytes() {
        byte[] syn = packets.get(1);
        TcpHeader t = tcp(syn);
        assertThat(t.flags()).isEqualTo(TcpHeader.SYN);
        TcpOptions o = t.options(new TcpOptions());
        List<Integer> kinds = new ArrayList<>();
        for (int k; (k = o.next()) != TcpOptions.END;) {
            assertThat(k).isNotEqualTo(TcpOptions.MALFORMED);
            kinds.add(k);
        }
        assertThat(kinds).as("kinds, NOPs skipped").containsExactly(TcpOptions.KIND_MSS, TcpOptions.KIND_SACK_PERMITTED,
                TcpOptions.KIND_TIMESTAMP, TcpOptions.KIND_WINDOW_SCALE);
        // the layout byte for byte: MSS 1460, SACK permitted, timestamps (10 bytes), NOP, window scale 10
        byte[] opt = Arrays.copyOfRange(syn, t.optionsOffset(), t.optionsOffset() + t.optionsLength());
        assertThat(Arrays.copyOfRange(opt, 0, 8)).containsExactly(2, 4, 0x05, 0xb4, 4, 2, 8, 10);
        assertThat(Arrays.copyOfRange(opt, 16, 20)).containsExactly(1, 3, 3, 10);
        assertThat(o.parse()).isEqualTo(WireStatus.OK);
        assertThat(o.mss()).isEqualTo(1460);
        assertThat(o.sackPermitted()).isTrue();
        assertThat(o.windowScale()).isEqualTo(10);
        assertThat(tcp(packets.get(2)).flags()).isEqualTo(TcpHeader.SYN | TcpHeader.ACK);
        assertThat(tcp(packets.get(2)).ack()).isEqualTo(t.seq() + 1);

        for (int n : new int[] {4, 6}) {
            TcpHeader d = tcp(packets.get(n));
            assertThat(d.flags()).isEqualTo(TcpHeader.PSH | TcpHeader.ACK);
            assertThat(new String(packets.get(n), d.payloadOffset(), d.payloadLength(), StandardCharsets.US_ASCII))
                    .isEqualTo("protosw reference\n");
        }
        assertThat(tcp(packets.get(8)).flags()).isEqualTo(TcpHeader.FIN | TcpHeader.ACK);
    }

    @Test
    void everyUdpDatagramReadsAsTsharkDecodesItAndItsChecksumIsLinuxs() {
        SoftAssertions soft = new SoftAssertions();
        for (int n : new int[] {11, 12, 13}) {
            byte[] p = packets.get(n);
            Map<String, String> t = tshark.get(n);
            Ipv4Header ip = new Ipv4Header(p, 0, p.length);
            UdpHeader u = new UdpHeader(p, ip.payloadOffset(), ip.payloadLength());
            soft.assertThat(u.check()).as("frame %d check", n).isEqualTo(WireStatus.OK);
            soft.assertThat(u.srcPort()).as("frame %d udp.srcport", n).isEqualTo(num(t, "udp.srcport"));
            soft.assertThat(u.dstPort()).as("frame %d udp.dstport", n).isEqualTo(num(t, "udp.dstport"));
            soft.assertThat(u.length()).as("frame %d udp.length", n).isEqualTo(num(t, "udp.length"));
            soft.assertThat(u.checksum()).as("frame %d udp.checksum", n).isEqualTo(num(t, "udp.checksum"));
            soft.assertThat(u.checksum()).as("frame %d: Linux computed one", n).isNotZero();
            soft.assertThat(u.checksumValid(ip.src(), ip.dst())).as("frame %d: Linux's UDP checksum verifies", n).isTrue();
            soft.assertThat(u.checksumValid(ip.src(), ip.dst() + 1)).as("frame %d: not under another pseudo-header", n).isFalse();
            byte[] again = p.clone();
            new UdpHeader(again, ip.payloadOffset(), ip.payloadLength()).setChecksum(0).fillChecksum(ip.src(), ip.dst());
            soft.assertThat(again).as("frame %d: datagram refilled by us, byte for byte", n).isEqualTo(p);
        }
        soft.assertAll();
        UdpHeader echo = udp(packets.get(12));
        assertThat(new String(packets.get(12), echo.payloadOffset(), echo.payloadLength(), StandardCharsets.US_ASCII))
                .isEqualTo("protosw udp\n");
    }

    /** Frames 19 and 20: Linux fragmented a 2008-byte datagram; the UDP checksum covers the reassembled whole. */
    @Test
    void linuxsFragmentsReassembleToADatagramWhoseChecksumIsLinuxs() {
        Ipv4Header first = new Ipv4Header(packets.get(19), 0, packets.get(19).length);
        Ipv4Header second = new Ipv4Header(packets.get(20), 0, packets.get(20).length);
        assertThat(first.moreFragments()).isTrue();
        assertThat(first.dontFragment()).isFalse();
        assertThat(first.fragmentOffset()).isZero();
        assertThat(second.moreFragments()).isFalse();
        assertThat(second.fragmentOffset()).isEqualTo(first.payloadLength()).isEqualTo(1480);
        assertThat(first.isFragment()).isTrue();
        assertThat(second.isFragment()).isTrue();
        assertThat(second.id()).isEqualTo(first.id());

        byte[] d = new byte[first.payloadLength() + second.payloadLength()];
        System.arraycopy(first.buffer(), first.payloadOffset(), d, 0, first.payloadLength());
        System.arraycopy(second.buffer(), second.payloadOffset(), d, second.fragmentOffset(), second.payloadLength());
        UdpHeader u = new UdpHeader(d, 0, d.length);
        Map<String, String> t = tshark.get(19);
        assertThat(u.check()).isEqualTo(WireStatus.OK);
        assertThat(u.srcPort()).isEqualTo(num(t, "udp.srcport")).isEqualTo(40003);
        assertThat(u.dstPort()).isEqualTo(num(t, "udp.dstport")).isEqualTo(19);
        assertThat(u.length()).isEqualTo(num(t, "udp.length")).isEqualTo(2008).isEqualTo(d.length);
        assertThat(u.checksum()).isEqualTo(num(t, "udp.checksum"));
        assertThat(u.checksumValid(first.src(), first.dst())).isTrue();
        for (int i = 0; i < 2000; i++) {
            assertThat(d[UdpHeader.LENGTH + i] & 0xff).as("payload byte %d", i).isEqualTo(i % 251);
        }
        byte[] again = d.clone();
        new UdpHeader(again, 0, again.length).setChecksum(0).fillChecksum(first.src(), first.dst());
        assertThat(again).isEqualTo(d);
    }

    @Test
    void everyIcmpMessageReadsAsTsharkDecodesItAndItsChecksumIsLinuxs() {
        SoftAssertions soft = new SoftAssertions();
        for (int n : new int[] {14, 15, 16, 17, 18}) {
            byte[] p = packets.get(n);
            Map<String, String> t = tshark.get(n);
            Ipv4Header ip = new Ipv4Header(p, 0, p.length);
            IcmpHeader icmp = new IcmpHeader(p, ip.payloadOffset(), ip.payloadLength());
            soft.assertThat(icmp.check()).as("frame %d check", n).isEqualTo(WireStatus.OK);
            soft.assertThat(icmp.type()).as("frame %d icmp.type", n).isEqualTo(num(t, "icmp.type"));
            soft.assertThat(icmp.code()).as("frame %d icmp.code", n).isEqualTo(num(t, "icmp.code"));
            soft.assertThat(icmp.checksum()).as("frame %d icmp.checksum", n).isEqualTo(num(t, "icmp.checksum"));
            if (!IcmpHeader.isError(icmp.type())) {
                soft.assertThat(icmp.id()).as("frame %d icmp.ident", n).isEqualTo(num(t, "icmp.ident"));
                soft.assertThat(icmp.seq()).as("frame %d icmp.seq", n).isEqualTo(num(t, "icmp.seq"));
            }
            soft.assertThat(icmp.checksumValid()).as("frame %d: Linux's ICMP checksum verifies", n).isTrue();
            byte[] again = p.clone();
            new IcmpHeader(again, ip.payloadOffset(), ip.payloadLength()).setChecksum(0).fillChecksum();
            soft.assertThat(again).as("frame %d: message refilled by us, byte for byte", n).isEqualTo(p);
        }
        soft.assertAll();
    }

    /** Frame 14: Linux's port unreachable for frame 13 quotes its IP header and UDP header. */
    @Test
    void linuxsPortUnreachableQuotesTheDatagram() {
        byte[] p = packets.get(14);
        Ipv4Header ip = new Ipv4Header(p, 0, p.length);
        IcmpHeader icmp = new IcmpHeader(p, ip.payloadOffset(), ip.payloadLength());
        assertThat(icmp.type()).isEqualTo(IcmpHeader.UNREACH);
        assertThat(icmp.code()).isEqualTo(IcmpHeader.UNREACH_PORT);
        assertThat(icmp.restOfHeader()).isZero();
        Ipv4Header quoted = new Ipv4Header(p, icmp.dataOffset(), icmp.dataLength());
        assertThat(quoted.check()).isEqualTo(WireStatus.OK);
        assertThat(quoted.src()).isEqualTo(A);
        assertThat(quoted.dst()).isEqualTo(B);
        assertThat(quoted.protocol()).isEqualTo(UdpHeader.PROTOCOL);
        assertThat(quoted.checksumValid()).isTrue();
        byte[] original = packets.get(13);
        assertThat(Arrays.copyOfRange(p, icmp.dataOffset(), p.length)).as("the whole datagram is quoted").isEqualTo(original);
        UdpHeader u = new UdpHeader(p, quoted.payloadOffset(), quoted.payloadLength());
        Map<String, String> t = tshark.get(14); // tshark's first udp fields are the quoted ones
        assertThat(u.srcPort()).isEqualTo(num(t, "udp.srcport")).isEqualTo(40002);
        assertThat(u.dstPort()).isEqualTo(num(t, "udp.dstport")).isEqualTo(9);
        assertThat(u.checksum()).isEqualTo(num(t, "udp.checksum"));
        assertThat(u.checksumValid(quoted.src(), quoted.dst())).isTrue();
    }

    /**
     * Frames 17 and 18: ping -R, a record-route option filling the 60-byte header. The
     * request carries NOP, then the option (type 7, length 39) with pointer 8 after the
     * sender recorded itself; the reply carries it first, pointer 16 after three addresses,
     * and EOL padding.
     */
    @Test
    void linuxsRecordRouteOptionsAreWellFormed() {
        int[][] expect = {{17, 1, 8, A}, {18, 0, 16, A, B, B}};
        for (int[] x : expect) {
            byte[] p = packets.get(x[0]);
            Ipv4Header ip = new Ipv4Header(p, 0, p.length);
            assertThat(ip.headerLength()).isEqualTo(Ipv4Header.MAX_LENGTH);
            assertThat(ip.optionsLength()).isEqualTo(40);
            assertThat(ip.badOptionOffset()).as("frame %d options well formed", x[0]).isEqualTo(-1);
            int rr = ip.optionsOffset() + x[1];
            assertThat(p[rr] & 0xff).as("frame %d option type: record route", x[0]).isEqualTo(7);
            assertThat(p[rr + 1] & 0xff).as("option length: 39 (9 addresses)").isEqualTo(39);
            assertThat(p[rr + 2] & 0xff).as("pointer").isEqualTo(x[2]);
            for (int i = 3; i < x.length; i++) {
                assertThat(Ipv4Header.u32(p, rr + 3 + 4 * (i - 3))).as("recorded address %d", i - 3).isEqualTo(x[i]);
            }
            assertThat(new IcmpHeader(p, ip.payloadOffset(), ip.payloadLength()).checksumValid()).isTrue();
        }
    }

    private static int proto(byte[] p) {
        return p[Ipv4Header.OFF_PROTOCOL] & 0xff;
    }

    private static TcpHeader tcp(byte[] p) {
        Ipv4Header ip = new Ipv4Header(p, 0, p.length);
        return new TcpHeader(p, ip.payloadOffset(), ip.payloadLength());
    }

    private static UdpHeader udp(byte[] p) {
        Ipv4Header ip = new Ipv4Header(p, 0, p.length);
        return new UdpHeader(p, ip.payloadOffset(), ip.payloadLength());
    }

    /** A field tshark printed in decimal or 0x hex; fails when it printed none. */
    private static int num(Map<String, String> t, String field) {
        String v = t.get(field);
        assertThat(v).as("tshark field %s of frame %s", field, t.get("frame.number")).isNotNull().isNotEmpty();
        return (int) Long.decode(v).longValue();
    }

    private static int numOr(Map<String, String> t, String field, int none) {
        String v = t.get(field);
        return v == null || v.isEmpty() ? none : num(t, field);
    }

    private static long unsigned(Map<String, String> t, String field) {
        return Integer.toUnsignedLong(num(t, field));
    }
}
