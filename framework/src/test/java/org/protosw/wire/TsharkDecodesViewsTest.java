package org.protosw.wire;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

import org.assertj.core.api.SoftAssertions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.protosw.internal.net.PcapWriter;
import org.protosw.internal.net.Tshark;

/**
 * Packets built with the views' setters and checksum fillers, decoded by tshark with checksum
 * validation on: tshark must call every IP, TCP, UDP and ICMP checksum good, find nothing
 * malformed, and read back exactly the fields we set. A control file with one checksum off
 * by one shows the validation really runs (tshark answers "Bad" there, not "Unverified").
 * Needs tshark: skipped without it, failed under CI=true.
 */
class TsharkDecodesViewsTest {
    private static final int A = 0xc0000201; // 192.0.2.1
    private static final int C = 0xc6336407; // 198.51.100.7
    private static final int GOOD = 1; // tshark's checksum.status: 0 bad, 1 good, 2 unverified
    private static final int BAD = 0;

    @TempDir
    Path dir;

    /** What we set, by tshark field name, for each frame (from 1): the field's first occurrence. */
    private final Map<Integer, Map<String, Object>> expected = new LinkedHashMap<>();
    /** The same for fields that occur more than once in a frame: all of them, comma-separated. */
    private final Map<Integer, Map<String, Object>> expectedAll = new LinkedHashMap<>();
    private final List<byte[]> frames = new ArrayList<>();

    @Test
    void tsharkCallsEveryChecksumGoodAndReadsTheFieldsWeSet() throws Exception {
        Tshark tshark = Tshark.require("packets built by org.protosw.wire decode as tshark reads them", dir);
        build();
        Path file = write("views.pcap", frames);

        List<String> opts = new ArrayList<>(Tshark.CHECK_CHECKSUMS);
        opts.addAll(List.of("-o", "tcp.relative_sequence_numbers:FALSE", "-o", "tcp.analyze_sequence_numbers:FALSE"));
        SoftAssertions soft = new SoftAssertions();
        compare(soft, tshark, file, opts, 'f', expected);
        compare(soft, tshark, file, opts, 'a', expectedAll);
        soft.assertAll();

        String verbose = tshark.read(file, withV(opts)).toLowerCase(Locale.ROOT);
        assertThat(verbose).as("tshark -V").doesNotContain("malformed").doesNotContain("incorrect")
                .doesNotContain("[bad").doesNotContain("unverified");
        assertThat(verbose).contains("[checksum status: good]");
    }

    @Test
    void tsharkCallsAChecksumOffByOneBad() throws Exception {
        Tshark tshark = Tshark.require("packets built by org.protosw.wire decode as tshark reads them", dir);
        build();
        List<byte[]> broken = new ArrayList<>();
        for (int i : new int[] {0, 2, 4}) { // the SYN, a UDP datagram, an echo request
            byte[] p = frames.get(i).clone();
            Ipv4Header ip = new Ipv4Header(p, 0, p.length);
            int at = ip.payloadOffset() + switch (ip.protocol()) {
                case TcpHeader.PROTOCOL -> TcpHeader.OFF_CHECKSUM;
                case UdpHeader.PROTOCOL -> UdpHeader.OFF_CHECKSUM;
                default -> IcmpHeader.OFF_CHECKSUM;
            };
            p[at + 1]++;
            broken.add(p);
        }
        byte[] ipBad = frames.get(2).clone();
        ipBad[Ipv4Header.OFF_CHECKSUM + 1]++;
        broken.add(ipBad);
        Path file = write("control.pcap", broken);
        List<String[]> rows = tshark.fields(file, Tshark.CHECK_CHECKSUMS, "tcp.checksum.status", "udp.checksum.status",
                "icmp.checksum.status", "ip.checksum.status");
        assertThat(rows.stream().map(r -> String.join("|", r)).toList()).as("tcp|udp|icmp|ip checksum status")
                .containsExactly(BAD + "|||" + GOOD, "|" + BAD + "||" + GOOD, "||" + BAD + "|" + GOOD,
                        "|" + GOOD + "||" + BAD);
    }

    private void compare(SoftAssertions soft, Tshark tshark, Path file, List<String> opts, char occurrence,
            Map<Integer, Map<String, Object>> want) throws IOException, InterruptedException {
        List<String> fields = want.values().stream().flatMap(m -> m.keySet().stream()).distinct().toList();
        List<String[]> rows = tshark.fields(file, opts, occurrence, fields.toArray(String[]::new));
        assertThat(rows).as("one line per frame").hasSize(frames.size());
        for (var e : want.entrySet()) {
            String[] row = rows.get(e.getKey() - 1);
            for (var f : e.getValue().entrySet()) {
                int col = fields.indexOf(f.getKey());
                String got = col < row.length ? row[col] : "";
                soft.assertThat(got).as("frame %d %s", e.getKey(), f.getKey()).isEqualTo(format(f.getValue(), got));
            }
        }
    }

    private static List<String> withV(List<String> opts) {
        List<String> l = new ArrayList<>(opts);
        l.add("-V");
        return l;
    }

    private Path write(String name, List<byte[]> packets) throws IOException {
        Path f = dir.resolve(name);
        try (PcapWriter w = PcapWriter.create(f, PcapWriter.DEFAULT_SNAPLEN)) {
            long t = 1_700_000_000_000_000L;
            for (byte[] p : packets) {
                w.write(t += 1000, p, 0, p.length);
            }
        }
        return f;
    }

    /** Compares numbers as numbers (tshark prints some in hex), everything else as text. */
    private static String format(Object want, String got) {
        if (want instanceof Long || want instanceof Integer) {
            long w = ((Number) want).longValue();
            try {
                return Long.decode(got) == w ? got : Long.toString(w);
            } catch (NumberFormatException e) {
                return Long.toString(w);
            }
        }
        return want.toString();
    }

    private void build() {
        // 1: a SYN with Linux's option layout
        byte[] syn = tcp(A, C, 0x1234, 40000, 80, 0xfffffff0, 0, TcpHeader.SYN, 64240, new byte[0], (b, o) -> {
            o += TcpOptions.writeMss(b, o, 1460);
            o += TcpOptions.writeSackPermitted(b, o);
            o += TcpOptions.writeTimestamp(b, o, 0xdeadbeef, 0);
            o += TcpOptions.writeNop(b, o);
            TcpOptions.writeWindowScale(b, o, 7);
        });
        add(syn, ip(0x1234, 2, 0, 20, 60, A, C, TcpHeader.PROTOCOL), Map.of("tcp.checksum.status", GOOD,
                "tcp.srcport", 40000, "tcp.dstport", 80, "tcp.seq", 0xfffffff0L, "tcp.flags", TcpHeader.SYN,
                "tcp.window_size_value", 64240, "tcp.options.mss_val", 1460, "tcp.options.wscale.shift", 7,
                "tcp.options.timestamp.tsval", 0xdeadbeefL, "tcp.options.timestamp.tsecr", 0));

        // 2: data with every flag tshark knows but SYN/FIN/RST/URG, timestamps and two SACK blocks, odd length
        byte[] data = "protosw odd bytes".getBytes(StandardCharsets.US_ASCII);
        int flags = TcpHeader.PSH | TcpHeader.ACK | TcpHeader.ECE | TcpHeader.CWR | TcpHeader.AE;
        byte[] seg = tcp(A, C, 0x1235, 40000, 80, 5, 0x01020304, flags, 502, data, (b, o) -> {
            o += TcpOptions.writeNop(b, o);
            o += TcpOptions.writeNop(b, o);
            o += TcpOptions.writeTimestamp(b, o, 1000, 2000);
            o += TcpOptions.writeNop(b, o);
            o += TcpOptions.writeNop(b, o);
            TcpOptions.writeSack(b, o, new int[] {0x01021000, 0x01022000, 0x01023000, 0x01024000}, 2);
        });
        add(seg, ip(0x1235, 2, 0, 20, 20 + 52 + data.length, A, C, TcpHeader.PROTOCOL), Map.ofEntries(
                Map.entry("tcp.checksum.status", GOOD), Map.entry("tcp.seq", 5), Map.entry("tcp.ack", 0x01020304),
                Map.entry("tcp.flags", flags), Map.entry("tcp.window_size_value", 502), Map.entry("tcp.len", data.length),
                Map.entry("tcp.hdr_len", 52), Map.entry("tcp.options.timestamp.tsval", 1000),
                Map.entry("tcp.options.timestamp.tsecr", 2000), Map.entry("tcp.options.sack.count", 2),
                Map.entry("tcp.payload", hex(data))),
                Map.of("tcp.options.sack_le", "16912384,16920576", "tcp.options.sack_re", "16916480,16924672"));

        // 3: UDP, odd length (to discard: a port whose dissector takes any payload)
        byte[] u = udp(A, C, 0x1236, 40001, 9, "udp to tshark".getBytes(StandardCharsets.US_ASCII), 0);
        add(u, ip(0x1236, 0, 0, 20, 20 + 8 + 13, A, C, UdpHeader.PROTOCOL), Map.of("udp.checksum.status", GOOD,
                "udp.srcport", 40001, "udp.dstport", 9, "udp.length", 21));

        // 4: UDP whose checksum computes to zero, sent as 0xffff (RFC 768)
        byte[] z = udpSummingToZero();
        add(z, ip(0x1237, 0, 0, 20, z.length, A, C, UdpHeader.PROTOCOL),
                Map.of("udp.checksum.status", GOOD, "udp.checksum", 0xffff, "udp.length", z.length - 20));

        // 5: echo request
        byte[] echo = icmp(A, C, 0x1238, IcmpHeader.ECHO, 0, 0x4242, 7, 24, new byte[0]);
        add(echo, ip(0x1238, 0, 0, 20, 20 + 8 + 24, A, C, 1), Map.of("icmp.checksum.status", GOOD, "icmp.type", 8,
                "icmp.code", 0, "icmp.ident", 0x4242, "icmp.seq", 7));

        // 6: port unreachable quoting frame 3 whole
        byte[] unreach = icmp(C, A, 0x1239, IcmpHeader.UNREACH, IcmpHeader.UNREACH_PORT, 0, 0, 0, u);
        add(unreach, ip(0x1239, 0, 0, 20, 20 + 8 + u.length, C, A, 1), Map.of("icmp.checksum.status", GOOD,
                "icmp.type", 3, "icmp.code", 3, "udp.srcport", 40001, "udp.dstport", 9),
                Map.of("ip.src", "198.51.100.7,192.0.2.1", "ip.dst", "192.0.2.1,198.51.100.7", "ip.proto", "1,17"));

        // 7: an echo under a 60-byte header: NOP and an empty record route (RFC 791)
        byte[] rr = icmp(A, C, 0x123a, IcmpHeader.ECHO, 0, 0x4243, 8, 8, new byte[0]);
        byte[] withOptions = new byte[rr.length + 40];
        System.arraycopy(rr, 0, withOptions, 0, 20);
        withOptions[20] = Ipv4Header.OPT_NOP;
        withOptions[21] = 7;
        withOptions[22] = 39;
        withOptions[23] = 4;
        System.arraycopy(rr, 20, withOptions, 60, rr.length - 20);
        new Ipv4Header(withOptions, 0, withOptions.length).setVersionAndHeaderLength(60).setTotalLength(withOptions.length)
                .fillChecksum();
        add(withOptions, ip(0x123a, 0, 0, 60, withOptions.length, A, C, 1), Map.of("icmp.checksum.status", GOOD,
                "ip.opt.len", 39, "ip.opt.ptr", 4, "icmp.ident", 0x4243, "icmp.seq", 8), Map.of("ip.opt.type", "1,7"));

        // 8, 9: a 2008-byte UDP datagram in two fragments; tshark reassembles it and checks the UDP sum
        byte[] big = new byte[2000];
        for (int i = 0; i < big.length; i++) {
            big[i] = (byte) (i % 251);
        }
        byte[] whole = udp(A, C, 0x4444, 40003, 19, big, 0);
        byte[][] frags = fragments(whole, 0x4444, 1480);
        add(frags[0], ip(0x4444, 1, 0, 20, 1500, A, C, UdpHeader.PROTOCOL), Map.of("ip.flags.mf", "1"));
        add(frags[1], ip(0x4444, 0, 185, 20, 548, A, C, UdpHeader.PROTOCOL), Map.of("udp.checksum.status", GOOD,
                "udp.length", 2008, "udp.srcport", 40003, "ip.reassembled.length", 2008));
    }

    private interface Options {
        void write(byte[] b, int off);
    }

    private void add(byte[] packet, Map<String, Object> ip, Map<String, Object> more) {
        add(packet, ip, more, Map.of());
    }

    private void add(byte[] packet, Map<String, Object> ip, Map<String, Object> more, Map<String, Object> all) {
        frames.add(packet);
        Map<String, Object> m = new LinkedHashMap<>(ip);
        m.putAll(more);
        expected.put(frames.size(), m);
        expectedAll.put(frames.size(), all);
    }

    /** What tshark must print for the (outer) IP header we wrote. */
    private static Map<String, Object> ip(int id, int flags, int fragOffset8, int hlen, int len, int src, int dst, int proto) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("ip.checksum.status", GOOD);
        m.put("ip.version", 4);
        m.put("ip.id", id);
        m.put("ip.ttl", 64);
        m.put("ip.flags", flags);
        m.put("ip.frag_offset", fragOffset8);
        m.put("ip.hdr_len", hlen);
        m.put("ip.len", len);
        m.put("ip.proto", proto);
        m.put("ip.src", Ipv4Header.addr(src));
        m.put("ip.dst", Ipv4Header.addr(dst));
        return m;
    }

    private static byte[] header(int src, int dst, int id, int proto, int payload, int fragWord) {
        byte[] b = new byte[20 + payload];
        new Ipv4Header(b, 0, b.length).setVersionAndHeaderLength(20).setTos(0).setTotalLength(b.length).setId(id)
                .setFragWord(fragWord).setTtl(64).setProtocol(proto).setSrc(src).setDst(dst).fillChecksum();
        return b;
    }

    private static byte[] tcp(int src, int dst, int id, int sport, int dport, int seq, int ack, int flags, int win,
            byte[] data, Options opts) {
        int hlen = 20 + optionBytes(opts);
        byte[] b = header(src, dst, id, TcpHeader.PROTOCOL, hlen + data.length, Ipv4Header.FLAG_DF);
        TcpHeader t = new TcpHeader(b, 20, hlen + data.length);
        t.setSrcPort(sport).setDstPort(dport).setSeq(seq).setAck(ack).setHeaderLength(hlen).setFlags(flags).setWindow(win)
                .setUrgentPointer(0);
        opts.write(b, 40);
        System.arraycopy(data, 0, b, 20 + hlen, data.length);
        t.fillChecksum(src, dst);
        return b;
    }

    /** How many bytes {@code opts} writes (a multiple of 4 here). */
    private static int optionBytes(Options opts) {
        byte[] scratch = new byte[60];
        java.util.Arrays.fill(scratch, (byte) 0xee);
        opts.write(scratch, 0);
        int n = 0;
        while (n < scratch.length && scratch[n] != (byte) 0xee) {
            n++;
        }
        return n;
    }

    private static byte[] udp(int src, int dst, int id, int sport, int dport, byte[] data, int fragWord) {
        byte[] b = header(src, dst, id, UdpHeader.PROTOCOL, 8 + data.length, fragWord);
        new UdpHeader(b, 20, 8 + data.length).setSrcPort(sport).setDstPort(dport).setLength(8 + data.length).setChecksum(0);
        System.arraycopy(data, 0, b, 28, data.length);
        new UdpHeader(b, 20, 8 + data.length).fillChecksum(src, dst);
        return b;
    }

    /** A datagram whose last payload word makes the one's complement sum all ones, so the computed checksum is 0. */
    private static byte[] udpSummingToZero() {
        byte[] data = "zero sum....".getBytes(StandardCharsets.US_ASCII);
        data[data.length - 2] = 0;
        data[data.length - 1] = 0;
        byte[] b = udp(A, C, 0x1237, 40004, 9, data, 0);
        UdpHeader u = new UdpHeader(b, 20, b.length - 20);
        u.setChecksum(0);
        int sum = Checksum.sum(b, 20, b.length - 20, Checksum.pseudoHeader(A, C, UdpHeader.PROTOCOL, b.length - 20));
        Ipv4Header.put16(b, b.length - 2, ~sum & 0xffff);
        u.fillChecksum(A, C);
        assertThat(u.checksum()).as("the sum is all ones, so the field carries 0xffff").isEqualTo(0xffff);
        return b;
    }

    private static byte[] icmp(int src, int dst, int id, int type, int code, int ident, int seq, int dataLen, byte[] quote) {
        int len = 8 + dataLen + quote.length;
        byte[] b = header(src, dst, id, 1, len, 0);
        IcmpHeader h = new IcmpHeader(b, 20, len).setType(type).setCode(code);
        if (IcmpHeader.isError(type)) {
            h.setRestOfHeader(0);
        } else {
            h.setId(ident).setSeq(seq);
        }
        for (int i = 0; i < dataLen; i++) {
            b[28 + i] = (byte) ('a' + i % 26);
        }
        System.arraycopy(quote, 0, b, 28 + dataLen, quote.length);
        h.fillChecksum();
        return b;
    }

    /** Cuts a datagram built with a 20-byte header into a first fragment of {@code first} payload bytes and the rest. */
    private static byte[][] fragments(byte[] whole, int id, int first) {
        int payload = whole.length - 20;
        byte[] a = new byte[20 + first];
        byte[] b = new byte[20 + payload - first];
        System.arraycopy(whole, 0, a, 0, 20);
        System.arraycopy(whole, 20, a, 20, first);
        System.arraycopy(whole, 0, b, 0, 20);
        System.arraycopy(whole, 20 + first, b, 20, payload - first);
        new Ipv4Header(a, 0, a.length).setTotalLength(a.length).setId(id).setFragment(false, true, 0).fillChecksum();
        new Ipv4Header(b, 0, b.length).setTotalLength(b.length).setId(id).setFragment(false, false, first).fillChecksum();
        return new byte[][] {a, b};
    }

    private static String hex(byte[] b) {
        return java.util.HexFormat.of().formatHex(b);
    }
}
