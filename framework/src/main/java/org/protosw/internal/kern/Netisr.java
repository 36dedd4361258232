package org.protosw.internal.kern;

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
 */
public final class Netisr implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(Netisr.class);

    /** What the workers call for each packet (ip_input). */
    @FunctionalInterface
    public interface Handler {
        void input(NetInterface ifp, Packet p);
    }

    private record Item(NetInterface ifp, Packet p) {
    }

    private final Worker[] workers;
    private final LongAdder queued = new LongAdder();
    private final LongAdder dropped = new LongAdder();
    private final LongAdder handled = new LongAdder();
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

    /** Queues a received packet for input processing; never blocks. */
    public void dispatch(NetInterface ifp, Packet p) {
        Worker w = workers.length == 1 ? workers[0] : workers[(flowHash(p) & 0x7fffffff) % workers.length];
        if (w.queue.offer(new Item(ifp, p))) {
            queued.increment();
            w.wake();
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

    private final class Worker implements Runnable {
        final MpscRing<Item> queue;
        final Handler handler;
        final Thread thread;
        final AtomicBoolean running = new AtomicBoolean(true);
        volatile boolean parked;

        Worker(String name, int limit, Handler handler) {
            this.queue = new MpscRing<>(limit);
            this.handler = handler;
            this.thread = new Thread(this, name);
            this.thread.setDaemon(true);
        }

        void wake() {
            if (parked) {
                LockSupport.unpark(thread);
            }
        }

        @Override
        public void run() {
            int idleSpins = 0;
            while (running.get()) {
                Item it = queue.poll();
                if (it == null) {
                    // A short spin keeps a busy flow from paying a park/unpark per packet.
                    if (++idleSpins < 100) {
                        Thread.onSpinWait();
                        continue;
                    }
                    parked = true;
                    if (queue.isEmpty() && running.get()) {
                        LockSupport.park(this);
                    }
                    parked = false;
                    idleSpins = 0;
                    continue;
                }
                idleSpins = 0;
                try {
                    handler.input(it.ifp(), it.p());
                } catch (Throwable t) {
                    // ip_input never throws by contract; a worker must survive a bug anyway.
                    failed.increment();
                    LOG.error("input worker {}: packet processing failed on {}", thread.getName(), it.ifp().name(), t);
                }
                handled.increment();
            }
        }
    }
}
