package org.protosw.internal.kern;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.protosw.internal.net.Loopback;
import org.protosw.spi.Packet;
import org.protosw.wire.Ipv4Header;

/**
 * The input queue's reserve (net.isr.reserve): once a worker's queue is that close to full,
 * TCP SYNs and IP fragments are dropped and counted, while segments of established flows and
 * other packets are still queued, up to the queue's end.
 */
@Timeout(60)
class NetisrReserveTest {
    private static final int LIMIT = 100;

    private final Loopback lo = new Loopback("lo0");

    /** An IPv4 packet of protocol {@code proto}; for TCP, a header with {@code tcpFlags}. */
    private static Packet packet(int proto, int tcpFlags, int fragWord, int sport) {
        byte[] b = new byte[40];
        Ipv4Header.write(b, 0, 0, b.length, 0, fragWord, 64, proto, 0x0a000001, 0x0a000002);
        b[20] = (byte) (sport >>> 8);
        b[21] = (byte) sport;
        b[33] = (byte) tcpFlags;
        return Packet.wrap(b, 0, b.length);
    }

    @Test
    void synsAndFragmentsGoWhenTheQueueIsInItsReserveEstablishedSegmentsStay() throws Exception {
        CountDownLatch release = new CountDownLatch(1);
        CountDownLatch busy = new CountDownLatch(1);
        AtomicInteger handled = new AtomicInteger();
        Netisr netisr = new Netisr("reserve", 1, LIMIT, (ifp, p) -> {
            busy.countDown();
            try {
                release.await(30, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            handled.incrementAndGet();
        });
        try {
            netisr.setReservePercent(25);
            int capacity = 128; // the ring rounds LIMIT up to a power of two
            // the worker takes the first packet and blocks in it; then fill to the reserve's edge
            netisr.dispatch(lo, packet(6, 0x10, 0, 1));
            assertThat(busy.await(10, TimeUnit.SECONDS)).as("the worker took the first packet").isTrue();
            int edge = capacity - capacity * 25 / 100;
            for (int i = 0; i < edge; i++) {
                netisr.dispatch(lo, packet(6, 0x10, 0, 1));
            }
            long before = netisr.droppedTotal();
            // in the reserve: a SYN, a non-first fragment, a first fragment (MF) are dropped ...
            netisr.dispatch(lo, packet(6, 0x02, 0, 2));
            netisr.dispatch(lo, packet(17, 0, 100, 3));
            netisr.dispatch(lo, packet(17, 0, Ipv4Header.FLAG_MF, 3));
            assertThat(netisr.reserveDropsTotal()).isEqualTo(3);
            // ... a SYN-ACK, a RST, an ACK and a UDP datagram are queued
            netisr.dispatch(lo, packet(6, 0x12, 0, 2));
            netisr.dispatch(lo, packet(6, 0x04, 0, 2));
            netisr.dispatch(lo, packet(6, 0x10, 0, 2));
            netisr.dispatch(lo, packet(17, 0, 0, 3));
            assertThat(netisr.droppedTotal() - before).as("only the three, counted as drops too").isEqualTo(3);
            assertThat(netisr.reserveDropsTotal()).isEqualTo(3);

            // with the reserve off, a SYN takes the queue's last places as any packet does
            netisr.setReservePercent(0);
            netisr.dispatch(lo, packet(6, 0x02, 0, 4));
            assertThat(netisr.reserveDropsTotal()).isEqualTo(3);
            assertThat(netisr.droppedTotal() - before).isEqualTo(3);
        } finally {
            release.countDown();
            netisr.close();
        }
        assertThat(handled.get()).as("everything queued was handled").isGreaterThan(0);
    }

    @Test
    void withAnEmptyQueueASynIsQueuedWhateverTheReserve() throws Exception {
        CountDownLatch got = new CountDownLatch(1);
        Netisr netisr = new Netisr("reserve", 1, LIMIT, (ifp, p) -> got.countDown());
        try {
            netisr.setReservePercent(90);
            netisr.dispatch(lo, packet(6, 0x02, 0, 1));
            assertThat(got.await(10, TimeUnit.SECONDS)).isTrue();
            assertThat(netisr.reserveDropsTotal()).isZero();
        } finally {
            netisr.close();
        }
    }
}
