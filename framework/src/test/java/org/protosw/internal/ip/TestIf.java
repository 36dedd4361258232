package org.protosw.internal.ip;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import org.protosw.internal.net.NetInterface;
import org.protosw.spi.Packet;

/**
 * An in-memory interface: a loopback one hands what it sends straight back to its input,
 * any other records what it sends (with the next hop) for the test to inspect.
 */
final class TestIf extends NetInterface {
    record Sent(Packet packet, int nextHop) {
    }

    final List<Sent> sent = new CopyOnWriteArrayList<>();
    private final boolean loop;

    TestIf(String name, int mtu, int flags) {
        super(name, mtu, flags);
        this.loop = (flags & IFF_LOOPBACK) != 0;
        setUp(true);
    }

    @Override
    protected void transmit(Packet p, int nextHop) {
        if (loop) {
            receive(p);
        } else {
            sent.add(new Sent(p, nextHop));
        }
    }

    /** A packet arrives from the wire. */
    void inject(Packet p) {
        receive(p);
    }

    Packet last() {
        return sent.get(sent.size() - 1).packet();
    }

    @Override
    public String driverName() {
        return "test";
    }
}
