package org.protosw.internal.ip;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;

import org.protosw.spi.IfNet;
import org.protosw.spi.Packet;
import org.protosw.spi.Pfil;
import org.protosw.spi.PfilHook;
import org.protosw.spi.Registration;
import org.protosw.wire.Ipv4Header;
import org.protosw.wire.WireStatus;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The IPv4 packet filter hook points of one stack instance ({@code pfil_head}). Hooks run in
 * ascending order; the lists are copy-on-write arrays, so running them takes no lock.
 *
 * <p>A hook that throws is treated as having dropped the packet (and logged): a filter bug
 * must not take the input path down. A packet {@link #reinject reinjected} after a hook
 * runs through the later hooks and then continues on its way through the
 * {@link Continuation} the IP layer gave: to local delivery or forwarding when inbound, to
 * fragmentation and interface output when outbound.
 */
public final class PfilHead implements Pfil {
    private static final Logger LOG = LoggerFactory.getLogger(PfilHead.class);

    /** Where a packet goes after the hooks passed it, outside the normal call chain. */
    public interface Continuation {
        /** An inbound packet passed the IN hooks: deliver locally or forward. */
        void inbound(Packet p, IfNet ifp);

        /** An outbound packet (complete header) passed the OUT hooks: route, fragment, send. */
        void outbound(Packet p);

        /** An inbound fragment (checked header) for the reassembly queues: the whole datagram or null. */
        Packet reassemble(Packet p);
    }

    private record Hook(String name, int directions, int order, long seq, PfilHook hook) {
    }

    private static final Comparator<Hook> ORDER = Comparator.comparingInt(Hook::order).thenComparingLong(Hook::seq);
    private static final Hook[] NONE = new Hook[0];

    private final String vnetName;
    private final Continuation continuation;
    private final Object writeLock = new Object();
    private final AtomicLong seq = new AtomicLong();
    private volatile Hook[] in = NONE;
    private volatile Hook[] out = NONE;

    final LongAdder hookFailures = new LongAdder();
    final LongAdder reinjectDropped = new LongAdder();

    public PfilHead(String vnetName, Continuation continuation) {
        this.vnetName = vnetName;
        this.continuation = Objects.requireNonNull(continuation);
    }

    @Override
    public Registration addHook(String name, int directions, int order, PfilHook hook) {
        Objects.requireNonNull(hook, "hook");
        if ((directions & (IN | OUT)) == 0 || (directions & ~(IN | OUT)) != 0) {
            throw new IllegalArgumentException("pfil hook " + name + ": directions " + directions + " (expected IN, OUT or both)");
        }
        Hook h = new Hook(name, directions, order, seq.incrementAndGet(), hook);
        synchronized (writeLock) {
            if ((directions & IN) != 0) {
                in = with(in, h);
            }
            if ((directions & OUT) != 0) {
                out = with(out, h);
            }
        }
        AtomicBoolean closed = new AtomicBoolean();
        return () -> {
            if (closed.compareAndSet(false, true)) {
                synchronized (writeLock) {
                    in = without(in, h);
                    out = without(out, h);
                }
            }
        };
    }

    private static Hook[] with(Hook[] cur, Hook h) {
        Hook[] next = Arrays.copyOf(cur, cur.length + 1);
        next[cur.length] = h;
        Arrays.sort(next, ORDER);
        return next;
    }

    private static Hook[] without(Hook[] cur, Hook h) {
        List<Hook> l = new ArrayList<>(Arrays.asList(cur));
        l.remove(h);
        return l.isEmpty() ? NONE : l.toArray(NONE);
    }

    /** True when no hook is registered for {@code direction}: the caller may skip {@link #run}. */
    public boolean isEmpty(int direction) {
        return (direction == IN ? in : out).length == 0;
    }

    /** Runs every hook of {@code direction}; PASS, DROP or CONSUMED. */
    public int run(Packet p, int direction, IfNet ifp) {
        return run(p, direction, ifp, Integer.MIN_VALUE, false);
    }

    /** Runs the hooks of {@code direction} whose order is above {@code afterOrder}. */
    public int runAfter(Packet p, int direction, IfNet ifp, int afterOrder) {
        return run(p, direction, ifp, afterOrder, true);
    }

    private int run(Packet p, int direction, IfNet ifp, int afterOrder, boolean after) {
        Hook[] hooks = direction == IN ? in : out;
        for (Hook h : hooks) {
            if (after && h.order <= afterOrder) {
                continue;
            }
            int verdict;
            try {
                verdict = h.hook.check(p, direction, ifp);
            } catch (RuntimeException e) {
                hookFailures.increment();
                LOG.warn("pfil hook {} in {} failed; packet dropped", h.name, vnetName, e);
                return PfilHook.DROP;
            }
            if (verdict != PfilHook.PASS) {
                return verdict == PfilHook.CONSUMED ? PfilHook.CONSUMED : PfilHook.DROP;
            }
        }
        return PfilHook.PASS;
    }

    /**
     * Holds what reaches a hook of a protocol being upgraded: a placeholder at the hook's
     * order takes the packets (up to {@code limit}, then drops and counts them) from now until
     * {@link org.protosw.internal.sw.InputHold#release} or {@code discard}, so that between the
     * old revision's hook going and the new one's coming no packet passes unfiltered (a
     * divert rule skipped, a firewall bypassed) or meets a hook whose sockets are not there yet.
     */
    public org.protosw.internal.sw.PfilHold hold(String name, int directions, int order, int limit) {
        Hold h = new Hold(name, order, limit);
        h.placeholder = addHook(name + " (held: upgrade)", directions, order, h::take);
        return h;
    }

    /** The packets of one upgrading protocol's hook, in arrival order. */
    private final class Hold implements org.protosw.internal.sw.PfilHold {
        private record Held(Packet p, int direction, IfNet ifp) {
        }

        private final String name;
        private final int order;
        private final int limit;
        private final java.util.concurrent.locks.ReentrantLock lock = new java.util.concurrent.locks.ReentrantLock();
        // guarded by lock
        private final java.util.ArrayDeque<Held> queue = new java.util.ArrayDeque<>();
        private boolean over;
        private final LongAdder held = new LongAdder();
        private final LongAdder overflow = new LongAdder();
        volatile Registration placeholder;

        Hold(String name, int order, int limit) {
            this.name = name;
            this.order = order;
            this.limit = Math.max(0, limit);
        }

        @Override
        public int take(Packet p, int direction, IfNet ifp) {
            lock.lock();
            try {
                if (over) {
                    // the chain was read just before the placeholder went: the hooks after it
                    // (the new revision's among them) see the packet
                    return PfilHook.PASS;
                }
                if (queue.size() >= limit) {
                    overflow.increment();
                    return PfilHook.DROP;
                }
                queue.add(new Held(p, direction, ifp));
                held.increment();
                return PfilHook.CONSUMED;
            } finally {
                lock.unlock();
            }
        }

        private java.util.List<Held> end() {
            placeholder.close();
            lock.lock();
            try {
                over = true;
                java.util.List<Held> l = new ArrayList<>(queue);
                queue.clear();
                return l;
            } finally {
                lock.unlock();
            }
        }

        @Override
        public int proto() {
            // a hook, not an IP protocol number
            return -1;
        }

        @Override
        public void release() {
            // through the hooks from this one's order on: the new revision's hook, then the rest
            // (a hook of another module at the very same order that ran before sees it twice)
            int before = order == Integer.MIN_VALUE ? order : order - 1;
            for (Held x : end()) {
                reinject(x.p(), x.direction(), x.ifp(), before);
            }
        }

        @Override
        public long discard() {
            long n = end().size();
            if (n > 0) {
                LOG.info("pfil hook {} in {}: {} held packet(s) dropped, the upgrade failed", name, vnetName, n);
            }
            return n;
        }

        @Override
        public long held() {
            return held.sum();
        }

        @Override
        public long overflowed() {
            return overflow.sum();
        }
    }

    @Override
    public void reinject(Packet p, int direction, IfNet ifp, int order) {
        if (direction != IN && direction != OUT) {
            throw new IllegalArgumentException("pfil reinject: direction " + direction + " (expected IN or OUT)");
        }
        IfNet rcvif = ifp != null ? ifp : p.rcvif();
        if (direction == IN && rcvif == null) {
            // an inbound packet without a receiving interface has no path to continue on
            reinjectDropped.increment();
            LOG.debug("pfil reinject in {}: inbound packet without interface dropped", vnetName);
            return;
        }
        if (runAfter(p, direction, rcvif, order) != PfilHook.PASS) {
            return;
        }
        if (direction == IN) {
            continuation.inbound(p, rcvif);
        } else {
            continuation.outbound(p);
        }
    }

    @Override
    public Packet reassemble(Packet p) {
        if (p.length() < Ipv4Header.MIN_LENGTH
                || (p.get16(Ipv4Header.OFF_FRAG) & (Ipv4Header.FLAG_MF | Ipv4Header.OFFMASK)) == 0) {
            return p;
        }
        if (Ipv4Header.check(p.array(), p.offset(), p.length()) != WireStatus.OK) {
            reinjectDropped.increment();
            return null;
        }
        return continuation.reassemble(p);
    }

    /** Hook names per direction in run order, for the shell. */
    public List<String> hookNames(int direction) {
        List<String> names = new ArrayList<>();
        for (Hook h : direction == IN ? in : out) {
            names.add(h.name + " (" + h.order + ")");
        }
        return names;
    }
}
