package org.protosw.ib.demo.internal.verbs;

import org.protosw.ib.demo.IbGid;
import org.protosw.spi.Callout;

/**
 * What the transport needs of the layer below (the port of an HCA): send one IB packet
 * (BTH up to and including four ICRC bytes, which the port fills in, as a RoCE NIC computes
 * the ICRC in hardware once it knows the IP and UDP headers) to a GID, and timers. Received
 * packets come the other way, by {@link Hca#input}.
 */
public interface RcPort {
    /** Sends {@code buf[0 .. len)} to the node with GID {@code dst}; the port owns the array from now on. */
    void output(IbGid dst, byte[] buf, int len);

    /** The local GID a packet to {@code dst} leaves from (the source address of the route), or null without a route. */
    IbGid sourceFor(IbGid dst);

    /** A timer whose task runs on a timer thread. */
    Callout newCallout(Runnable task);
}
