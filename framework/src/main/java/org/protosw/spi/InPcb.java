package org.protosw.spi;

import org.osgi.annotation.versioning.ProviderType;

/**
 * An Internet pcb ({@code struct inpcb}) in an {@link InPcbTable}: the local and foreign
 * address and port of one socket, and the protocol's own pcb as its owner. The fields are
 * changed only by the table (bind, connect, disconnect) and read without locks.
 *
 * @param <T> the protocol's pcb type
 */
@ProviderType
public interface InPcb<T> {
    T owner();

    /** Local address bits; 0 = wildcard. */
    int laddr();

    /** Local port; 0 = not bound. */
    int lport();

    /** Foreign address bits; 0 = not connected. */
    int faddr();

    int fport();

    boolean isConnected();
}
