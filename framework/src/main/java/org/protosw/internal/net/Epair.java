package org.protosw.internal.net;

import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;

import org.protosw.internal.kern.PacketPool;
import org.protosw.spi.IfNet;
import org.protosw.spi.Packet;

/**
 * A pair of interfaces joined back to back ({@code if_epair}): what one end transmits, the
 * other receives. It links two stack instances in one JVM like a crossover cable, but as a
 * point-to-point IP link: there is no Ethernet header and no ARP, the IPv4 packet itself
 * crosses over. The packet object moves to the peer without a copy (ownership moves with it).
 *
 * <p>Names follow FreeBSD: unit {@code N} makes {@code epairNa} and {@code epairNb}.
 * Destroying either end destroys the pair, as {@code ifconfig epair0a destroy} does.
 */
public final class Epair {
    public static final int DEFAULT_MTU = 1500;
    public static final int FLAGS = IfNet.IFF_BROADCAST | IfNet.IFF_MULTICAST | IfNet.IFF_UP | IfNet.IFF_RUNNING;

    private final int unit;
    private final End a;
    private final End b;
    private final AtomicBoolean destroyed = new AtomicBoolean();

    /** Makes {@code epair<unit>a} and {@code epair<unit>b}, both up, MTU 1500. */
    public Epair(int unit) {
        if (unit < 0) {
            throw new IllegalArgumentException("epair unit " + unit + " is negative (accepted: 0 or more)");
        }
        this.unit = unit;
        this.a = new End(this, "epair" + unit + "a");
        this.b = new End(this, "epair" + unit + "b");
    }

    public int unit() {
        return unit;
    }

    public End a() {
        return a;
    }

    public End b() {
        return b;
    }

    public boolean isDestroyed() {
        return destroyed.get();
    }

    /** Destroys both ends (once); each end's destroy listener runs after it went down. */
    public void destroy() {
        if (!destroyed.compareAndSet(false, true)) {
            return;
        }
        a.teardown();
        b.teardown();
        a.notifyDestroyed();
        b.notifyDestroyed();
    }

    /** One end of the pair. */
    public static final class End extends NetInterface {
        private final Epair pair;
        private volatile Consumer<? super End> destroyListener;

        private End(Epair pair, String name) {
            super(name, DEFAULT_MTU, FLAGS);
            this.pair = pair;
        }

        public Epair pair() {
            return pair;
        }

        public End peer() {
            return pair.a == this ? pair.b : pair.a;
        }

        public boolean isDestroyed() {
            return pair.isDestroyed();
        }

        /**
         * Called once when the pair is destroyed, from whichever end, so the stack instance
         * that holds this end can take it out of its interface table.
         */
        public void setDestroyListener(Consumer<? super End> l) {
            this.destroyListener = l;
        }

        @Override
        protected void transmit(Packet p, int nextHop) {
            End peer = peer();
            if (p.length() > mtu() || pair.isDestroyed() || !peer.isUp()) {
                // the peer cannot take it: as a NIC with no carrier, the sender counts the loss
                counters().oerrors.increment();
                return;
            }
            if (p.length() > peer.mtu()) {
                // a giant on the receiving side: MTU mismatch between the ends
                peer.counters().ierrors.increment();
                return;
            }
            // the packet enters another stack instance: this side's notes do not travel with it,
            // but it stays the pool's (the far side's socket buffer gives it back)
            p.setFlags(p.flags() & PacketPool.M_POOLED);
            p.setTag(null);
            peer.receive(p);
        }

        @Override
        public void destroy() {
            pair.destroy();
        }

        private void teardown() {
            super.destroy();
        }

        private void notifyDestroyed() {
            Consumer<? super End> l = destroyListener;
            destroyListener = null;
            if (l != null) {
                l.accept(this);
            }
        }

        @Override
        public String driverName() {
            return "epair";
        }
    }

    @Override
    public String toString() {
        return "epair" + unit + (isDestroyed() ? " (destroyed)" : "");
    }
}
