package org.protosw.internal.net;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Consumer;

import org.protosw.spi.Packet;

/**
 * A dummynet pipe: a link of given bandwidth, delay and defects that packets cross.
 *
 * <p>On entry a packet may be lost (plr). With a bandwidth, it then waits in the pipe's
 * queue to be serialized: it departs at {@code max(now, last departure) + size * 8 / bw},
 * and is tail-dropped when the packets still waiting to depart fill the queue limit. After
 * departure it travels the delay line ({@code delay} ms, plus {@code gap} ms when picked for
 * reordering). A corrupted packet is a copy with one bit flipped (and its checksums no
 * longer vouched for); a duplicate is a copy delivered right after the original.
 *
 * <p>All decisions are made by the caller's thread when the packet enters, under the pipe's
 * own short lock, with the pipe's random generator: with a seed, the same packet sequence
 * meets the same fate. Handing on happens on the {@link Dummynet} thread.
 *
 * <p>A pipe may serve several interface directions at once: each gets its own {@link Port}
 * (that is what {@link PipeTable} installs with {@link NetInterface#setPipe}), all sharing
 * the queue and the configuration; reconfiguring keeps them.
 */
public final class DummynetPipe implements LinkPipe {
    private static final long NANOS_PER_MS = 1_000_000L;

    private final int number;
    private final Dummynet sched;
    private final ReentrantLock lock = new ReentrantLock();
    private final CopyOnWriteArrayList<Port> ports = new CopyOnWriteArrayList<>();
    private final Port direct;
    private volatile PipeConfig config;
    private volatile boolean deleted;

    // guarded by lock
    private SplittableRandom rng;
    private long lastDeparture;
    private long[] qDepart = new long[64];
    private int[] qSize = new int[64];
    private int qHead;
    private int qCount;
    private long qBytes;

    private final LongAdder inPackets = new LongAdder();
    private final LongAdder inBytes = new LongAdder();
    private final LongAdder outPackets = new LongAdder();
    private final LongAdder outBytes = new LongAdder();
    private final LongAdder queueDrops = new LongAdder();
    private final LongAdder lost = new LongAdder();
    private final LongAdder duplicated = new LongAdder();
    private final LongAdder reordered = new LongAdder();
    private final LongAdder corrupted = new LongAdder();
    private final LongAdder schedulerDrops = new LongAdder();
    private final LongAdder flushed = new LongAdder();

    public DummynetPipe(int number, PipeConfig config, Dummynet sched) {
        this.number = number;
        this.sched = sched;
        this.direct = new Port(this, null, false);
        this.lastDeparture = System.nanoTime();
        configure(config);
    }

    public int number() {
        return number;
    }

    public PipeConfig config() {
        return config;
    }

    /** Takes a new configuration; queued packets, attachments and counters stay. */
    public void configure(PipeConfig c) {
        if (c == null) {
            throw new IllegalArgumentException("pipe " + number + ": configuration is null");
        }
        lock.lock();
        try {
            config = c;
            rng = c.seed().isPresent() ? new SplittableRandom(c.seed().getAsLong()) : new SplittableRandom();
        } finally {
            lock.unlock();
        }
    }

    /** A new attachment of this pipe to one direction of an interface. */
    public Port newPort(NetInterface ifp, boolean inbound) {
        if (deleted) {
            throw new IllegalStateException("pipe " + number + " is deleted");
        }
        Port p = new Port(this, ifp, inbound);
        ports.add(p);
        return p;
    }

    /** The interface directions this pipe is attached to. */
    public List<Port> ports() {
        return List.copyOf(ports);
    }

    public boolean isDeleted() {
        return deleted;
    }

    /**
     * Takes the pipe out of service: later packets are dropped, waiting ones flushed. The
     * caller ({@link PipeTable}) removes the ports from the interfaces.
     */
    void delete() {
        deleted = true;
        for (Port p : ports) {
            p.closed = true;
        }
        ports.clear();
        sched.purge(this);
    }

    /** Used directly as an interface's pipe (without a {@link Port}). */
    @Override
    public void enqueue(Packet p, Consumer<Packet> next) {
        enqueue(direct, p, next);
    }

    /** The interface stopped using this pipe directly: flush what it queued that way. */
    @Override
    public void detached(NetInterface ifp) {
        sched.purge(direct);
    }

    private void enqueue(Port port, Packet p, Consumer<Packet> next) {
        int len = p.length();
        inPackets.increment();
        inBytes.add(len);
        if (deleted || port.closed) {
            flushed.increment();
            return;
        }
        long now = System.nanoTime();
        lock.lock();
        try {
            PipeConfig c = config;
            if (c.plr() > 0 && rng.nextDouble() < c.plr()) {
                lost.increment();
                return;
            }
            long departure = now;
            long previousDeparture = lastDeparture;
            boolean queued = false;
            if (c.bandwidth() > 0) {
                dequeueDeparted(now);
                boolean full = c.queueBytes() > 0 ? qBytes + len > c.queueBytes() : qCount >= c.queueSlots();
                if (full) {
                    queueDrops.increment();
                    return;
                }
                long start = lastDeparture - now > 0 ? lastDeparture : now;
                departure = start + (long) Math.ceil(len * 8e9 / c.bandwidth());
                lastDeparture = departure;
                pushQueue(departure, len);
                queued = true;
            }
            long due = departure + c.delay() * NANOS_PER_MS;
            boolean reorder = c.reorder() > 0 && rng.nextDouble() < c.reorder();
            if (reorder) {
                due += c.reorderGap() * NANOS_PER_MS;
            }
            boolean dup = c.dup() > 0 && rng.nextDouble() < c.dup();
            boolean corrupt = c.corrupt() > 0 && len > 0 && rng.nextDouble() < c.corrupt();
            // copies are taken now: once the original is handed on it belongs to the receiver
            Packet copy = dup ? p.copy() : null;
            Packet out = p;
            if (corrupt) {
                out = p.copy();
                int bit = rng.nextInt(len * 8);
                out.set8(bit >>> 3, out.get8(bit >>> 3) ^ (0x80 >>> (bit & 7)));
                out.setFlags(out.flags() & ~Packet.M_CSUM_OK);
            }
            if (!sched.schedule(new Dummynet.Event(due, out, next, port))) {
                schedulerDrops.increment();
                if (queued) {
                    popQueueTail();
                    lastDeparture = previousDeparture;
                }
                return;
            }
            if (reorder) {
                reordered.increment();
            }
            if (corrupt) {
                corrupted.increment();
            }
            if (copy != null) {
                if (sched.schedule(new Dummynet.Event(due, copy, next, port))) {
                    duplicated.increment();
                } else {
                    schedulerDrops.increment();
                }
            }
        } finally {
            lock.unlock();
        }
    }

    /** On the scheduler thread, when the packet is due. */
    private void deliver(Port port, Dummynet.Event e) {
        if (deleted || port.closed) {
            flushed.increment();
            return;
        }
        outPackets.increment();
        outBytes.add(e.packet.length());
        e.next.accept(e.packet);
    }

    void countFlushed() {
        flushed.increment();
    }

    private void dequeueDeparted(long now) {
        while (qCount > 0 && qDepart[qHead] - now <= 0) {
            qBytes -= qSize[qHead];
            qHead = (qHead + 1) % qDepart.length;
            qCount--;
        }
    }

    private void pushQueue(long departure, int len) {
        if (qCount == qDepart.length) {
            long[] nd = new long[qDepart.length * 2];
            int[] ns = new int[nd.length];
            for (int i = 0; i < qCount; i++) {
                nd[i] = qDepart[(qHead + i) % qDepart.length];
                ns[i] = qSize[(qHead + i) % qDepart.length];
            }
            qDepart = nd;
            qSize = ns;
            qHead = 0;
        }
        int tail = (qHead + qCount) % qDepart.length;
        qDepart[tail] = departure;
        qSize[tail] = len;
        qCount++;
        qBytes += len;
    }

    private void popQueueTail() {
        int tail = (qHead + qCount - 1) % qDepart.length;
        qBytes -= qSize[tail];
        qCount--;
    }

    public PipeStats stats() {
        int qlen;
        long qb;
        lock.lock();
        try {
            dequeueDeparted(System.nanoTime());
            qlen = qCount;
            qb = qBytes;
        } finally {
            lock.unlock();
        }
        return new PipeStats(inPackets.sum(), inBytes.sum(), outPackets.sum(), outBytes.sum(), queueDrops.sum(),
                lost.sum(), duplicated.sum(), reordered.sum(), corrupted.sum(), schedulerDrops.sum(), flushed.sum(),
                qlen, qb);
    }

    /** What {@code pipe show} prints for this pipe, a few lines in dnctl style. */
    public String show() {
        PipeStats s = stats();
        List<String> on = new ArrayList<>();
        for (Port p : ports) {
            on.add(p.ifp().name() + (p.inbound() ? " in" : " out"));
        }
        return String.format("%05d: %s%n", number, config)
                + "    attached: " + (on.isEmpty() ? "none" : String.join(", ", on)) + System.lineSeparator()
                + String.format("    in %d pkts %d bytes, out %d pkts %d bytes, queue %d pkts %d bytes%n",
                        s.inPackets(), s.inBytes(), s.outPackets(), s.outBytes(), s.queueLength(), s.queueBytes())
                + String.format("    drops: queue %d, lost %d, scheduler %d, flushed %d; duplicated %d, reordered %d, corrupted %d%n",
                        s.queueDrops(), s.lost(), s.schedulerDrops(), s.flushed(), s.duplicated(), s.reordered(), s.corrupted());
    }

    @Override
    public String toString() {
        return String.format("%05d: %s", number, config);
    }

    /** One interface direction that this pipe serves; what the interface holds as its pipe. */
    public static final class Port implements LinkPipe {
        private final DummynetPipe pipe;
        private final NetInterface ifp;
        private final boolean inbound;
        private volatile boolean closed;

        private Port(DummynetPipe pipe, NetInterface ifp, boolean inbound) {
            this.pipe = pipe;
            this.ifp = ifp;
            this.inbound = inbound;
        }

        public DummynetPipe pipe() {
            return pipe;
        }

        /** The interface, or null for the pipe's own direct entry. */
        public NetInterface ifp() {
            return ifp;
        }

        public boolean inbound() {
            return inbound;
        }

        public boolean isClosed() {
            return closed;
        }

        @Override
        public void enqueue(Packet p, Consumer<Packet> next) {
            pipe.enqueue(this, p, next);
        }

        /** The interface let go of this port (detach, or the interface was destroyed). */
        @Override
        public void detached(NetInterface from) {
            closed = true;
            pipe.ports.remove(this);
            pipe.sched.purge(this);
        }

        void deliver(Dummynet.Event e) {
            pipe.deliver(this, e);
        }

        @Override
        public String toString() {
            return "pipe " + pipe.number + " on " + (ifp == null ? "(direct)" : ifp.name() + (inbound ? " in" : " out"));
        }
    }
}
