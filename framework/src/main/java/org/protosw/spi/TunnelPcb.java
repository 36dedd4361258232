package org.protosw.spi;

import org.osgi.annotation.versioning.ConsumerType;
import org.protosw.socket.SocketException;

/**
 * An optional facet of a {@link Pcb}: the protocol can hand its datagrams to a
 * {@link TunnelInput} instead of the socket buffer. UDP implements it; the core calls it
 * for {@link KernSocket#setTunnel} (and answers EOPNOTSUPP for pcbs without it).
 *
 * @since SPI 1.2
 */
@ConsumerType
public interface TunnelPcb {
    /**
     * Installs (or with null removes) the tunnel. From the next datagram on, input for this
     * pcb goes to {@code tunnel} and never to the receive buffer; ICMP errors for its local
     * port go to {@link TunnelInput#ctlinput}.
     *
     * @throws SocketException EINVAL when the pcb cannot tunnel in its state
     */
    void setTunnel(TunnelInput tunnel) throws SocketException;
}
