package org.protosw.internal.sw;

import org.protosw.spi.IfNet;
import org.protosw.spi.Packet;

/**
 * The packets that reach a pfil hook of a protocol while it is upgraded, held as
 * {@link InputHold} holds those of its protocol numbers: in order, bounded, released through
 * the new revision's hook once it has imported its sockets, or dropped when the upgrade fails.
 */
public interface PfilHold extends InputHold {
    /** Takes a packet the old revision's hook would have seen; a {@link org.protosw.spi.PfilHook} verdict. */
    int take(Packet p, int direction, IfNet ifp);
}
