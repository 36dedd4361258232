package org.protosw.spi;

import java.util.List;

import org.osgi.annotation.versioning.ProviderType;
import org.protosw.socket.InAddr;
import org.protosw.socket.SocketException;

/**
 * What the core hands a protocol in one stack instance: IP output, input demultiplexing,
 * the pcb tables of {@code in_pcb}, routes and interfaces, timers, tunables, the packet
 * filter hooks and ICMP error generation. Everything registered through it is removed by
 * the core when the protocol leaves, even if the protocol forgets.
 *
 * <p>Addresses on the data path are {@code int}s holding the IPv4 address bits (as
 * {@link InAddr#bits()}), so the per-packet path allocates nothing.
 */
@ProviderType
public interface ProtoContext {
    /** IP output flag: set DF; fail with EMSGSIZE instead of fragmenting. */
    int IP_DF = 0x1;
    /** IP output flag: the packet may go to a broadcast address (SO_BROADCAST was set). */
    int IP_ALLOWBROADCAST = 0x2;
    /** IP output flag: do not route, send on the directly attached interface (SO_DONTROUTE). */
    int IP_ROUTETOIF = 0x4;
    /** IP output flag: the packet already carries its IP header (raw sockets with IP_HDRINCL). */
    int IP_RAWOUTPUT = 0x8;

    /** The stack instance's name. */
    String vnet();

    /** A packet of {@code len} payload bytes with room for every header in front. */
    Packet allocate(int len);

    /**
     * {@code ip_output}: prepends the IPv4 header, picks the route (and the source address
     * when {@code src} is 0), fragments to the interface MTU and sends.
     *
     * @param ttl time to live; negative picks {@code net.inet.ip.ttl}
     * @throws SocketException ENETUNREACH/EHOSTUNREACH without a route, EMSGSIZE with
     *         {@link #IP_DF} over the MTU, EACCES for a broadcast without
     *         {@link #IP_ALLOWBROADCAST}, ENOBUFS when an interface queue is full,
     *         ENETDOWN when the interface is down
     */
    void ipOutput(Packet p, int src, int dst, int proto, int ttl, int tos, int flags) throws SocketException;

    /**
     * {@code ipproto_register}: inbound IPv4 packets of protocol number {@code proto} go to
     * {@code input}. Separate from the protocol switch, so a module may take input without
     * offering sockets.
     *
     * @throws SocketException EEXIST when another handler holds the number
     */
    Registration ipprotoRegister(int proto, IpInput input) throws SocketException;

    /** A new pcb table ({@code struct inpcbinfo}) for a protocol of this instance. */
    <T> InPcbTable<T> newPcbTable(String protocolName);

    /** Longest-prefix route to {@code dst}, or null when there is none. */
    Route routeLookup(int dst);

    /** The interfaces of this instance. */
    List<IfNet> interfaces();

    /** The interface with this name, or null. */
    IfNet interfaceByName(String name);

    /** True when {@code addr} is an address of one of this instance's interfaces. */
    boolean isLocalAddress(int addr);

    /** True for 255.255.255.255 and the directed broadcast of any attached subnet. */
    boolean isBroadcast(int addr);

    /**
     * {@code icmp_error}: answers an offending inbound packet (whose data start at its IP
     * header) with an ICMP error, rate limited as {@code net.inet.icmp.icmplim} says.
     * Never answers ICMP errors, broadcasts or non-first fragments.
     */
    void icmpError(Packet offending, int type, int code, int nextMtu);

    /** A timer whose task runs on the stack's timer thread ({@code callout}). */
    Callout newCallout(Runnable task);

    /**
     * A stream socket buffer of {@code hiwat} bytes that belongs to no socket. For a
     * connection that outlived its socket (closing after close(2), its unacknowledged data
     * still to deliver) and is carried across a live upgrade: the new revision rebuilds its
     * send buffer in one of these from the snapshot's bytes, since the snapshot may hold no
     * object of the core.
     *
     * @since 1.3
     */
    default SockBuf newStreamBuffer(int hiwat) {
        throw new UnsupportedOperationException("this stack gives out no socket buffers of their own");
    }

    /** The tunables of this instance ({@code sysctl}). */
    Sysctls sysctl();

    /** The packet filter hook points ({@code pfil}). */
    Pfil pfil();

    /**
     * In-stack {@code socreate}: a socket of another protocol of this stack instance, owned
     * by the caller, driven by upcalls instead of a thread (see {@link KernSocket}). The core
     * learns from it that the caller's protocol uses the lower one (shown by
     * {@code net:protocols}); it is closed by the core when the caller's protocol (or
     * module) leaves, if the caller did not close it first.
     *
     * @param upcall told when the socket becomes readable or writable, or is aborted; may be
     *        null
     * @throws SocketException as {@code socket(2)}: EAFNOSUPPORT, EPROTONOSUPPORT (also
     *         while the lower protocol is absent, draining or unloading), EINVAL when the
     *         protocol would open a socket of itself, what the lower protocol's attach throws
     * @since SPI 1.2
     */
    KernSocket socreate(int domain, int type, int protocol, SoUpcall upcall) throws SocketException;

    /**
     * The per-instance state of this protocol's {@link Domain} (what its
     * {@link Domain#init} returned), shared by all switch entries of the domain.
     *
     * @return null for a module ({@link NetModule}) or when the domain's init returned null
     * @throws ClassCastException when the state is not a {@code type}
     * @since SPI 1.2
     */
    <T> T domainState(Class<T> type);
}
