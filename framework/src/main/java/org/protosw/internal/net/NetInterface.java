package org.protosw.internal.net;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

import org.protosw.spi.IfAddr;
import org.protosw.spi.IfNet;
import org.protosw.spi.Packet;

/**
 * An interface driver's common half ({@code struct ifnet}): name, MTU, flags, addresses,
 * counters, and the taps on the way out and in (capture, link emulation pipes). A driver
 * implements {@link #transmit} and hands what it receives to {@link #receive}.
 *
 * <p>Fields read on the data path are volatile and replaced whole (copy on write), so the
 * per-packet path takes no lock.
 */
public abstract class NetInterface implements IfNet {
    /** Where received packets go: the stack instance's input workers. */
    @FunctionalInterface
    public interface InputHandler {
        void input(NetInterface ifp, Packet p);
    }

    public static final int MIN_MTU = 68;
    public static final int MAX_MTU = 65535;

    private final String name;
    private volatile int index;
    private volatile int mtu;
    private volatile int flags;
    private volatile List<IfAddr> addresses = List.of();
    private final IfCounters counters = new IfCounters();

    private volatile InputHandler inputHandler;
    private volatile PacketTap captureTap;
    private volatile LinkPipe inPipe;
    private volatile LinkPipe outPipe;

    protected NetInterface(String name, int mtu, int flags) {
        this.name = Objects.requireNonNull(name);
        this.mtu = checkMtu(mtu);
        this.flags = flags;
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public int index() {
        return index;
    }

    public void setIndex(int index) {
        this.index = index;
    }

    @Override
    public int mtu() {
        return mtu;
    }

    public void setMtu(int mtu) {
        this.mtu = checkMtu(mtu);
    }

    /** The largest MTU this driver accepts. */
    public int maxMtu() {
        return MAX_MTU;
    }

    private int checkMtu(int m) {
        if (m < MIN_MTU || m > maxMtu()) {
            throw new IllegalArgumentException(name + ": mtu " + m + " out of range (accepted: " + MIN_MTU + " to " + maxMtu() + ")");
        }
        return m;
    }

    @Override
    public int flags() {
        return flags;
    }

    public void setUp(boolean up) {
        flags = up ? flags | IFF_UP | IFF_RUNNING : flags & ~(IFF_UP | IFF_RUNNING);
    }

    @Override
    public List<IfAddr> addresses() {
        return addresses;
    }

    /** Replaces the address list; the caller holds the stack instance's interface lock. */
    public void setAddresses(List<IfAddr> list) {
        this.addresses = List.copyOf(list);
    }

    public void addAddress(IfAddr a) {
        List<IfAddr> l = new ArrayList<>(addresses);
        l.removeIf(x -> x.addr().equals(a.addr()));
        l.add(a);
        addresses = List.copyOf(l);
    }

    public boolean removeAddress(IfAddr a) {
        List<IfAddr> l = new ArrayList<>(addresses);
        boolean removed = l.removeIf(x -> x.addr().equals(a.addr()));
        addresses = List.copyOf(l);
        return removed;
    }

    public IfCounters counters() {
        return counters;
    }

    public void setInputHandler(InputHandler h) {
        this.inputHandler = h;
    }

    /** Where received packets go now (null when detached), so a test can see them on the way. */
    public InputHandler inputHandler() {
        return inputHandler;
    }

    public PacketTap captureTap() {
        return captureTap;
    }

    public void setCaptureTap(PacketTap tap) {
        this.captureTap = tap;
    }

    public LinkPipe pipe(boolean inbound) {
        return inbound ? inPipe : outPipe;
    }

    public void setPipe(boolean inbound, LinkPipe pipe) {
        if (inbound) {
            inPipe = pipe;
        } else {
            outPipe = pipe;
        }
    }

    /**
     * Sends a complete IPv4 packet (header first) out of this interface; the interface owns
     * it from now on. {@code nextHop} is the gateway or the destination itself.
     */
    public final void output(Packet p, int nextHop) {
        if (!isUp()) {
            counters.oerrors.increment();
            return;
        }
        PacketTap tap = captureTap;
        LinkPipe pipe = outPipe;
        // a checksum left out for the loopback is needed by a capture, a pipe (the receiver
        // verifies what it may have damaged) and any real link
        if ((p.flags() & Packet.M_CSUM_PENDING) != 0 && (tap != null || pipe != null || !isLoopback())) {
            DelayedChecksum.resolve(p);
        }
        if (tap != null) {
            tap.tap(this, p, false);
        }
        if (pipe != null) {
            pipe.enqueue(p, q -> transmitCounted(q, nextHop));
        } else {
            transmitCounted(p, nextHop);
        }
    }

    private void transmitCounted(Packet p, int nextHop) {
        counters.opackets.increment();
        counters.obytes.add(p.length());
        transmit(p, nextHop);
    }

    /** The driver's transmit routine; must not block for long and must not throw. */
    protected abstract void transmit(Packet p, int nextHop);

    /** The driver hands a received IPv4 packet here (any thread). */
    protected final void receive(Packet p) {
        if (!isUp()) {
            counters.iqdrops.increment();
            return;
        }
        p.setRcvif(this);
        LinkPipe pipe = inPipe;
        if (pipe != null) {
            DelayedChecksum.resolve(p);
            pipe.enqueue(p, this::deliver);
        } else {
            deliver(p);
        }
    }

    private void deliver(Packet p) {
        counters.ipackets.increment();
        counters.ibytes.add(p.length());
        PacketTap tap = captureTap;
        if (tap != null) {
            DelayedChecksum.resolve(p);
            tap.tap(this, p, true);
        }
        InputHandler h = inputHandler;
        if (h == null) {
            counters.iqdrops.increment();
            return;
        }
        h.input(this, p);
    }

    /** Called when the interface is destroyed: stop threads, close devices, flush pipes. */
    public void destroy() {
        setUp(false);
        LinkPipe in = inPipe;
        LinkPipe out = outPipe;
        inPipe = null;
        outPipe = null;
        if (in != null) {
            in.detached(this);
        }
        if (out != null) {
            out.detached(this);
        }
        PacketTap tap = captureTap;
        captureTap = null;
        if (tap != null) {
            tap.detached(this);
        }
    }

    /** A short name of the driver for ifconfig ("loopback", "epair"). */
    public abstract String driverName();

    @Override
    public String toString() {
        return name;
    }
}
