package org.protosw.spi;

import org.osgi.annotation.versioning.ConsumerType;

/** A packet filter hook, see {@link Pfil}. */
@ConsumerType
@FunctionalInterface
public interface PfilHook {
    /** Let the packet go on. */
    int PASS = 0;
    /** The hook dropped the packet. */
    int DROP = 1;
    /** The hook kept the packet (diverted it); the path stops here. */
    int CONSUMED = 2;

    /**
     * Examines (and may change) a packet whose data start at its IPv4 header.
     *
     * @param direction {@link Pfil#IN} or {@link Pfil#OUT}
     * @param ifp the receiving or sending interface
     * @return {@link #PASS}, {@link #DROP} or {@link #CONSUMED}
     */
    int check(Packet p, int direction, IfNet ifp);
}
