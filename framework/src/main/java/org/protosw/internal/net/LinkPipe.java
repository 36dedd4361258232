package org.protosw.internal.net;

import java.util.function.Consumer;

import org.protosw.spi.Packet;

/** Link emulation on one direction of an interface (a dummynet pipe). */
public interface LinkPipe {
    /**
     * Takes the packet; later (after bandwidth, delay, loss...) passes it, or copies of it,
     * to {@code next}, on the pipe's own thread. Never blocks the caller.
     */
    void enqueue(Packet p, Consumer<Packet> next);

    /** The interface no longer uses this pipe: drop what is queued for it. */
    default void detached(NetInterface ifp) {
    }
}
