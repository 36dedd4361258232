package org.protosw.internal.kern;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.concurrent.atomic.AtomicLong;

import org.junit.jupiter.api.Test;
import org.protosw.internal.net.Loopback;
import org.protosw.spi.Packet;

/**
 * The design's rule under direct dispatch: one flow is processed by one thread at a time,
 * in the order its packets were sent, whether the sender, another sender or the worker
 * processes it. Senders send as a protocol does (sequence taken and packet queued under
 * the flow's lock, inside a socket call's window), some without a window (a pipe or TUN
 * thread), some hand off as before blocking; processing sends replies on other flows from
 * inside processing. A second thread in one flow, or a packet overtaking an earlier one,
 * is counted and fails the test.
 */
class DirectDispatchOrderTest {
    private static final int FLOWS = 4;
    private static final int REPLY_FLOWS = 4;
    private static final int SENDERS = 4;
    private static final int PER_SENDER = 20_000;

    private final Object[] flowLocks = new Object[FLOWS];
    private final int[] nextSeq = new int[FLOWS + REPLY_FLOWS];
    private final int[] expected = new int[FLOWS + REPLY_FLOWS];
    private final AtomicIntegerArray inFlight = new AtomicIntegerArray(FLOWS + REPLY_FLOWS);
    private final AtomicInteger overlaps = new AtomicInteger();
    private final AtomicInteger reordered = new AtomicInteger();
    private final AtomicLong processed = new AtomicLong();
    private final AtomicLong replies = new AtomicLong();
    private final Loopback lo = new Loopback("lo0");
    private Netisr netisr;

    @Test
    void oneFlowIsProcessedByOneThreadAtATimeInSendOrder() throws Exception {
        for (int i = 0; i < FLOWS; i++) {
            flowLocks[i] = new Object();
        }
        netisr = new Netisr("order", 2, 1 << 20, this::input);
        try {
            Thread[] senders = new Thread[SENDERS];
            for (int t = 0; t < SENDERS; t++) {
                int kind = t;
                senders[t] = new Thread(() -> send(kind), "sender-" + t);
                senders[t].start();
            }
            for (Thread t : senders) {
                t.join(TimeUnit.MINUTES.toMillis(5));
                assertThat(t.isAlive()).as("%s finished", t.getName()).isFalse();
            }
            long sent = (long) SENDERS * PER_SENDER;
            long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(2);
            while (processed.get() < sent + replies.get() && System.nanoTime() < deadline) {
                Thread.sleep(10);
            }
            assertThat(netisr.droppedTotal()).isZero();
            assertThat(processed.get()).isEqualTo(sent + replies.get());
            assertThat(overlaps.get()).as("packets of one flow processed by two threads at once").isZero();
            assertThat(reordered.get()).as("packets processed out of their flow's order").isZero();
            for (int f = 0; f < FLOWS + REPLY_FLOWS; f++) {
                assertThat(expected[f]).as("flow %d processed up to what was sent", f).isEqualTo(nextSeq[f]);
            }
            // senders did process packets themselves
            assertThat(netisr.directTotal()).isPositive();
        } finally {
            netisr.close();
        }
    }

    /** Kind 0 and 1 send inside windows (1 also hands off at times), 2 and 3 without. */
    private void send(int kind) {
        ThreadLocalRandom rnd = ThreadLocalRandom.current();
        for (int i = 0; i < PER_SENDER; i++) {
            int f = rnd.nextInt(FLOWS);
            boolean window = kind < 2;
            if (window) {
                DirectDispatch.enter();
            }
            try {
                synchronized (flowLocks[f]) {
                    netisr.dispatch(lo, packet(f, nextSeq[f]++));
                }
                if (kind == 1 && rnd.nextInt(8) == 0) {
                    DirectDispatch.handOff();
                }
            } finally {
                if (window) {
                    DirectDispatch.exit();
                }
            }
        }
    }

    private void input(org.protosw.internal.net.NetInterface ifp, Packet p) {
        int f = p.get16(22);
        int seq = p.get32(24);
        if (inFlight.incrementAndGet(f) != 1) {
            overlaps.incrementAndGet();
        }
        try {
            if (seq != expected[f]) {
                reordered.incrementAndGet();
            }
            expected[f] = seq + 1;
            // widen the window in which a second thread could slip in
            for (int i = ThreadLocalRandom.current().nextInt(50); i > 0; i--) {
                Thread.onSpinWait();
            }
            if (f < FLOWS && seq % 5 == 0) {
                // a reply sent from within processing: queued, never processed recursively
                int r = FLOWS + f;
                replies.incrementAndGet();
                netisr.dispatch(lo, packet(r, nextSeq[r]++));
            }
        } finally {
            inFlight.decrementAndGet(f);
            processed.incrementAndGet();
        }
    }

    /** A UDP-like IPv4 packet: flow in the destination port, sequence after it. */
    private static Packet packet(int flow, int seq) {
        Packet p = Packet.allocate(28);
        p.set8(0, 0x45);
        p.set16(2, 28);
        p.set8(9, 17);
        p.set32(12, 0x7f000001);
        p.set32(16, 0x7f000001);
        p.set16(20, 1000 + flow % 2);
        p.set16(22, flow);
        p.set32(24, seq);
        return p;
    }
}
