package org.protosw.spi;

import org.osgi.annotation.versioning.ConsumerType;

/**
 * A tunnelling receiver on an in-stack socket (FreeBSD's {@code udp_set_kernel_tunneling}
 * with its {@code udp_tun_func_t} and {@code udp_tun_icmp_t}, Linux's {@code encap_rcv}):
 * the lower protocol hands it each datagram before (instead of) queueing it to the socket
 * buffer: no copy, no queue, no socket-buffer limit. See {@link KernSocket#setTunnel}.
 *
 * <p>Both methods run on the thread processing the flow's input (its input worker, or the
 * sending thread under direct dispatch on lo0 and epair, one at a time per flow); they must
 * not block. A
 * RuntimeException thrown here is counted as an input error of the lower protocol and
 * logged (rate limited); the packet is dropped.
 *
 * @since SPI 1.2
 */
@ConsumerType
@FunctionalInterface
public interface TunnelInput {
    /**
     * One datagram, already checked by the lower protocol (UDP: length and checksum). The
     * packet's data start at its IPv4 header of {@code hlen} bytes, so the tunnel sees the
     * addresses (RoCEv2's ICRC covers them); for UDP the UDP header is at {@code hlen} and
     * the payload at {@code hlen + 8}. The tunnel owns the packet from now on.
     */
    void input(Packet p, int hlen);

    /**
     * An ICMP error quoting a datagram sent from this socket's local port (for tunnels also
     * when the socket is not connected: the tunnel knows its peers, the socket does not).
     */
    default void ctlinput(IcmpError error) {
    }
}
