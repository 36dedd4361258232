package org.protosw.tcp.harness;

import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import org.protosw.internal.net.NetInterface;
import org.protosw.spi.Packet;

/**
 * The interface the harness controls: what the stack sends out of it is queued for the
 * script to check, and the script's inbound segments enter through it as if from a wire.
 */
final class HarnessLink extends NetInterface {
    /** One packet the stack sent, with when it was sent. */
    record Sent(byte[] bytes, long nanos) {
    }

    private final LinkedBlockingQueue<Sent> sent = new LinkedBlockingQueue<>();

    HarnessLink(String name, int mtu) {
        super(name, mtu, IFF_BROADCAST | IFF_MULTICAST);
        setUp(true);
    }

    @Override
    protected void transmit(Packet p, int nextHop) {
        sent.add(new Sent(p.toByteArray(), System.nanoTime()));
    }

    /** Delivers a complete IPv4 packet to the stack as received on this interface. */
    void inject(byte[] ipPacket) {
        receive(Packet.wrap(ipPacket, 0, ipPacket.length));
    }

    /** The next packet the stack sent, waiting up to {@code timeoutNanos}; null when none came. */
    Sent next(long timeoutNanos) throws InterruptedException {
        return sent.poll(timeoutNanos, TimeUnit.NANOSECONDS);
    }

    Sent peek() {
        return sent.peek();
    }

    @Override
    public String driverName() {
        return "harness";
    }
}
