package org.protosw.internal.net;

import org.protosw.spi.Packet;

/** Sees every packet an interface sends or receives (packet capture, like BPF). */
public interface PacketTap {
    /** Must not keep or change the packet; copy what it needs. */
    void tap(NetInterface ifp, Packet p, boolean inbound);

    /** The interface went away. */
    default void detached(NetInterface ifp) {
    }
}
