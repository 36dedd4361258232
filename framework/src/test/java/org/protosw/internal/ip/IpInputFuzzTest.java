package org.protosw.internal.ip;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import org.protosw.spi.Packet;
import org.protosw.wire.Checksum;
import org.protosw.wire.IcmpHeader;
import org.protosw.wire.Ipv4Header;
import org.protosw.wire.WireStatus;

/**
 * Fuzz target for {@code ip_input} with reassembly and {@code icmp_input} behind it
 * (FreeBSD's ip_input.c / ip_reass.c / ip_icmp.c paths), on a {@link TestStack}: lo0,
 * em0 10.0.0.1/24 and em1 192.168.1.1/24, a UDP-numbered handler and raw input.
 *
 * <p>Each input is a short sequence of packets. The fuzzer chooses the bytes, and whether
 * to mend the fields the early checks look at (version, total length, destination, header
 * checksum) so that it also reaches reassembly, delivery, ICMP and forwarding. Checked after
 * every packet, the promise of DESIGN.md's "Errors and bad input":
 * <ul>
 * <li>no exception escapes and none was caught inside ("packets dropped by internal errors"
 *     stays 0: a caught exception is a bug, only hidden);</li>
 * <li>every packet lands in some counter: rejected (one of the bad-header counters),
 *     delivered, queued for reassembly, forwarded or not forwardable, or answered through
 *     {@code icmp_error};</li>
 * <li>reassembly holds at most {@code net.inet.ip.maxfragpackets} queues, and none once their
 *     life ended (nothing leaks);</li>
 * <li>whatever the stack sends in answer (ICMP errors, forwarded packets) is a valid header.</li>
 * </ul>
 */
class IpInputFuzzTest {
    private static final int UDP = 17;

    /** The counters one of which each received packet must move. */
    private static final List<String> OUTCOMES = List.of(
            "bad header checksums", "with size smaller than minimum", "with data size < data length",
            "with ip length > max ip packet size", "with header length < data size",
            "with data length < header length", "with bad options", "with incorrect version number",
            "fragments received", "packets for this host", "packets for unknown/unsupported protocol",
            "packets forwarded", "packets not forwardable", "packets received for unknown multicast group",
            "output packets discarded due to no route", "datagrams that can't be fragmented",
            "datagrams with bad address in header");

    @FuzzTest(maxDuration = "10s")
    void ipInput(FuzzedDataProvider data) throws Exception {
        TestStack s = new TestStack();
        s.set("net.inet.ip.forwarding", data.consumeBoolean() ? 1 : 0);
        int maxQueues = data.consumeInt(0, 8);
        s.set("net.inet.ip.maxfragpackets", maxQueues);
        s.set("net.inet.ip.maxfragsperpacket", data.consumeInt(1, 16));
        AtomicLong udpIn = new AtomicLong();
        s.ip.register(UDP, (p, hlen) -> {
            assertThat(Ipv4Header.check(p.array(), p.offset(), p.length())).isEqualTo(WireStatus.OK);
            assertThat(hlen).isEqualTo(hdr(p).headerLength());
            assertThat(hdr(p).isFragment()).as("handlers see whole datagrams").isFalse();
            udpIn.incrementAndGet();
        }, err -> assertThat(err.inner().length()).isGreaterThanOrEqualTo(Ipv4Header.MIN_LENGTH + 8));
        boolean rawTakes = data.consumeBoolean();
        s.ip.setRawInput((p, hlen) -> rawTakes);

        int n = data.consumeInt(1, 8);
        for (int i = 0; i < n && data.remainingBytes() > 0; i++) {
            if (data.consumeBoolean()) {
                s.now.addAndGet(31_000_000_000L);
                s.ip.slowtimo(s.now.get());
            }
            TestIf ifp = data.pickValue(new TestIf[] {s.em0, s.em1, s.lo0});
            Packet p = packet(data, ifp == s.lo0);
            Map<String, Long> before = s.ip.ipStatistics();
            long icmpErrors = s.icmpStat("calls to icmp_error");
            ifp.inject(p);
            Map<String, Long> after = s.ip.ipStatistics();
            assertThat(after.get("packets dropped by internal errors")).as("internal errors").isZero();
            // lo0 loops what the stack answers straight back in: each of those counts too
            long received = after.get("total packets received") - before.get("total packets received");
            assertThat(received).isPositive();
            long moved = s.icmpStat("calls to icmp_error") - icmpErrors;
            for (String k : OUTCOMES) {
                moved += after.get(k) - before.get(k);
            }
            assertThat(moved).as("each packet received was counted somewhere: %s", p).isGreaterThanOrEqualTo(received);
            assertThat(s.ip.reassemblyQueues()).isLessThanOrEqualTo(maxQueues);
            boolean forwarded = after.get("packets forwarded") > before.get("packets forwarded");
            for (TestIf out : new TestIf[] {s.em0, s.em1}) {
                for (TestIf.Sent sent : out.sent) {
                    Packet q = sent.packet();
                    assertThat(Ipv4Header.check(q.array(), q.offset(), q.length()))
                            .as(() -> "sent on " + out.name() + ": " + HexFormat.of().formatHex(q.toByteArray()))
                            .isEqualTo(WireStatus.OK);
                    assertThat(Checksum.verify(q.array(), q.offset(), hdr(q).headerLength()))
                            .as("header checksum of %s sent on %s", hdr(q), out.name()).isTrue();
                    // ICMP this host made (forwarded packets keep whatever checksum they came with)
                    if (hdr(q).protocol() == 1 && !hdr(q).isFragment() && !forwarded
                            && (q.flags() & Packet.M_CSUM_PENDING) == 0) {
                        // an error quotes the whole header and what data there were, up to 8 bytes
                        // (RFC 792; fewer when the offending datagram had fewer, as FreeBSD's icmp_error)
                        IcmpHeader ic = new IcmpHeader(q.array(), hdr(q).payloadOffset(), hdr(q).payloadLength());
                        assertThat(ic.length()).isGreaterThanOrEqualTo(IcmpHeader.MIN_LENGTH);
                        assertThat(ic.checksumValid()).as(() -> "ICMP checksum: " + HexFormat.of().formatHex(q.toByteArray())).isTrue();
                        if (IcmpHeader.isError(ic.type())) {
                            Ipv4Header quoted = new Ipv4Header(q.array(), ic.dataOffset(), ic.dataLength());
                            assertThat(quoted.version()).isEqualTo(4);
                            assertThat(quoted.headerLength()).isLessThanOrEqualTo(ic.dataLength());
                        }
                    }
                }
                out.sent.clear();
            }
        }
        s.now.addAndGet(31_000_000_000L);
        s.ip.slowtimo(s.now.get());
        assertThat(s.ip.reassemblyQueues()).as("every queue expired").isZero();
        assertThat(s.ip.ipStatistics().get("packets dropped by internal errors")).isZero();
    }

    /**
     * Fuzzed bytes, optionally mended: a version 4 header, the total length of the bytes, a
     * chosen destination and source, a fragment word, a valid header checksum, M_CSUM_OK.
     */
    private static Packet packet(FuzzedDataProvider data, boolean loopback) {
        int mend = data.consumeInt(0, 63);
        int dst = data.pickValue(new int[] {0, TestStack.EM0, TestStack.EM0_BCAST, TestStack.EM1, TestStack.PEER1,
                TestStack.LO, 0xffffffff, TestStack.addr("224.0.0.1"), TestStack.addr("203.0.113.9")});
        int src = data.pickValue(new int[] {0, TestStack.PEER0, TestStack.PEER1, TestStack.LO, 0});
        int fragWord = data.consumeInt(0, 0xffff);
        int id = data.consumeInt(0, 3);
        boolean csumOk = data.consumeBoolean();
        byte[] b = data.consumeBytes(data.consumeInt(0, 1600));
        Packet p = Packet.allocate(b.length);
        System.arraycopy(b, 0, p.array(), p.offset(), b.length);
        if (b.length >= Ipv4Header.MIN_LENGTH) {
            if ((mend & 1) != 0) {
                int ihl = Math.max(5, p.get8(0) & 0xf);
                p.set8(Ipv4Header.OFF_VHL, 0x40 | Math.min(ihl, b.length / 4));
            }
            if ((mend & 2) != 0) {
                p.set16(Ipv4Header.OFF_TOTAL_LENGTH, b.length);
            }
            if ((mend & 4) != 0 && dst != 0) {
                p.set32(Ipv4Header.OFF_DST, dst);
            }
            if ((mend & 8) != 0 && src != 0) {
                p.set32(Ipv4Header.OFF_SRC, src);
            }
            if ((mend & 16) != 0) {
                p.set16(Ipv4Header.OFF_FRAG, fragWord);
                p.set16(Ipv4Header.OFF_ID, id);
            }
            int hlen = (p.get8(Ipv4Header.OFF_VHL) & 0xf) << 2;
            if ((mend & 32) != 0 && hlen >= Ipv4Header.MIN_LENGTH && hlen <= b.length) {
                new Ipv4Header(p.array(), p.offset(), hlen).fillChecksum();
            }
        }
        // M_CSUM_OK is a link's promise that the bytes are as their sender made them: only
        // lo0 gives it, and only to headers a sender summed (else a forwarded copy would
        // carry a bad checksum that nobody on the way could have caught)
        if (csumOk && loopback && (mend & 32) != 0) {
            p.addFlags(Packet.M_CSUM_OK);
        }
        return p;
    }

    private static Ipv4Header hdr(Packet p) {
        return new Ipv4Header(p.array(), p.offset(), p.length());
    }
}
