package org.protosw.internal.net;

import org.protosw.spi.Packet;

/**
 * The software loopback ({@code if_lo}): what the stack sends out of it comes straight back
 * in, as the same {@link Packet} object. Nothing on the way can damage the bytes, so the
 * packet is marked {@link Packet#M_CSUM_OK} and IP and the transports need not verify
 * checksums (unless an outbound pipe, which may damage packets, is attached); transports may
 * therefore leave them out ({@link Packet#M_CSUM_PENDING}), as FreeBSD's lo0 offloads them. The MTU
 * defaults to the largest an IPv4 datagram can be, so local traffic is never fragmented.
 */
public final class Loopback extends NetInterface {
    public static final String DEFAULT_NAME = "lo0";
    public static final int DEFAULT_MTU = MAX_MTU;
    public static final int FLAGS = IFF_LOOPBACK | IFF_UP | IFF_RUNNING | IFF_MULTICAST;

    public Loopback() {
        this(DEFAULT_NAME);
    }

    public Loopback(String name) {
        this(name, DEFAULT_MTU);
    }

    public Loopback(String name, int mtu) {
        super(name, mtu, FLAGS);
    }

    @Override
    protected void transmit(Packet p, int nextHop) {
        if (p.length() > mtu()) {
            // IP hands the driver at most an MTU; a bigger packet is a bug upstream, made visible
            counters().oerrors.increment();
            return;
        }
        // A packet that crossed an outbound pipe may have been damaged there, and whether
        // the pipe corrupts is no guide: it may have been reconfigured while the packet sat
        // in its delay line. A pipe that is detached or deleted flushes what it holds, so a
        // packet arriving here with no pipe attached never crossed one.
        // A checksum still pending proves the packet crossed no pipe (output fills it in first).
        boolean undamaged = pipe(false) == null || (p.flags() & Packet.M_CSUM_PENDING) != 0;
        p.addFlags(undamaged ? Packet.M_LOOP | Packet.M_CSUM_OK : Packet.M_LOOP);
        receive(p);
    }

    @Override
    public String driverName() {
        return "loopback";
    }
}
