package org.protosw.internal.net;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.protosw.socket.Errno;
import org.protosw.socket.SocketException;
import org.protosw.spi.Packet;

class DummynetPipeTest {
    private static final long WAIT_MS = 10_000;

    private final Dummynet sched = new Dummynet("test");

    @AfterEach
    void stopScheduler() {
        sched.close();
    }

    private DummynetPipe pipe(PipeConfig c) {
        return new DummynetPipe(1, c, sched);
    }

    private static long ms(long nanos) {
        return TimeUnit.NANOSECONDS.toMillis(nanos);
    }

    @Test
    void lossRateWithinOnePercent() {
        DummynetPipe p = pipe(PipeConfig.DEFAULT.withPlr(0.05).withQueue(1).withSeed(42));
        Sink sink = new Sink();
        int n = 10_000;
        for (int i = 0; i < n; i++) {
            p.enqueue(Sink.numbered(i, 40), sink);
        }
        PipeStats s = p.stats();
        assertThat(sink.awaitCount((int) (n - s.lost()), WAIT_MS)).isTrue();
        assertThat(s.inPackets()).isEqualTo(n);
        assertThat(s.lost()).isBetween(400L, 600L);
        assertThat(s.queueDrops()).isZero(); // unlimited bandwidth: nothing waits to be serialized
        assertThat(sink.size()).isEqualTo(n - (int) s.lost());
        assertThat(p.stats().outPackets()).isEqualTo(n - s.lost());
        assertThat(p.stats().outBytes()).isEqualTo((n - s.lost()) * 40);
    }

    @Test
    void sameSeedSameFate() {
        List<Integer> first = survivors(pipe(PipeConfig.DEFAULT.withPlr(0.3).withSeed(7)));
        List<Integer> second = survivors(new DummynetPipe(2, PipeConfig.DEFAULT.withPlr(0.3).withSeed(7), sched));
        assertThat(first).isEqualTo(second).hasSizeBetween(100, 180);
    }

    private static List<Integer> survivors(DummynetPipe p) {
        Sink sink = new Sink();
        for (int i = 0; i < 200; i++) {
            p.enqueue(Sink.numbered(i, 20), sink);
        }
        assertThat(sink.awaitCount((int) (200 - p.stats().lost()), WAIT_MS)).isTrue();
        return sink.packets().stream().map(x -> x.get32(0)).sorted().toList();
    }

    @Test
    void duplicatesAreCopiesDeliveredBeside() {
        DummynetPipe p = pipe(PipeConfig.DEFAULT.withDup(0.1).withSeed(1));
        Sink sink = new Sink();
        int n = 2000;
        List<Packet> sent = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            Packet x = Sink.numbered(i, 64);
            sent.add(x);
            p.enqueue(x, sink);
        }
        long dups = p.stats().duplicated();
        assertThat(dups).isBetween(140L, 260L);
        assertThat(sink.awaitCount(n + (int) dups, WAIT_MS)).isTrue();

        Map<Integer, List<Packet>> bySeq = new HashMap<>();
        for (Packet x : sink.packets()) {
            bySeq.computeIfAbsent(x.get32(0), k -> new ArrayList<>()).add(x);
        }
        assertThat(bySeq).hasSize(n);
        int twice = 0;
        for (int i = 0; i < n; i++) {
            List<Packet> got = bySeq.get(i);
            assertThat(got.getFirst()).isSameAs(sent.get(i));
            if (got.size() == 2) {
                twice++;
                assertThat(got.get(1)).isNotSameAs(sent.get(i));
                assertThat(got.get(1).toByteArray()).isEqualTo(sent.get(i).toByteArray());
            }
        }
        assertThat(twice).isEqualTo(dups);
        assertThat(p.stats().outPackets()).isEqualTo(n + dups);
    }

    @Test
    void reorderedPacketsAreOvertaken() {
        DummynetPipe p = pipe(PipeConfig.DEFAULT.withReorder(0.1, 5).withSeed(3));
        Sink sink = new Sink();
        int n = 500;
        for (int i = 0; i < n; i++) {
            p.enqueue(Sink.numbered(i, 40), sink);
        }
        assertThat(sink.awaitCount(n, WAIT_MS)).isTrue();
        int[] order = sink.packets().stream().mapToInt(x -> x.get32(0)).toArray();
        int inversions = 0;
        for (int i = 1; i < order.length; i++) {
            if (order[i] < order[i - 1]) {
                inversions++;
            }
        }
        assertThat(inversions).isPositive();
        assertThat(Arrays.stream(order).sorted().toArray()).isEqualTo(java.util.stream.IntStream.range(0, n).toArray());
        assertThat(p.stats().reordered()).isBetween(25L, 75L);
    }

    @Test
    void corruptionFlipsOneBitInACopy() {
        DummynetPipe p = pipe(PipeConfig.DEFAULT.withCorrupt(0.1).withSeed(11));
        Sink sink = new Sink();
        int n = 1000;
        Map<Integer, Packet> sent = new HashMap<>();
        Map<Integer, byte[]> original = new HashMap<>();
        for (int i = 0; i < n; i++) {
            Packet x = Sink.numbered(i, 100);
            x.addFlags(Packet.M_CSUM_OK);
            sent.put(i, x);
            original.put(i, x.toByteArray());
            p.enqueue(x, sink);
        }
        assertThat(sink.awaitCount(n, WAIT_MS)).isTrue();
        long corrupted = p.stats().corrupted();
        assertThat(corrupted).isBetween(70L, 130L);

        int differing = 0;
        IdentityHashMap<Packet, Boolean> seen = new IdentityHashMap<>();
        for (Packet got : sink.packets()) {
            seen.put(got, true);
            int bits = 0;
            int seq = -1;
            // the corrupted bit may be in the sequence number itself: find the original by best match
            for (Map.Entry<Integer, byte[]> e : original.entrySet()) {
                int d = bitDistance(e.getValue(), got.toByteArray());
                if (d <= 1) {
                    bits = d;
                    seq = e.getKey();
                    if (d == 0) {
                        break;
                    }
                }
            }
            assertThat(seq).isNotNegative();
            if (bits == 1) {
                differing++;
                assertThat(got).isNotSameAs(sent.get(seq));
                assertThat(sent.get(seq).toByteArray()).isEqualTo(original.get(seq)); // the original untouched
                assertThat(got.flags() & Packet.M_CSUM_OK).isZero();
            } else {
                assertThat(got).isSameAs(sent.get(seq));
                assertThat(got.flags() & Packet.M_CSUM_OK).isNotZero();
            }
        }
        assertThat(seen).hasSize(n);
        assertThat(differing).isEqualTo(corrupted);
    }

    private static int bitDistance(byte[] a, byte[] b) {
        if (a.length != b.length) {
            return Integer.MAX_VALUE;
        }
        int d = 0;
        for (int i = 0; i < a.length; i++) {
            d += Integer.bitCount((a[i] ^ b[i]) & 0xff);
        }
        return d;
    }

    @Test
    void delayIsAtLeastTheConfiguredOne() {
        DummynetPipe p = pipe(PipeConfig.DEFAULT.withDelay(30).withSeed(5));
        Sink sink = new Sink();
        long[] sentAt = new long[20];
        for (int i = 0; i < 20; i++) {
            sentAt[i] = System.nanoTime();
            p.enqueue(Sink.numbered(i, 40), sink);
        }
        assertThat(sink.awaitCount(20, WAIT_MS)).isTrue();
        List<Sink.Arrival> got = sink.arrivals();
        for (int i = 0; i < 20; i++) {
            Sink.Arrival a = got.get(i);
            assertThat(a.packet().get32(0)).isEqualTo(i); // a plain delay keeps order
            assertThat(ms(a.nanos() - sentAt[i])).isGreaterThanOrEqualTo(30);
        }
    }

    @Test
    void bandwidthSerializesInOrderAndTailDrops() {
        // 1000-byte packets at 80 Kbit/s take 100 ms each; a burst of 20 into 5 slots keeps 5
        DummynetPipe p = pipe(PipeConfig.DEFAULT.withBandwidth(80_000).withQueue(5).withSeed(42));
        Sink sink = new Sink();
        long start = System.nanoTime();
        for (int i = 0; i < 20; i++) {
            p.enqueue(Sink.numbered(i, 1000), sink);
        }
        PipeStats s = p.stats();
        assertThat(s.queueDrops()).isEqualTo(15);
        assertThat(s.queueLength()).isBetween(1, 5);
        assertThat(sink.awaitCount(5, WAIT_MS)).isTrue();
        List<Sink.Arrival> got = sink.arrivals();
        assertThat(got).extracting(a -> a.packet().get32(0)).containsExactly(0, 1, 2, 3, 4);
        for (int i = 0; i < 5; i++) {
            // the i-th packet cannot leave before i+1 serialization times
            assertThat(ms(got.get(i).nanos() - start)).isGreaterThanOrEqualTo(100L * (i + 1) - 1);
        }
        assertThat(p.stats().queueLength()).isZero();
        assertThat(p.stats().outBytes()).isEqualTo(5000);
    }

    @Test
    void queueLimitInBytes() {
        DummynetPipe p = pipe(PipeConfig.DEFAULT.withBandwidth(80_000).withQueueBytes(4096).withSeed(42));
        Sink sink = new Sink();
        for (int i = 0; i < 10; i++) {
            p.enqueue(Sink.numbered(i, 1000), sink);
        }
        PipeStats s = p.stats();
        assertThat(s.queueDrops()).isEqualTo(6);
        assertThat(s.queueBytes()).isLessThanOrEqualTo(4000);
        assertThat(sink.awaitCount(4, WAIT_MS)).isTrue();
        assertThat(sink.packets()).extracting(x -> x.get32(0)).containsExactly(0, 1, 2, 3);
    }

    @Test
    void schedulerCapRefusesAndCounts() {
        try (Dummynet tiny = new Dummynet("tiny", 3, 1 << 20)) {
            DummynetPipe p = new DummynetPipe(9, PipeConfig.DEFAULT.withDelay(200), tiny);
            Sink sink = new Sink();
            for (int i = 0; i < 5; i++) {
                p.enqueue(Sink.numbered(i, 40), sink);
            }
            assertThat(p.stats().schedulerDrops()).isEqualTo(2);
            assertThat(tiny.pendingPackets()).isEqualTo(3);
            assertThat(tiny.overflows()).isEqualTo(2);
            assertThat(sink.awaitCount(3, WAIT_MS)).isTrue();
            assertThat(Sink.await(() -> tiny.pendingPackets() == 0, WAIT_MS)).isTrue();
        }
    }

    @Test
    void closingTheSchedulerDropsWaitingPacketsAndStopsItsThread() {
        Dummynet d = new Dummynet("closing");
        DummynetPipe p = new DummynetPipe(1, PipeConfig.DEFAULT.withDelay(5000), d);
        Sink sink = new Sink();
        p.enqueue(Sink.numbered(1, 40), sink);
        assertThat(threadNamed("dummynet-closing")).isTrue();
        d.close();
        assertThat(threadNamed("dummynet-closing")).isFalse();
        assertThat(p.stats().flushed()).isEqualTo(1);
        assertThat(d.pendingPackets()).isZero();
        p.enqueue(Sink.numbered(2, 40), sink);
        assertThat(p.stats().schedulerDrops()).isEqualTo(1);
        assertThat(sink.size()).isZero();
    }

    private static boolean threadNamed(String name) {
        return Thread.getAllStackTraces().keySet().stream().anyMatch(t -> t.getName().equals(name) && t.isAlive());
    }

    @Test
    void anEarlierPacketWakesTheSleepingScheduler() {
        DummynetPipe slow = new DummynetPipe(1, PipeConfig.DEFAULT.withDelay(10_000), sched);
        DummynetPipe fast = new DummynetPipe(2, PipeConfig.DEFAULT, sched);
        Sink never = new Sink();
        Sink sink = new Sink();
        slow.enqueue(Sink.numbered(0, 40), never);
        // let the scheduler go to sleep until the slow packet is due
        assertThat(Sink.await(() -> sched.pendingPackets() == 1, WAIT_MS)).isTrue();
        fast.enqueue(Sink.numbered(1, 40), sink);
        // far below the 10 s the scheduler meant to sleep
        assertThat(sink.awaitCount(1, 5_000)).isTrue();
        assertThat(never.size()).isZero();
    }

    @Test
    void concurrentSendersLoseNothing() throws InterruptedException {
        DummynetPipe a = new DummynetPipe(1, PipeConfig.DEFAULT.withDelay(2).withQueue(10_000), sched);
        DummynetPipe b = new DummynetPipe(2, PipeConfig.DEFAULT.withBandwidth(1_000_000_000).withQueue(10_000), sched);
        Sink sink = new Sink();
        int perThread = 2000;
        List<Thread> threads = new ArrayList<>();
        for (int t = 0; t < 4; t++) {
            int base = t * perThread;
            DummynetPipe p = t % 2 == 0 ? a : b;
            threads.add(Thread.ofPlatform().name("sender-" + t).start(() -> {
                for (int i = 0; i < perThread; i++) {
                    p.enqueue(Sink.numbered(base + i, 60), sink);
                }
            }));
        }
        for (Thread t : threads) {
            t.join(WAIT_MS);
        }
        assertThat(sink.awaitCount(4 * perThread, WAIT_MS)).isTrue();
        assertThat(sink.packets().stream().mapToInt(x -> x.get32(0)).distinct().count()).isEqualTo(4L * perThread);
        assertThat(a.stats().outPackets() + b.stats().outPackets()).isEqualTo(4L * perThread);
        assertThat(sched.pendingPackets()).isZero();
    }

    @Test
    void aThrowingReceiverDoesNotStopTheScheduler() {
        DummynetPipe p = pipe(PipeConfig.DEFAULT);
        Sink sink = new Sink();
        p.enqueue(Sink.numbered(1, 40), x -> {
            throw new IllegalStateException("receiver bug");
        });
        p.enqueue(Sink.numbered(2, 40), sink);
        assertThat(sink.awaitCount(1, WAIT_MS)).isTrue();
        assertThat(sched.callbackErrors()).isEqualTo(1);
    }

    @Test
    void showPrintsConfigAndCounters() {
        DummynetPipe p = pipe(PipeConfig.parse("bw 10Mbit/s delay 5 seed 1"));
        Sink sink = new Sink();
        p.enqueue(Sink.numbered(1, 100), sink);
        assertThat(sink.awaitCount(1, WAIT_MS)).isTrue();
        String s = p.show();
        assertThat(s).startsWith("00001: bw 10Mbit/s delay 5ms queue 50 seed 1");
        assertThat(s).contains("attached: none").contains("in 1 pkts 100 bytes, out 1 pkts 100 bytes");
    }

    // ---- through interfaces and the pipe table ----

    @Test
    void tableAttachesReconfiguresAndDeletes() throws Exception {
        try (PipeTable table = new PipeTable("vnet0")) {
            Epair e = new Epair(0);
            Sink atB = new Sink();
            e.b().setInputHandler(atB);
            DummynetPipe p = table.config(1, PipeConfig.parse("delay 20 seed 1"));
            table.attach(1, e.a(), false);
            table.attach(1, e.b(), true);
            assertThat(e.a().pipe(false)).isInstanceOf(DummynetPipe.Port.class);
            assertThat(p.ports()).hasSize(2);

            long t0 = System.nanoTime();
            e.a().output(Sink.numbered(1, 100), 0);
            assertThat(atB.awaitCount(1, WAIT_MS)).isTrue();
            // crossed the pipe twice: out of a, into b
            assertThat(ms(atB.arrivals().getFirst().nanos() - t0)).isGreaterThanOrEqualTo(40);
            assertThat(p.stats().inPackets()).isEqualTo(2);
            assertThat(e.b().counters().ipackets.sum()).isEqualTo(1);

            // reconfiguring keeps the attachments
            assertThat(table.config(1, PipeConfig.parse("plr 1 seed 1"))).isSameAs(p);
            assertThat(p.ports()).hasSize(2);
            e.a().output(Sink.numbered(2, 100), 0);
            assertThat(p.stats().lost()).isEqualTo(1);
            assertThat(table.list()).containsExactly(p);
            assertThat(table.get(1)).isSameAs(p);
            assertThat(p.show()).contains("attached: epair0a out, epair0b in");

            table.delete(1);
            assertThat(e.a().pipe(false)).isNull();
            assertThat(e.b().pipe(true)).isNull();
            assertThat(table.get(1)).isNull();
            e.a().output(Sink.numbered(3, 100), 0);
            assertThat(atB.size()).isEqualTo(2); // straight through now, synchronously
        }
    }

    @Test
    void absentPipesAreEnoent() throws Exception {
        try (PipeTable table = new PipeTable("vnet1")) {
            Loopback lo = new Loopback();
            assertThatThrownBy(() -> table.delete(4)).isInstanceOf(SocketException.class)
                    .satisfies(x -> assertThat(((SocketException) x).errno()).isEqualTo(Errno.ENOENT))
                    .hasMessageContaining("pipe 4");
            assertThatThrownBy(() -> table.attach(4, lo, true)).isInstanceOf(SocketException.class)
                    .satisfies(x -> assertThat(((SocketException) x).errno()).isEqualTo(Errno.ENOENT));
            assertThatThrownBy(() -> table.config(0, PipeConfig.DEFAULT)).isInstanceOf(SocketException.class)
                    .satisfies(x -> assertThat(((SocketException) x).errno()).isEqualTo(Errno.EINVAL))
                    .hasMessageContaining("1 to 65534");
            assertThat(table.detach(lo, true)).isFalse();
        }
    }

    @Test
    void detachFlushesWhatWaits() throws Exception {
        try (PipeTable table = new PipeTable("vnet2")) {
            Loopback lo = new Loopback();
            Sink sink = new Sink();
            lo.setInputHandler(sink);
            DummynetPipe p = table.config(3, PipeConfig.DEFAULT.withDelay(5000));
            table.attach(3, lo, true);
            lo.output(Sink.numbered(1, 60), 0x7f000001);
            lo.output(Sink.numbered(2, 60), 0x7f000001);
            assertThat(table.detach(lo, true)).isTrue();
            assertThat(lo.pipe(true)).isNull();
            assertThat(Sink.await(() -> p.stats().flushed() == 2, WAIT_MS)).isTrue();
            assertThat(table.scheduler().pendingPackets()).isZero();
            assertThat(p.ports()).isEmpty();
            assertThat(sink.size()).isZero();
            lo.output(Sink.numbered(3, 60), 0x7f000001);
            assertThat(sink.size()).isEqualTo(1);
        }
    }

    @Test
    void destroyedInterfaceLeavesThePipe() throws Exception {
        try (PipeTable table = new PipeTable("vnet3")) {
            Epair e = new Epair(2);
            DummynetPipe p = table.config(1, PipeConfig.DEFAULT.withDelay(5000));
            table.attach(1, e.a(), false);
            e.a().output(Sink.numbered(1, 60), 0);
            e.b().destroy();
            assertThat(p.ports()).isEmpty();
            assertThat(Sink.await(() -> p.stats().flushed() == 1, WAIT_MS)).isTrue();
        }
    }

    @Test
    void loopbackDoesNotVouchForChecksumsBehindACorruptingPipe() throws Exception {
        try (PipeTable table = new PipeTable("vnet4")) {
            Loopback lo = new Loopback();
            Sink sink = new Sink();
            lo.setInputHandler(sink);
            table.config(1, PipeConfig.DEFAULT.withCorrupt(1.0).withSeed(2));
            table.attach(1, lo, false);
            Packet x = Sink.numbered(1, 60);
            byte[] before = x.toByteArray();
            lo.output(x, 0x7f000001);
            assertThat(sink.awaitCount(1, WAIT_MS)).isTrue();
            Packet got = sink.packets().getFirst();
            assertThat(got).isNotSameAs(x);
            assertThat(bitDistance(before, got.toByteArray())).isEqualTo(1);
            assertThat(got.flags() & Packet.M_CSUM_OK).isZero();
            assertThat(got.flags() & Packet.M_LOOP).isNotZero();
        }
    }
}
