package org.protosw.spi;

import java.util.List;
import java.util.function.Consumer;

import org.osgi.annotation.versioning.ProviderType;
import org.protosw.socket.InetSockAddr;
import org.protosw.socket.SocketException;

/**
 * The pcb table of one protocol in one stack instance ({@code in_pcb.c}): binding with
 * RFC 6056 ephemeral ports, connecting with source selection, and lookups.
 *
 * <p>Lookups never lock; bind, connect, disconnect and remove take the table's lock
 * (the only global lock of a protocol), so the send and receive paths take none.
 *
 * @param <T> the protocol's pcb type
 */
@ProviderType
public interface InPcbTable<T> {
    /** A new, unbound entry for {@code owner}. */
    InPcb<T> alloc(T owner);

    /**
     * {@code in_pcbbind}: binds to a local address (0 = wildcard) and port (0 = an
     * ephemeral port chosen as RFC 6056 describes).
     *
     * @param reuseAddr SO_REUSEADDR: allow a specific address on a port held by the wildcard
     * @param reusePort SO_REUSEPORT: allow the same address and port when all holders allow it
     * @throws SocketException EINVAL when already bound, EADDRNOTAVAIL for an address not
     *         of this host, EADDRINUSE when taken, EADDRNOTAVAIL when no ephemeral port is left
     */
    void bind(InPcb<T> inp, InetSockAddr local, boolean reuseAddr, boolean reusePort) throws SocketException;

    /**
     * {@code in_pcbconnect}: sets the foreign address, binding first if needed and choosing
     * the local address from the route when bound to the wildcard.
     *
     * @throws SocketException ENETUNREACH without a route, EADDRINUSE when the same four
     *         tuple exists, EADDRNOTAVAIL for a zero address or port
     */
    void connect(InPcb<T> inp, InetSockAddr foreign) throws SocketException;

    /** {@code in_pcbdisconnect}: forgets the foreign address (and a local address chosen by connect). */
    void disconnect(InPcb<T> inp);

    /**
     * {@code in_pcbinshash} for a connection accepted on a listener: enters the full four
     * tuple at once, sharing the listener's local address and port.
     *
     * @throws SocketException EADDRINUSE when the same four tuple exists
     */
    void insertConnected(InPcb<T> inp, int laddr, int lport, int faddr, int fport) throws SocketException;

    /** {@code in_pcbremove}: takes the entry out of the table for good. */
    void remove(InPcb<T> inp);

    /**
     * {@code in_pcblookup}: the best match for an inbound packet: an exact four-tuple match,
     * else (with {@code wildcard}) a bound entry on the local port, preferring a specific
     * local address over the wildcard. Never locks or allocates.
     */
    InPcb<T> lookup(int faddr, int fport, int laddr, int lport, boolean wildcard);

    /** Every entry that accepts a packet to (laddr, lport) from (faddr, fport): broadcast fan-out. */
    void forEachMatch(int faddr, int fport, int laddr, int lport, Consumer<InPcb<T>> action);

    /** A snapshot of all entries, for netstat. */
    List<InPcb<T>> list();
}
