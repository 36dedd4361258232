package org.protosw.internal.ip;

import static org.assertj.core.api.Assertions.assertThat;
import static org.protosw.internal.ip.TestStack.bytes;
import static org.protosw.internal.ip.TestStack.hdr;
import static org.protosw.internal.ip.TestStack.packet;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import org.junit.jupiter.api.Test;
import org.protosw.internal.kern.SysctlTree;
import org.protosw.spi.Packet;
import org.protosw.wire.Ipv4Header;
import org.protosw.wire.WireStatus;

class IpReassTest {
    private static final int SRC = TestStack.addr("10.0.0.2");
    private static final int DST = TestStack.addr("10.0.0.1");

    private final AtomicLong now = new AtomicLong(5_000_000_000L);
    private final SysctlTree sysctl = new SysctlTree();
    private final List<Packet> timedOut = new ArrayList<>();
    private final IpReass reass = new IpReass(sysctl, now::get, timedOut::add);

    /** The fragments of a datagram with {@code n} payload bytes at {@code mtu}. */
    private static List<Packet> fragments(int id, int n, int mtu) {
        Packet p = packet(SRC, DST, 17, bytes(n, id));
        p.set16(Ipv4Header.OFF_ID, id);
        hdr(p).fillChecksum();
        return new ArrayList<>(IpFragment.fragment(p, 20, mtu));
    }

    private Packet feed(List<Packet> frags) {
        Packet done = null;
        for (Packet f : frags) {
            Packet r = reass.input(f.copy(), 20);
            if (r != null) {
                assertThat(done).as("completed once").isNull();
                done = r;
            }
        }
        return done;
    }

    private static void assertWhole(Packet p, int id, int n) {
        assertThat(p).isNotNull();
        Ipv4Header h = hdr(p);
        assertThat(h.check()).isEqualTo(WireStatus.OK);
        assertThat(h.checksumValid()).isTrue();
        assertThat(h.isFragment()).isFalse();
        assertThat(h.totalLength()).isEqualTo(20 + n);
        assertThat(h.id()).isEqualTo(id);
        assertThat(Arrays.copyOfRange(p.array(), h.payloadOffset(), h.payloadOffset() + n)).isEqualTo(bytes(n, id));
        assertThat(p.headroom()).as("room for link headers").isGreaterThanOrEqualTo(Packet.DEFAULT_HEADROOM);
    }

    /** {@code n} IP ids whose datagrams from SRC to DST (UDP) land in one reassembly bucket. */
    private static int[] sameBucket(int n) {
        int[] ids = new int[n];
        int want = IpReass.hash(SRC, DST, 1, 17);
        for (int id = 1, k = 0; k < n; id++) {
            if (IpReass.hash(SRC, DST, id, 17) == want) {
                ids[k++] = id;
            }
        }
        return ids;
    }

    private long count(String what) {
        return switch (what) {
            case "fragments" -> reass.fragments.sum();
            case "dropped" -> reass.fragDropped.sum();
            case "timeout" -> reass.fragTimeout.sum();
            case "ok" -> reass.reassembled.sum();
            default -> reass.tooLong.sum();
        };
    }

    @Test
    void theDatagramIsVouchedForOnlyWhenEveryFragmentWas() {
        // every fragment came over a link that cannot damage data (lo0)
        List<Packet> clean = fragments(11, 4000, 1500);
        clean.forEach(f -> f.addFlags(Packet.M_CSUM_OK));
        assertThat(feed(clean).flags() & Packet.M_CSUM_OK).isNotZero();
        // one fragment did not (a pipe corrupted it): UDP must verify the whole datagram
        List<Packet> mixed = fragments(12, 4000, 1500);
        mixed.get(0).addFlags(Packet.M_CSUM_OK);
        mixed.get(2).addFlags(Packet.M_CSUM_OK);
        Packet whole = feed(mixed);
        assertWhole(whole, 12, 4000);
        assertThat(whole.flags() & Packet.M_CSUM_OK).isZero();
    }

    @Test
    void inOrder() {
        assertWhole(feed(fragments(1, 4000, 1500)), 1, 4000);
        assertThat(count("fragments")).isEqualTo(3);
        assertThat(count("ok")).isEqualTo(1);
        assertThat(reass.queueCount()).isZero();
    }

    @Test
    void reversed() {
        List<Packet> f = fragments(2, 9000, 1500);
        Collections.reverse(f);
        assertWhole(feed(f), 2, 9000);
    }

    @Test
    void shuffled() {
        sysctl.find("net.inet.ip.maxfragsperpacket").set(8192);
        Random rnd = new Random(1);
        for (int i = 0; i < 50; i++) {
            List<Packet> f = fragments(100 + i, 1 + rnd.nextInt(12000), 68 + rnd.nextInt(1500));
            Collections.shuffle(f, rnd);
            Packet whole = feed(f);
            assertWhole(whole, 100 + i, hdr(whole).payloadLength());
        }
        assertThat(reass.queueCount()).isZero();
    }

    @Test
    void duplicatesAreCountedAndIgnored() {
        List<Packet> f = fragments(3, 3000, 1500);
        List<Packet> twice = new ArrayList<>(List.of(f.get(0), f.get(0), f.get(1), f.get(1), f.get(2)));
        assertWhole(feed(twice), 3, 3000);
        assertThat(count("dropped")).isEqualTo(2);
    }

    /** A fragment of datagram 9 carrying {@code len} bytes of {@code fill} at {@code off}. */
    private static Packet piece(int off, int len, boolean mf, byte fill) {
        byte[] data = new byte[len];
        Arrays.fill(data, fill);
        return packet(SRC, DST, 17, 64, (mf ? Ipv4Header.FLAG_MF : 0) | off >>> 3, data);
    }

    @Test
    void overlapsKeepTheEarlierData() {
        assertThat(reass.input(piece(0, 16, true, (byte) 'A'), 20)).isNull();
        assertThat(reass.input(piece(32, 8, false, (byte) 'C'), 20)).isNull();
        // covers the end of A, the hole, and the start of C
        Packet whole = reass.input(piece(8, 32, true, (byte) 'B'), 20);
        assertThat(whole).isNotNull();
        byte[] payload = Arrays.copyOfRange(whole.array(), whole.offset() + 20, whole.offset() + 60);
        assertThat(new String(payload)).isEqualTo("AAAAAAAAAAAAAAAA" + "BBBBBBBBBBBBBBBB" + "CCCCCCCC");
    }

    @Test
    void contradictingEndsDropTheDatagram() {
        assertThat(reass.input(piece(0, 16, true, (byte) 1), 20)).isNull();
        assertThat(reass.input(piece(32, 8, false, (byte) 2), 20)).isNull();
        assertThat(reass.input(piece(16, 16, false, (byte) 3), 20)).as("a second, different last fragment").isNull();
        assertThat(reass.queueCount()).isZero();
        assertThat(reass.input(piece(16, 16, true, (byte) 1), 20)).isNull();
        assertThat(reass.input(piece(0, 16, false, (byte) 1), 20)).as("data past the end").isNull();
        assertThat(reass.queueCount()).isZero();
    }

    @Test
    void misalignedMiddleFragmentsAreDropped() {
        assertThat(reass.input(piece(0, 12, true, (byte) 1), 20)).isNull();
        assertThat(reass.queueCount()).isZero();
        assertThat(count("dropped")).isEqualTo(1);
    }

    @Test
    void missingFragmentTimesOutWithIcmpWhenTheFirstArrived() {
        List<Packet> a = fragments(5, 3000, 1500);
        List<Packet> b = fragments(6, 3000, 1500);
        reass.input(a.get(0).copy(), 20);
        reass.input(a.get(2).copy(), 20);
        reass.input(b.get(1).copy(), 20);
        assertThat(reass.queueCount()).isEqualTo(2);
        reass.slowtimo(now.get() + TimeUnit.SECONDS.toNanos(29));
        assertThat(reass.queueCount()).as("not yet").isEqualTo(2);
        reass.slowtimo(now.get() + TimeUnit.SECONDS.toNanos(30));
        assertThat(reass.queueCount()).isZero();
        assertThat(count("timeout")).isEqualTo(3);
        assertThat(timedOut).as("only the datagram whose first fragment came").hasSize(1);
        Ipv4Header first = hdr(timedOut.get(0));
        assertThat(first.check()).isEqualTo(WireStatus.OK);
        assertThat(first.id()).isEqualTo(5);
        assertThat(first.fragmentOffset()).isZero();
        assertThat(first.moreFragments()).isTrue();
    }

    @Test
    void defaultFragmentLimitRefusesSeventeenFragments() {
        List<Packet> f = fragments(2, 9000, 576);
        assertThat(f).hasSize(17);
        assertThat(feed(f)).isNull();
        assertThat(count("dropped")).isEqualTo(17);
        assertThat(reass.queueCount()).isZero();
    }

    @Test
    void queueLimitIsEnforced() {
        sysctl.find("net.inet.ip.maxfragpackets").set(2);
        // three datagrams of one bucket: the third drops the first, the oldest
        int[] ids = sameBucket(3);
        reass.input(fragments(ids[0], 3000, 1500).get(0), 20);
        reass.input(fragments(ids[1], 3000, 1500).get(0), 20);
        assertThat(reass.queueCount()).isEqualTo(2);
        List<Packet> third = fragments(ids[2], 3000, 1500);
        reass.input(third.get(0).copy(), 20);
        assertThat(reass.queueCount()).isEqualTo(2);
        assertThat(count("dropped")).as("the oldest queue's one fragment").isEqualTo(1);
        assertThat(reass.reused.sum()).isEqualTo(1);
        assertWhole(feed(third.subList(1, third.size())), ids[2], 3000);
        assertThat(feed(fragments(ids[0], 3000, 1500).subList(1, 2))).as("the first datagram's queue is gone").isNull();
        sysctl.find("net.inet.ip.maxfragpackets").set(0);
        assertThat(reass.input(fragments(4, 3000, 1500).get(0), 20)).as("0 turns reassembly off").isNull();
        assertThat(reass.queueCount()).isEqualTo(2);
    }

    /**
     * A flood of first fragments that never complete, 100 times the table: the table never
     * holds more than net.inet.ip.maxfragpackets queues, every flood fragment is counted,
     * and a datagram sent in the middle of the flood is still reassembled.
     */
    @Test
    void aFloodOfIncompleteDatagramsStaysBoundedAndLetsNewDatagramsThrough() {
        sysctl.find("net.inet.ip.maxfragpackets").set(64);
        int flood = 6400;
        int highest = 0;
        Packet whole = null;
        for (int i = 0; i < flood; i++) {
            reass.input(fragments(10_000 + i, 3000, 1500).get(0), 20);
            highest = Math.max(highest, reass.queueCount());
            if (i == flood / 2) {
                whole = feed(fragments(7, 3000, 1500));
            }
        }
        assertThat(highest).isEqualTo(64);
        assertWhole(whole, 7, 3000);
        assertThat(count("fragments")).isEqualTo(flood + 3);
        long dropped = count("dropped");
        // each dropped queue held one flood fragment; refused fragments count one each too
        assertThat(dropped + reass.queueCount()).isEqualTo(flood);
        // 6,401 queues were made (the flood's and the good one); 64 remain and the good one
        // left by completing, so every other one was dropped to make room
        assertThat(reass.reused.sum()).as("one old queue made room for each new datagram past the 64th").isEqualTo(flood + 1 - 64 - 1);
        assertThat(dropped).isEqualTo(reass.reused.sum());
    }

    /**
     * Input workers add queues under different buckets' locks: the limit must hold across
     * them. Four threads flood first fragments (distinct ids, so distinct buckets) against a
     * small limit and look at the count after every fragment; with a check and a later
     * increment two of them passed the limit together (the fragment flood bench saw 1,025
     * queues of 1,024).
     */
    @Test
    void concurrentWorkersNeverHoldMoreQueuesThanTheLimit() throws Exception {
        sysctl.find("net.inet.ip.maxfragpackets").set(4);
        int threads = 4;
        int perThread = 20_000;
        List<Packet> firsts = new ArrayList<>();
        for (int i = 0; i < threads * perThread; i++) {
            firsts.add(fragments(1 + i % 65_000, 64, 48).get(0));
        }
        AtomicLong highest = new AtomicLong();
        java.util.concurrent.CyclicBarrier start = new java.util.concurrent.CyclicBarrier(threads);
        List<Thread> ts = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            int from = t * perThread;
            ts.add(Thread.ofPlatform().start(() -> {
                try {
                    start.await();
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
                for (int i = from; i < from + perThread; i++) {
                    reass.input(firsts.get(i).copy(), 20);
                    highest.accumulateAndGet(reass.queueCount(), Math::max);
                }
            }));
        }
        for (Thread t : ts) {
            t.join(60_000);
        }
        assertThat(highest.get()).as("queues held at once, limit 4").isLessThanOrEqualTo(4);
        assertThat(count("fragments")).isEqualTo((long) threads * perThread);
    }

    @Test
    void fragmentsPerPacketLimitDropsTheQueue() {
        sysctl.find("net.inet.ip.maxfragsperpacket").set(3);
        List<Packet> f = fragments(7, 4000, 576);
        assertThat(f).hasSizeGreaterThan(4);
        for (int i = 0; i < 4; i++) {
            assertThat(reass.input(f.get(i).copy(), 20)).isNull();
        }
        assertThat(reass.queueCount()).isZero();
        assertThat(count("dropped")).isEqualTo(4);
    }

    @Test
    void datagramsOver65535AreDropped() {
        reass.input(piece(0, 16, true, (byte) 1), 20);
        assertThat(reass.input(piece(65520, 8, false, (byte) 1), 20)).isNull();
        assertThat(count("toolong")).isEqualTo(1);
        assertThat(reass.queueCount()).isZero();
    }

    @Test
    void memoryIsOneDatagramPerQueue() {
        // many tiny fragments of one datagram: the queue's buffer holds the data once
        List<Packet> f = fragments(8, 1000, 68);
        sysctl.find("net.inet.ip.maxfragsperpacket").set(200);
        Packet whole = feed(f);
        assertWhole(whole, 8, 1000);
        assertThat(whole.array().length).isLessThan(4096);
    }
}
