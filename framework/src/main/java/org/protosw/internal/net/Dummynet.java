package org.protosw.internal.net;

import java.util.PriorityQueue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Consumer;

import org.protosw.spi.Packet;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The scheduler behind the pipes of a stack instance (or shared by several): one daemon
 * thread, {@code dummynet-<name>}, that hands each packet on when its due time comes.
 *
 * <p>Callers never wait: a packet goes into a lock-free inbox, and the thread is woken only
 * when the new packet is due before the time it sleeps until. The thread alone owns the
 * priority queue (ordered by due time, then arrival), and parks with
 * {@link LockSupport#parkNanos} until the head is due.
 *
 * <p>Packets waiting here (in serialization queues and delay lines alike) are bounded in
 * number and bytes; past either cap a packet is refused and the pipe counts it.
 */
public final class Dummynet implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(Dummynet.class);

    public static final int DEFAULT_MAX_PACKETS = 65_536;
    public static final long DEFAULT_MAX_BYTES = 64L << 20;

    /** One packet to hand on at {@code due}. */
    static final class Event implements Comparable<Event> {
        final long due;
        final Packet packet;
        final Consumer<Packet> next;
        final DummynetPipe.Port port;
        long seq;

        Event(long due, Packet packet, Consumer<Packet> next, DummynetPipe.Port port) {
            this.due = due;
            this.packet = packet;
            this.next = next;
            this.port = port;
        }

        @Override
        public int compareTo(Event o) {
            int c = Long.compare(due - o.due, 0);
            return c != 0 ? c : Long.compare(seq, o.seq);
        }
    }

    /** Drop every waiting packet of one port (or, for a null port, of one pipe). */
    private record Purge(DummynetPipe pipe, DummynetPipe.Port port) {
    }

    private final String name;
    private final int maxPackets;
    private final long maxBytes;
    private final ConcurrentLinkedQueue<Object> inbox = new ConcurrentLinkedQueue<>();
    private final AtomicLong pendingPackets = new AtomicLong();
    private final AtomicLong pendingBytes = new AtomicLong();
    private final AtomicLong overflows = new AtomicLong();
    private final AtomicLong callbackErrors = new AtomicLong();
    /** When the thread will wake by itself; {@code Long.MIN_VALUE} while it is awake. */
    private volatile long wakeAt = Long.MIN_VALUE;
    private volatile boolean wakeAtIsSet;
    private volatile Thread thread;
    private volatile boolean closed;

    public Dummynet(String name) {
        this(name, DEFAULT_MAX_PACKETS, DEFAULT_MAX_BYTES);
    }

    public Dummynet(String name, int maxPackets, long maxBytes) {
        if (maxPackets < 1 || maxBytes < 1) {
            throw new IllegalArgumentException("dummynet " + name + ": caps must be positive (packets " + maxPackets + ", bytes " + maxBytes + ")");
        }
        this.name = name;
        this.maxPackets = maxPackets;
        this.maxBytes = maxBytes;
    }

    public String name() {
        return name;
    }

    /** Packets waiting in all pipes of this scheduler. */
    public long pendingPackets() {
        return pendingPackets.get();
    }

    public long pendingBytes() {
        return pendingBytes.get();
    }

    /** Packets refused because the caps were reached or the scheduler was closed. */
    public long overflows() {
        return overflows.get();
    }

    /** Exceptions thrown by the code a packet was handed to (logged, never fatal). */
    public long callbackErrors() {
        return callbackErrors.get();
    }

    public boolean isClosed() {
        return closed;
    }

    /**
     * Takes a packet to hand on at {@code due} ({@link System#nanoTime} time); false, and the
     * packet is the caller's to drop, when closed or over the caps.
     */
    boolean schedule(Event e) {
        if (closed) {
            overflows.incrementAndGet();
            return false;
        }
        int len = e.packet.length();
        if (pendingPackets.incrementAndGet() > maxPackets | pendingBytes.addAndGet(len) > maxBytes) {
            pendingPackets.decrementAndGet();
            pendingBytes.addAndGet(-len);
            overflows.incrementAndGet();
            return false;
        }
        inbox.offer(e);
        if (closed && inbox.remove(e)) {
            // close() raced with us and may already have drained the inbox
            release(e);
            overflows.incrementAndGet();
            return false;
        }
        Thread t = thread != null ? thread : start();
        if (wakeAtIsSet && e.due - wakeAt < 0) {
            LockSupport.unpark(t);
        }
        return true;
    }

    /** Drops, soon and on the scheduler thread, every waiting packet of {@code port}. */
    void purge(DummynetPipe.Port port) {
        requestPurge(new Purge(port.pipe(), port));
    }

    /** Drops every waiting packet of {@code pipe}. */
    void purge(DummynetPipe pipe) {
        requestPurge(new Purge(pipe, null));
    }

    private void requestPurge(Purge p) {
        Thread t = thread;
        if (t == null || closed) {
            return;
        }
        inbox.offer(p);
        LockSupport.unpark(t);
    }

    private synchronized Thread start() {
        Thread t = thread;
        if (t == null) {
            t = Thread.ofPlatform().daemon().name("dummynet-" + name).unstarted(this::run);
            thread = t;
            t.start();
        }
        return t;
    }

    private void run() {
        PriorityQueue<Event> heap = new PriorityQueue<>();
        long seq = 0;
        while (!closed) {
            wakeAtIsSet = false;
            for (Object o; (o = inbox.poll()) != null;) {
                if (o instanceof Event e) {
                    e.seq = seq++;
                    heap.add(e);
                } else if (o instanceof Purge p) {
                    heap.removeIf(e -> {
                        boolean match = p.port() != null ? e.port == p.port() : e.port.pipe() == p.pipe();
                        if (match) {
                            release(e);
                            e.port.pipe().countFlushed();
                        }
                        return match;
                    });
                }
            }
            Event head = heap.peek();
            long now = System.nanoTime();
            if (head != null && head.due - now <= 0) {
                heap.poll();
                release(head);
                deliver(head);
                continue;
            }
            // publish when we will wake, then look at the inbox once more: a producer either
            // sees the published time and unparks us, or its packet is seen here
            wakeAt = head != null ? head.due : now + TimeUnit.SECONDS.toNanos(60);
            wakeAtIsSet = true;
            if (!inbox.isEmpty() || closed) {
                continue;
            }
            Thread.interrupted(); // an interrupt would make every park return at once
            LockSupport.parkNanos(this, wakeAt - now);
        }
        for (Event e : heap) {
            release(e);
            e.port.pipe().countFlushed();
        }
        heap.clear();
    }

    private void deliver(Event e) {
        try {
            e.port.deliver(e);
        } catch (Throwable t) {
            callbackErrors.incrementAndGet();
            LOG.warn("dummynet-{}: handing on a packet of pipe {} failed", name, e.port.pipe().number(), t);
        }
    }

    private void release(Event e) {
        pendingPackets.decrementAndGet();
        pendingBytes.addAndGet(-e.packet.length());
    }

    /** Stops the thread; packets still waiting are dropped. */
    @Override
    public void close() {
        closed = true;
        Thread t;
        synchronized (this) {
            t = thread;
        }
        if (t == null) {
            return;
        }
        LockSupport.unpark(t);
        if (t != Thread.currentThread()) {
            try {
                t.join(TimeUnit.SECONDS.toMillis(5));
            } catch (InterruptedException ie) {
                Thread.currentThread().interrupt();
            }
            if (t.isAlive()) {
                LOG.warn("dummynet-{}: scheduler thread did not stop within 5 s", name);
            }
        }
        // what came in after the thread left its loop
        for (Object o; (o = inbox.poll()) != null;) {
            if (o instanceof Event e) {
                release(e);
                e.port.pipe().countFlushed();
            }
        }
    }

    @Override
    public String toString() {
        return "dummynet-" + name + " (" + pendingPackets() + " packets waiting)";
    }
}
