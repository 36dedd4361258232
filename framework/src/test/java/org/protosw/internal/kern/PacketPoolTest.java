package org.protosw.internal.kern;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicReference;

import org.junit.jupiter.api.Test;
import org.protosw.spi.Packet;

class PacketPoolTest {

    @Test
    void sizeClassesAreAQuarterOfAPowerOfTwoApartAndFitWhatWasAsked() {
        int prev = 0;
        for (int need = 1; need <= 1 << 18; need++) {
            int c = PacketPool.classOf(need);
            int size = PacketPool.classSize(c);
            assertThat(size).as("class of %d", need).isGreaterThanOrEqualTo(need);
            if (need > 256) {
                assertThat(size).as("waste for %d", need).isLessThanOrEqualTo(need + need / 4);
            }
            assertThat(size).isGreaterThanOrEqualTo(prev);
            prev = size;
        }
        assertThat(PacketPool.classSize(PacketPool.classOf(1500 + 128))).isEqualTo(1792);
    }

    @Test
    void aRecycledBufferComesBackZeroedWithTheAskedHeadroom() {
        // a class no other test here uses (5,128 and 5,228 bytes: both 6,144)
        Packet p = PacketPool.allocate(128, 5000);
        byte[] array = p.array();
        p.prepend(40);
        java.util.Arrays.fill(array, (byte) 0x5a);
        p.adj(60);
        p.addFlags(Packet.M_CSUM_OK);
        p.setTag("divert");
        PacketPool.recycle(p);
        Packet q = PacketPool.allocate(128, 5100);
        assertThat(q.array() == array).as("the same class hands back the recycled array").isTrue();
        assertThat(q.offset()).isEqualTo(128);
        assertThat(q.length()).isEqualTo(5100);
        assertThat(q.tag()).isNull();
        assertThat(q.flags() & Packet.M_CSUM_OK).isZero();
        for (int i = 0; i < 128 + 5100; i++) {
            assertThat(q.array()[i]).as("byte %d", i).isZero();
        }
        PacketPool.recycle(q);
    }

    @Test
    void aPacketRecycledTwiceIsHandedOutOnce() {
        Packet p = PacketPool.allocate(128, 3000);
        PacketPool.recycle(p);
        PacketPool.recycle(p);
        Packet a = PacketPool.allocate(128, 3000);
        Packet b = PacketPool.allocate(128, 3000);
        assertThat(a.array() != b.array()).as("two owners, two arrays").isTrue();
    }

    @Test
    void packetsThePoolDidNotMakeAreNeverKept() {
        byte[] mine = new byte[2048];
        Packet wrapped = Packet.wrap(mine, 0, 2048);
        PacketPool.recycle(wrapped);
        Packet plain = Packet.allocate(128, 2048 - 128);
        PacketPool.recycle(plain);
        Packet grown = PacketPool.allocate(16, 2000);
        grown.prepend(100); // reallocates: no longer a class size
        PacketPool.recycle(grown);
        for (int i = 0; i < 8; i++) {
            Packet q = PacketPool.allocate(0, 2048);
            assertThat(q.array() != mine && q.array() != plain.array() && q.array() != grown.array()).as("allocation %d", i).isTrue();
        }
    }

    /**
     * Four threads allocate, fill with their own pattern, hold briefly, check and recycle,
     * across three classes: a buffer handed to two owners at once shows as a changed byte.
     */
    @Test
    void concurrentOwnersNeverShareABuffer() throws Exception {
        AtomicReference<String> failure = new AtomicReference<>();
        List<Thread> threads = new ArrayList<>();
        for (int t = 0; t < 4; t++) {
            byte mark = (byte) (t + 1);
            threads.add(Thread.ofPlatform().start(() -> {
                ThreadLocalRandom r = ThreadLocalRandom.current();
                List<Packet> held = new ArrayList<>();
                for (int i = 0; i < 200_000 && failure.get() == null; i++) {
                    Packet p = PacketPool.allocate(128, 200 + r.nextInt(3) * 700);
                    java.util.Arrays.fill(p.array(), p.offset(), p.offset() + p.length(), mark);
                    held.add(p);
                    if (held.size() > 4 || r.nextBoolean()) {
                        Packet q = held.remove(r.nextInt(held.size()));
                        for (int k = q.offset(); k < q.offset() + q.length(); k++) {
                            if (q.array()[k] != mark) {
                                failure.compareAndSet(null, "thread " + mark + " found byte " + q.array()[k] + " at " + k);
                                break;
                            }
                        }
                        PacketPool.recycle(q);
                    }
                }
            }));
        }
        for (Thread t : threads) {
            t.join(60_000);
        }
        assertThat(failure.get()).isNull();
        assertThat(PacketPool.hits()).as("buffers were reused").isPositive();
    }
}
