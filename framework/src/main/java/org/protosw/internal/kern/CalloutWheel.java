package org.protosw.internal.kern;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.ArrayList;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.LockSupport;

import org.protosw.spi.Callout;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The hashed timing wheel of one stack instance (callout(9)). Arming or stopping a timer
 * never takes a lock: it only writes the timer's deadline, and the wheel thread moves the
 * timer between slots lazily (a later deadline is noticed when the old slot comes round; an
 * earlier one sends a move request). TCP re-arms timers on nearly every segment, so this
 * keeps the data path free of a global lock. One tick is one millisecond.
 */
public final class CalloutWheel implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(CalloutWheel.class);
    private static final long TICK = TimeUnit.MILLISECONDS.toNanos(1);
    private static final int SLOTS = 1024;

    private final Thread thread;
    private final ConcurrentLinkedQueue<Timer> pending = new ConcurrentLinkedQueue<>();
    private final ConcurrentLinkedQueue<Timer> moves = new ConcurrentLinkedQueue<>();
    /** Moves queued since the wheel started (tests: a re-arm that needs none queues none). */
    final LongAdder movesQueued = new LongAdder();
    private final ConcurrentLinkedQueue<Purge> purges = new ConcurrentLinkedQueue<>();
    @SuppressWarnings("unchecked")
    private final ArrayList<Entry>[] slots = new ArrayList[SLOTS];
    private final AtomicInteger armed = new AtomicInteger();
    private volatile boolean running = true;
    private volatile boolean idle;
    /** While the thread sleeps with timers armed: when it wakes; else Long.MIN_VALUE. */
    private volatile long sleepUntil = Long.MIN_VALUE;
    private long wheelTime;

    public CalloutWheel(String vnetName) {
        for (int i = 0; i < SLOTS; i++) {
            slots[i] = new ArrayList<>();
        }
        wheelTime = System.nanoTime();
        thread = new Thread(this::run, "callout-" + vnetName);
        thread.setDaemon(true);
        thread.start();
    }

    /** A new timer running {@code task} on the wheel thread. */
    public Callout newCallout(Runnable task) {
        return new Timer(task, null);
    }

    /** A new timer that {@link #purge} can take back for {@code owner}. */
    public Callout newCallout(Runnable task, Object owner) {
        return new Timer(task, owner);
    }

    /**
     * Stops every timer of {@code owner} and drops the wheel's references to them, then
     * returns: after it, the wheel holds nothing of that owner (an unloaded protocol).
     */
    public void purge(Object owner) {
        onWheelThread(owner, false);
    }

    /**
     * Pauses every armed timer of {@code owner} (a protocol being upgraded): each one is
     * stopped and keeps the time it had left, which {@link Callout#remaining} then reports.
     * Runs on the wheel thread, so when it returns no task of that owner is running.
     */
    public void pause(Object owner) {
        onWheelThread(owner, true);
    }

    private void onWheelThread(Object owner, boolean pause) {
        if (Thread.currentThread() == thread || !running) {
            if (pause) {
                pauseNow(owner);
            } else {
                purgeNow(owner);
            }
            return;
        }
        java.util.concurrent.CountDownLatch done = new java.util.concurrent.CountDownLatch(1);
        purges.add(new Purge(owner, pause, done));
        LockSupport.unpark(thread);
        try {
            if (!done.await(5, TimeUnit.SECONDS)) {
                LOG.warn("callout wheel {} did not purge the timers of {} in 5 s", thread.getName(), owner);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private record Purge(Object owner, boolean pause, java.util.concurrent.CountDownLatch done) {
    }

    private void pauseNow(Object owner) {
        long now = System.nanoTime();
        java.util.Set<Timer> seen = java.util.Collections.newSetFromMap(new java.util.IdentityHashMap<>());
        for (Timer t : pending) {
            if (t.owner == owner) {
                seen.add(t);
            }
        }
        for (ArrayList<Entry> list : slots) {
            for (Entry e : list) {
                if (e.timer().owner == owner) {
                    seen.add(e.timer());
                }
            }
        }
        for (Timer t : seen) {
            long d = t.deadline;
            if (d != 0 && Timer.DEADLINE.compareAndSet(t, d, 0L)) {
                t.pausedNanos = Math.max(0, d - now);
            }
        }
    }

    private void purgeNow(Object owner) {
        for (Timer t : pending) {
            if (t.owner == owner) {
                t.deadline = 0;
            }
        }
        for (ArrayList<Entry> list : slots) {
            list.removeIf(e -> {
                Timer t = e.timer();
                if (t.owner != owner) {
                    return false;
                }
                t.deadline = 0;
                if (e.gen() == t.gen) {
                    release(t);
                }
                return true;
            });
        }
        moves.removeIf(t -> t.owner == owner);
        drainPending();
    }

    /** Timers currently armed. */
    public int armedCount() {
        return armed.get();
    }

    private void run() {
        while (running) {
            drainPending();
            long now = System.nanoTime();
            while (wheelTime + TICK <= now) {
                wheelTime += TICK;
                expire(slot(wheelTime), now);
            }
            if (!running) {
                break;
            }
            if (armed.get() == 0 && pending.isEmpty()) {
                idle = true;
                if (armed.get() == 0 && pending.isEmpty() && running) {
                    LockSupport.park(this);
                }
                idle = false;
                wheelTime = Math.max(wheelTime, System.nanoTime() - TICK);
            } else {
                sleepUntil(nextBusySlot());
            }
        }
    }

    /**
     * Sleeps until {@code until} (the next slot with timers) unless a timer is armed or moved
     * before it meanwhile: {@link Timer#reset} reads {@link #sleepUntil} after queueing, this
     * thread reads the queues after publishing it, so one of the two always sees the other.
     * Waking each tick instead would cost a thousand wake-ups a second for one armed timer
     * (the IP slow timer is always armed).
     */
    private void sleepUntil(long until) {
        sleepUntil = until;
        if (pending.isEmpty() && moves.isEmpty() && purges.isEmpty() && running) {
            long wait = until - System.nanoTime();
            if (wait > 0) {
                LockSupport.parkNanos(this, wait);
            }
        }
        sleepUntil = Long.MIN_VALUE;
    }

    /**
     * When the first slot after {@link #wheelTime} that holds an entry comes due (a stale or
     * lazily moved entry only makes a wake-up early), at most one turn of the wheel ahead.
     */
    private long nextBusySlot() {
        for (int i = 1; i <= SLOTS; i++) {
            long at = wheelTime + i * TICK;
            if (!slots[slot(at)].isEmpty()) {
                return at;
            }
        }
        return wheelTime + SLOTS * TICK;
    }

    private static int slot(long time) {
        return (int) ((time / TICK) & (SLOTS - 1));
    }

    /** One placement of a timer in a slot; stale once the timer was placed again. */
    private record Entry(Timer timer, long gen) {
    }

    private void drainPending() {
        Purge pg;
        while ((pg = purges.poll()) != null) {
            if (pg.pause()) {
                pauseNow(pg.owner());
            } else {
                purgeNow(pg.owner());
            }
            pg.done().countDown();
        }
        Timer t;
        while ((t = pending.poll()) != null) {
            place(t);
        }
        while ((t = moves.poll()) != null) {
            // only a timer in a slot moves: one still in pending (placedAt unset) is placed
            // from there with its latest deadline. Moving it too put it in a slot while it
            // stayed in pending, and when that slot fired first the timer left the wheel
            // twice: the armed count fell below the timers armed (SoakIT saw -3), and at 0
            // the wheel thread would park with timers still in its slots
            if (t.queued && t.placedAt != Long.MAX_VALUE && t.deadline != 0 && t.deadline < t.placedAt) {
                slot(t);
            }
        }
    }

    /** Puts a queued timer into the slot of its deadline, or lets it go when stopped. */
    private void place(Timer t) {
        if (t.deadline == 0) {
            release(t);
            return;
        }
        slot(t);
    }

    private void slot(Timer t) {
        long d = t.deadline;
        long at = Math.max(d, wheelTime + TICK);
        t.placedAt = at;
        // a reset that read placedAt before the write above queued no move (a timer not yet
        // placed is placed with its latest deadline): read the deadline again after it. Both
        // fields are volatile, so either that reset saw this placement and queued a move, or
        // this sees its deadline (or both, which only places the timer once more)
        long again = t.deadline;
        while (again != d && again != 0 && Math.max(again, wheelTime + TICK) < at) {
            d = again;
            at = Math.max(d, wheelTime + TICK);
            t.placedAt = at;
            again = t.deadline;
        }
        slots[slot(at)].add(new Entry(t, ++t.gen));
    }

    private void expire(int slotIndex, long now) {
        ArrayList<Entry> list = slots[slotIndex];
        if (list.isEmpty()) {
            return;
        }
        ArrayList<Entry> due = new ArrayList<>(list);
        list.clear();
        for (Entry e : due) {
            Timer t = e.timer();
            if (e.gen() != t.gen) {
                continue;
            }
            long d = t.deadline;
            if (d == 0) {
                release(t);
            } else if (d > now) {
                slot(t);
            } else if (t.fire(d)) {
                release(t);
                // what the timer sends to lo0 or an epair is processed here once it returned
                DirectDispatch.enter();
                try {
                    t.task.run();
                } catch (Throwable ex) {
                    LOG.error("callout task {} failed", t.task, ex);
                } finally {
                    DirectDispatch.exit();
                }
            } else {
                place(t);
            }
        }
    }

    /** The timer leaves the wheel; re-queue it if it was re-armed meanwhile. */
    private void release(Timer t) {
        t.placedAt = Long.MAX_VALUE;
        t.gen++;
        t.queued = false;
        if (t.deadline != 0 && Timer.QUEUED.compareAndSet(t, false, true)) {
            pending.add(t);
        } else {
            armed.decrementAndGet();
        }
    }

    @Override
    public void close() {
        running = false;
        LockSupport.unpark(thread);
        try {
            thread.join(5_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        pending.clear();
        moves.clear();
        for (ArrayList<Entry> s : slots) {
            s.clear();
        }
    }

    private final class Timer implements Callout {
        static final VarHandle QUEUED;
        static final VarHandle DEADLINE;

        static {
            try {
                QUEUED = MethodHandles.lookup().findVarHandle(Timer.class, "queued", boolean.class);
                DEADLINE = MethodHandles.lookup().findVarHandle(Timer.class, "deadline", long.class);
            } catch (ReflectiveOperationException e) {
                throw new ExceptionInInitializerError(e);
            }
        }

        final Runnable task;
        final Object owner;
        volatile long deadline;
        volatile boolean queued;
        /** Where the wheel thread last placed it (written by that thread only). */
        volatile long placedAt = Long.MAX_VALUE;
        /** Placement generation: slot entries of older generations are ignored. */
        long gen;
        /** What was left when {@link #pause} stopped it; -1 when not paused. */
        volatile long pausedNanos = -1;

        Timer(Runnable task, Object owner) {
            this.task = task;
            this.owner = owner;
        }

        @Override
        public void reset(long delay, TimeUnit unit) {
            pausedNanos = -1;
            long d = System.nanoTime() + Math.max(0, unit.toNanos(delay));
            deadline = d == 0 ? 1 : d;
            if (QUEUED.compareAndSet(this, false, true)) {
                armed.incrementAndGet();
                pending.add(this);
                if (idle || d < sleepUntil) {
                    LockSupport.unpark(thread);
                }
            } else if (placedAt == Long.MAX_VALUE) {
                // not placed yet: the wheel places it from pending with this deadline, so no
                // move (a queue node for every re-arm until the wheel next ran: a delayed ACK
                // is re-armed each round trip), but a wheel asleep past it must still wake
                if (d < sleepUntil) {
                    LockSupport.unpark(thread);
                }
            } else if (d < placedAt) {
                moves.add(this);
                movesQueued.increment();
                if (d < sleepUntil) {
                    LockSupport.unpark(thread);
                }
            }
        }

        @Override
        public boolean stop() {
            pausedNanos = -1;
            long d = deadline;
            while (d != 0) {
                if (DEADLINE.compareAndSet(this, d, 0L)) {
                    return true;
                }
                d = deadline;
            }
            return false;
        }

        @Override
        public boolean pending() {
            return deadline != 0;
        }

        @Override
        public long remaining(TimeUnit unit) {
            long p = pausedNanos;
            if (p >= 0) {
                return unit.convert(p, TimeUnit.NANOSECONDS);
            }
            long d = deadline;
            return d == 0 ? -1 : unit.convert(Math.max(0, d - System.nanoTime()), TimeUnit.NANOSECONDS);
        }

        /** Claims the expiry of deadline {@code d}; false when it was re-armed or stopped. */
        boolean fire(long d) {
            return DEADLINE.compareAndSet(this, d, 0L);
        }
    }
}
