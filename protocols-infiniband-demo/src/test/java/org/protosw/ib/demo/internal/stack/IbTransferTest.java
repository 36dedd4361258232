package org.protosw.ib.demo.internal.stack;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Named.named;
import static org.junit.jupiter.params.provider.Arguments.arguments;
import static org.protosw.socket.SocketConstants.SOCK_SEQPACKET;
import static org.protosw.socket.SocketConstants.SOCK_STREAM;

import java.util.Locale;
import java.util.Set;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.protosw.ib.demo.internal.verbs.IbStats.Counter;
import org.protosw.internal.net.PipeStats;
import org.protosw.socket.Socket;

/**
 * 64 MiB between two vnets across an epair, over SOCK_SEQPACKET (messages of 1 byte to
 * 64 KiB: SENDs and, above 16 KiB, RDMA WRITEs with immediate) and over SOCK_STREAM (the
 * SDP-like stream), clean, with 1% and 5% loss on both directions of the link, and with
 * reordering. The bytes arrive intact (SHA-256 of what was sent against what was read, and
 * the message count for SEQPACKET: boundaries kept); the counters show that the link's
 * trouble happened and the RC transport recovered from it. Each case prints its time on a
 * line starting with {@code [ib-transfer]}; nothing asserts speed. {@code -Dib.only=NAME,...}
 * runs only the named cases.
 */
class IbTransferTest {
    private static final long MIB = 1L << 20;
    private static final long SIZE = Long.getLong("ib.size", 64 * MIB);
    private static final Set<String> ONLY = Set.of(System.getProperty("ib.only", "").split(","));
    private IbLab lab;

    record Case(int type, String pipe) {
        String typeName() {
            return type == SOCK_SEQPACKET ? "SEQPACKET" : "STREAM";
        }
    }

    static Stream<Arguments> cases() {
        Stream.Builder<Arguments> b = Stream.builder();
        for (int type : new int[] {SOCK_SEQPACKET, SOCK_STREAM}) {
            String t = type == SOCK_SEQPACKET ? "SEQPACKET" : "STREAM";
            b.add(arguments(named(t + " clean", new Case(type, null))));
            b.add(arguments(named(t + " 1% loss", new Case(type, "plr 0.01"))));
            b.add(arguments(named(t + " 5% loss", new Case(type, "plr 0.05"))));
            b.add(arguments(named(t + " reordering", new Case(type, "reorder 0.05 gap 3ms"))));
        }
        return b.build();
    }

    @AfterEach
    void tearDown() {
        if (lab != null) {
            lab.close();
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void sixtyFourMebibytes(Case c) throws Exception {
        org.junit.jupiter.api.Assumptions.assumeTrue(ONLY.equals(Set.of("")) || ONLY.stream().anyMatch(o -> c.toString().contains(o)
                || (c.typeName() + " " + (c.pipe() == null ? "clean" : c.pipe())).contains(o)), "not in -Dib.only");
        lab = new IbLab();
        Socket[] p = lab.connect(c.type(), 0x2000);
        if (c.pipe() != null) {
            lab.pipes(c.pipe());
        }
        long t0 = System.nanoTime();
        Future<IbLab.Digest> reader = lab.async(() -> IbLab.receive(p[1], SIZE, 64 * 1024));
        IbLab.Digest sent = IbLab.send(p[0], SIZE, 42, 64 * 1024);
        IbLab.Digest got = reader.get(15, TimeUnit.MINUTES);
        double secs = (System.nanoTime() - t0) / 1e9;
        assertThat(got.bytes()).isEqualTo(SIZE);
        assertThat(got.sha256()).as("SHA-256 of what arrived").isEqualTo(sent.sha256());
        if (c.type() == SOCK_SEQPACKET) {
            assertThat(got.messages()).as("records, boundaries kept").isEqualTo(sent.messages());
        }
        long rexmt = lab.stat(lab.a, Counter.RETRANSMITS) + lab.stat(lab.b, Counter.RETRANSMITS);
        long timeouts = lab.stat(lab.a, Counter.TIMEOUTS) + lab.stat(lab.b, Counter.TIMEOUTS);
        long naks = lab.stat(lab.b, Counter.SEQ_NAKS_SENT);
        long oos = lab.stat(lab.b, Counter.OUT_OF_SEQUENCE);
        String pipe = "";
        if (c.pipe() != null) {
            PipeStats pa = IbLab.pipe(lab.a);
            PipeStats pb = IbLab.pipe(lab.b);
            pipe = String.format(Locale.ROOT, ", pipes: %d lost, %d reordered", pa.lost() + pb.lost(), pa.reordered() + pb.reordered());
            if (c.pipe().startsWith("plr")) {
                assertThat(pa.lost() + pb.lost()).as("packets the pipes dropped").isPositive();
                assertThat(rexmt).as("packets retransmitted").isPositive();
                assertThat(naks + timeouts).as("NAKs (PSN sequence error) and local ACK timeouts").isPositive();
            } else {
                assertThat(pa.reordered() + pb.reordered()).as("packets the pipes held back").isPositive();
                assertThat(oos).as("out-of-sequence packets at the receiver").isPositive();
                assertThat(rexmt).as("packets retransmitted").isPositive();
            }
        }
        System.out.printf(Locale.ROOT, "[ib-transfer] %-20s %d MiB in %.2f s (%.1f MiB/s): %d packets, %d retransmitted, %d timeouts,"
                + " %d NAKs, %d out of sequence, %d RNR NAKs, %d RDMA WRITEs%s%n", c.typeName() + (c.pipe() == null ? " clean" : " " + c.pipe()),
                SIZE / MIB, secs, SIZE / MIB / secs, lab.stat(lab.a, Counter.PKTS_SENT), rexmt, timeouts, naks, oos,
                lab.stat(lab.b, Counter.RNR_NAKS_SENT), lab.stat(lab.a, Counter.RDMA_WRITES_SENT), pipe);
        p[0].close();
        p[1].close();
    }
}
