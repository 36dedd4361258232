package org.protosw.internal.kern;

import java.lang.invoke.VarHandle;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.LockSupport;

import org.protosw.internal.net.NetInterface;
import org.protosw.spi.Packet;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The input workers of one stack instance (FreeBSD's netisr): received packets are queued
 * to a worker chosen by a hash of their flow (addresses, protocol, ports), so the packets of
 * one flow are processed in order on one thread while flows spread over all workers. A full
 * queue drops the packet and counts it, as netisr's queue limit does.
 *
 * <p>A queue is consumed only by the thread holding its worker's {@code busy} flag: the
 * worker itself, or a sender processing its own packets in its own thread
 * ({@link DirectDispatch}); whoever releases the flag with packets still queued wakes the
 * worker. So each flow is processed by one thread at a time, in queue order.
 */
public final class Netisr implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(Netisr.class);

    /** What the workers call for each packet (ip_input). */
    @FunctionalInterface
    public interface Handler {
        void input(NetInterface ifp, Packet p);
    }

    private final Worker[] workers;
    private final LongAdder queued = new LongAdder();
    private final LongAdder dropped = new LongAdder();
    private final LongAdder reserveDrops = new LongAdder();
    private volatile int reservePercent;
    private final LongAdder handled = new LongAdder();
    private final LongAdder direct = new LongAdder();
    /** Packets whose processing threw: each is a bug (ip_input promises not to throw). */
    private final LongAdder failed = new LongAdder();

    public Netisr(String vnetName, int threads, int queueLimit, Handler handler) {
        workers = new Worker[Math.max(1, threads)];
        for (int i = 0; i < workers.length; i++) {
            workers[i] = new Worker("netisr-" + vnetName + "-" + i, queueLimit, handler);
        }
        for (Worker w : workers) {
            w.thread.start();
        }
    }

    /**
     * Queues a received packet for input processing; never blocks. Inside a
     * {@link DirectDispatch} window the sending thread processes it itself later, else the
     * worker is woken.
     */
    public void dispatch(NetInterface ifp, Packet p) {
        Worker w = workers.length == 1 ? workers[0] : workers[(flowHash(p) & 0x7fffffff) % workers.length];
        int reserve = reservePercent;
        if (reserve > 0 && w.queue.size() >= w.queue.capacity() - (int) ((long) w.queue.capacity() * reserve / 100)
                && opensSomething(p)) {
            // the last part of the queue is kept for what continues a connection: under a
            // flood of SYNs or of fragments the established flows' segments would otherwise
            // be dropped with them, and their senders back off to a trickle
            reserveDrops.increment();
            dropped.increment();
            ifp.counters().iqdrops.increment();
            return;
        }
        // the packet carries its interface through the queue (no holder object per packet)
        p.setRcvif(ifp);
        if (w.queue.offer(p)) {
            queued.increment();
            DirectDispatch d = DirectDispatch.inWindow();
            if (d != null) {
                d.queued(w);
            } else {
                w.wake();
            }
        } else {
            dropped.increment();
            ifp.counters().iqdrops.increment();
        }
    }

    /**
     * A hash of the IPv4 flow: addresses and protocol, plus the ports for the first
     * fragment or an unfragmented TCP/UDP packet. Fragments after the first have no ports,
     * so all fragments of UDP/TCP hash by addresses only: they meet on one worker.
     */
    /**
     * What a flood is made of and a busy stack can best do without: a TCP SYN without ACK
     * (a new connection: the peer retries) and an IP fragment (reassembly may never complete).
     */
    static boolean opensSomething(Packet p) {
        if (p.length() < 20) {
            return false;
        }
        if ((p.get16(6) & 0x3fff) != 0) {
            return true;
        }
        int hlen = (p.get8(0) & 0xf) << 2;
        return p.get8(9) == 6 && p.length() >= hlen + 14 && (p.get8(hlen + 13) & 0x16) == 0x02;
    }

    /** Set from {@code net.isr.reserve} (percent of each queue kept for established traffic); 0 turns it off. */
    public void setReservePercent(int percent) {
        reservePercent = Math.max(0, Math.min(90, percent));
    }

    /** SYNs and fragments not queued because their queue was in its reserve. */
    public long reserveDropsTotal() {
        return reserveDrops.sum();
    }

    /** Packets not queued because their queue was full (the reserve's drops not counted). */
    public long queueFullDropsTotal() {
        return dropped.sum() - reserveDrops.sum();
    }

    static int flowHash(Packet p) {
        if (p.length() < 20) {
            return 0;
        }
        int src = p.get32(12);
        int dst = p.get32(16);
        int proto = p.get8(9);
        int h = src * 31 + dst;
        h = h * 31 + proto;
        boolean fragmented = (p.get16(6) & 0x3fff) != 0;
        int hlen = (p.get8(0) & 0xf) << 2;
        if (!fragmented && (proto == 6 || proto == 17) && p.length() >= hlen + 4) {
            h = h * 31 + p.get32(hlen);
        }
        return h ^ (h >>> 16);
    }

    public int threads() {
        return workers.length;
    }

    public long queuedTotal() {
        return queued.sum();
    }

    public long droppedTotal() {
        return dropped.sum();
    }

    public long handledTotal() {
        return handled.sum();
    }

    /** Packets whose processing threw out of the input path (0 unless there is a bug). */
    public long failedTotal() {
        return failed.sum();
    }

    /** Workers whose thread still runs: all of them until {@link #close()}. */
    public int liveWorkers() {
        int n = 0;
        for (Worker w : workers) {
            n += w.thread.isAlive() ? 1 : 0;
        }
        return n;
    }

    /** Packets processed by the threads that sent them rather than by the workers. */
    public long directTotal() {
        return direct.sum();
    }

    @Override
    public void close() {
        for (Worker w : workers) {
            w.running.set(false);
            LockSupport.unpark(w.thread);
        }
        for (Worker w : workers) {
            try {
                w.thread.join(5_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    /** Packets one worker processes before it lets a helping sender in. */
    private static final int BATCH = 64;

    final class Worker implements Runnable {
        final MpscRing<Packet> queue;
        final Handler handler;
        final Thread thread;
        final AtomicBoolean running = new AtomicBoolean(true);
        /** Held by the one thread consuming {@link #queue}: this worker or a helping sender. */
        final AtomicBoolean busy = new AtomicBoolean();
        volatile boolean parked;

        Worker(String name, int limit, Handler handler) {
            this.queue = new MpscRing<>(limit);
            this.handler = handler;
            this.thread = new Thread(this, name);
            this.thread.setDaemon(true);
        }

        void wake() {
            // the slot's release store must not pass the read of parked (the worker writes
            // parked, then reads the slot): without the fence both can miss each other
            VarHandle.fullFence();
            if (parked) {
                LockSupport.unpark(thread);
            }
        }

        /** Wakes the worker whatever it is doing (cheap when it is not parked). */
        void kick() {
            LockSupport.unpark(thread);
        }

        /**
         * A sender processes this queue in its own thread, up to {@code budget} packets,
         * unless someone else is consuming it. Returns the budget left.
         */
        int help(int budget) {
            if (!running.get() || !busy.compareAndSet(false, true)) {
                kick();
                return budget;
            }
            try {
                while (budget > 0) {
                    Packet it = queue.poll();
                    if (it == null) {
                        break;
                    }
                    process(it);
                    direct.increment();
                    budget--;
                }
            } finally {
                busy.set(false);
            }
            if (!queue.isEmpty()) {
                kick();
            }
            return budget;
        }

        private void process(Packet it) {
            NetInterface ifp = (NetInterface) it.rcvif();
            try {
                handler.input(ifp, it);
            } catch (Throwable t) {
                // ip_input never throws by contract; a worker must survive a bug anyway.
                failed.increment();
                // (name the thread that ran it: under direct dispatch a sender, not this worker)
                LOG.error("input {}: packet processing failed on {}", Thread.currentThread().getName(), ifp.name(), t);
            }
            handled.increment();
        }

        @Override
        public void run() {
            DirectDispatch.markWorker();
            int idleSpins = 0;
            while (running.get()) {
                if (!queue.isEmpty() && busy.compareAndSet(false, true)) {
                    try {
                        for (int n = 0; n < BATCH; n++) {
                            Packet it = queue.poll();
                            if (it == null) {
                                break;
                            }
                            process(it);
                        }
                    } finally {
                        busy.set(false);
                    }
                    idleSpins = 0;
                    continue;
                }
                // A short spin keeps a busy flow from paying a park/unpark per packet.
                if (++idleSpins < 100) {
                    Thread.onSpinWait();
                    continue;
                }
                parked = true;
                // empty, or a helping sender consumes it (and wakes us when it leaves work behind)
                if ((queue.isEmpty() || busy.get()) && running.get()) {
                    LockSupport.park(this);
                }
                parked = false;
                idleSpins = 0;
            }
        }
    }
}
