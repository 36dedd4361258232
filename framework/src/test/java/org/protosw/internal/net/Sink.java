package org.protosw.internal.net;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;

import org.protosw.spi.Packet;

/** Collects packets handed on by a pipe or an interface, with the time each arrived. */
final class Sink implements Consumer<Packet>, NetInterface.InputHandler {
    record Arrival(Packet packet, long nanos, NetInterface ifp) {
    }

    private final List<Arrival> arrivals = new ArrayList<>();

    @Override
    public synchronized void accept(Packet p) {
        arrivals.add(new Arrival(p, System.nanoTime(), null));
    }

    @Override
    public synchronized void input(NetInterface ifp, Packet p) {
        arrivals.add(new Arrival(p, System.nanoTime(), ifp));
    }

    synchronized List<Arrival> arrivals() {
        return new ArrayList<>(arrivals);
    }

    synchronized List<Packet> packets() {
        return arrivals.stream().map(Arrival::packet).toList();
    }

    synchronized int size() {
        return arrivals.size();
    }

    /** Waits (bounded) until {@code n} packets arrived; returns whether they did. */
    boolean awaitCount(int n, long timeoutMs) {
        return await(() -> size() >= n, timeoutMs);
    }

    static boolean await(BooleanSupplier cond, long timeoutMs) {
        long end = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMs);
        while (!cond.getAsBoolean()) {
            if (System.nanoTime() - end > 0) {
                return false;
            }
            try {
                Thread.sleep(2);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return false;
            }
        }
        return true;
    }

    /** A packet whose first four bytes carry {@code seq}, the rest a pattern. */
    static Packet numbered(int seq, int len) {
        Packet p = Packet.allocate(len);
        for (int i = 4; i < len; i++) {
            p.set8(i, (seq + i) & 0xff);
        }
        p.set32(0, seq);
        return p;
    }
}
