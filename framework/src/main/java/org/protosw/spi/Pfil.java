package org.protosw.spi;

import org.osgi.annotation.versioning.ProviderType;

/**
 * The packet filter hook points of a stack instance ({@code pfil(9)}): hooks see every IPv4
 * packet on input (after header checks, before reassembly and local delivery) and on output
 * (after the header is complete, before fragmentation), on every interface.
 */
@ProviderType
public interface Pfil {
    int IN = 1;
    int OUT = 2;

    /**
     * Adds a hook; hooks run in ascending {@code order}, the same order on input and output.
     *
     * @param directions {@link #IN}, {@link #OUT} or both
     * @throws SecurityException (EPERM) when the calling bundle lacks the right {@code pfil}
     *         of the configuration {@code org.protosw.priv} (the message names the bundle)
     */
    Registration addHook(String name, int directions, int order, PfilHook hook);

    /**
     * Re-injects a packet as if it came from a hook at {@code order}: the packet runs through
     * the hooks after that one, then on along its path. Inbound packets need a receiving
     * interface.
     */
    void reinject(Packet p, int direction, IfNet ifp, int order);

    /**
     * {@code ip_reass} for a hook that must see whole datagrams (divert reassembles inbound
     * fragments before diverting them, as FreeBSD's {@code ipfw_divert} does): an inbound
     * fragment joins the instance's reassembly queues. Returns the whole datagram (a new
     * packet, header first, fragment fields cleared, with the fragment's receiving
     * interface) when this fragment completed it, null when the fragment was queued or
     * dropped (the hook then returns {@link PfilHook#CONSUMED}), and {@code p} itself when
     * it is no fragment. The reassembled datagram is not in any hook's path: a hook that does
     * not keep it passes it on with {@link #reinject}.
     */
    Packet reassemble(Packet p);
}
