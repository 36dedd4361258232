package org.protosw.internal.ip;

import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.Consumer;
import java.util.function.LongSupplier;

import org.protosw.internal.kern.SysctlTree;
import org.protosw.internal.net.IfTable;
import org.protosw.internal.net.NetInterface;
import org.protosw.socket.InAddr;
import org.protosw.socket.SocketException;
import org.protosw.spi.IcmpError;
import org.protosw.spi.IfAddr;
import org.protosw.spi.IfNet;
import org.protosw.spi.IpInput;
import org.protosw.spi.Packet;
import org.protosw.spi.ProtoContext;
import org.protosw.spi.Registration;
import org.protosw.spi.Tunable;
import org.protosw.wire.IcmpHeader;
import org.protosw.wire.Ipv4Header;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The IPv4 layer of one stack instance (FreeBSD's {@code netinet/ip_var.h} view of it): the
 * entry points the stack and the protocols call, and the parts it owns: routing table,
 * reassembly, pfil hooks, ICMP and statistics. The paths themselves are each in a class
 * named after FreeBSD's file: {@link IpInputPath} ({@code ip_input.c}: checks, delivery,
 * the protocol demultiplexing table {@code ip_protox}), {@link IpForwardPath}
 * ({@code ip_forward}, {@code ip_fastfwd.c}) and {@link IpOutputPath} ({@code ip_output.c}).
 *
 * <p>The per-packet paths take no lock: the demux table is an atomic array, the routing
 * table and the hook lists are immutable snapshots, interface addresses are copy-on-write
 * lists. {@link #input} never throws; a malformed packet is counted and dropped.
 *
 * <p>Tunables registered here: {@code net.inet.ip.forwarding}, {@code net.inet.ip.ttl},
 * the reassembly limits ({@link IpReass}), ICMP's ({@link Icmp}) and the ephemeral port
 * range ({@link InPcbTableImpl#registerTunables}).
 */
public final class IpLayer {
    private static final Logger LOG = LoggerFactory.getLogger(IpLayer.class);
    static final int LIMITED_BROADCAST = 0xffffffff;

    /** Raw IP input ({@code rip_input}): offered packets no protocol handler took, and ICMP. */
    @FunctionalInterface
    public interface RawInput {
        /**
         * A packet for this host (data start at its IPv4 header of {@code hlen} bytes).
         * Copy what to keep; the packet is not handed over.
         *
         * @return true when at least one raw socket matched it
         */
        boolean input(Packet p, int hlen);
    }

    private final String vnetName;
    private final IfTable ifs;
    private final SysctlTree sysctl;
    private final RouteTable routes;
    private final IpReass reass;
    private final PfilHead pfil;
    private final Icmp icmp;
    private final IpOutputPath output;
    private final IpInputPath input;
    final IpStat stat = new IpStat();

    public IpLayer(String vnetName, IfTable ifs, SysctlTree sysctl) {
        this(vnetName, ifs, sysctl, System::nanoTime);
    }

    /** @param clock monotonic nanoseconds, for reassembly lifetimes and ICMP rate limits */
    public IpLayer(String vnetName, IfTable ifs, SysctlTree sysctl, LongSupplier clock) {
        this.vnetName = Objects.requireNonNull(vnetName);
        this.ifs = Objects.requireNonNull(ifs);
        this.sysctl = Objects.requireNonNull(sysctl);
        Tunable forwarding = sysctl.register("net.inet.ip.forwarding", 0, 0, 1, "Enable IP forwarding between interfaces");
        Tunable defaultTtl = sysctl.register("net.inet.ip.ttl", 64, 1, 255, "Maximum TTL on IP packets");
        InPcbTableImpl.registerTunables(sysctl);
        this.routes = new RouteTable(vnetName, ifs);
        this.icmp = new Icmp(this, sysctl, clock);
        this.reass = new IpReass(sysctl, clock,
                first -> icmp.error(first, IcmpHeader.TIMXCEED, IcmpHeader.TIMXCEED_REASS, 0));
        this.pfil = new PfilHead(vnetName, new PfilHead.Continuation() {
            @Override
            public void inbound(Packet p, IfNet ifp) {
                try {
                    input.ours(p, ifp);
                } catch (RuntimeException e) {
                    internalError(e);
                }
            }

            @Override
            public void outbound(Packet p) {
                output.outputReinjected(p);
            }

            @Override
            public Packet reassemble(Packet p) {
                int hlen = (p.get8(Ipv4Header.OFF_VHL) & 0xf) << 2;
                return reass.input(p, hlen);
            }
        });
        this.output = new IpOutputPath(this, ifs, routes, defaultTtl);
        this.input = new IpInputPath(this, reass, new IpForwardPath(this, routes, output, forwarding));
    }

    public String vnet() {
        return vnetName;
    }

    public RouteTable routes() {
        return routes;
    }

    public PfilHead pfil() {
        return pfil;
    }

    Icmp icmp() {
        return icmp;
    }

    /** A new pcb table for a protocol of this instance, using this instance's addresses and routes. */
    public <T> InPcbTableImpl<T> newPcbTable(String protocolName) {
        return new InPcbTableImpl<>(vnetName + "/" + protocolName, sysctl, this::isLocalAddress, routes::lookup);
    }

    /**
     * Where looped-back broadcasts go (a copy of each broadcast this host sends, as
     * {@code if_simloop}). Defaults to {@link #input} on the calling thread; the stack
     * points it at its input workers so a sender never re-enters input processing.
     */
    public void setLoopInput(NetInterface.InputHandler handler) {
        output.setLoopInput(handler);
    }

    // ---------------------------------------------------------------- demultiplexing

    /**
     * {@code ipproto_register}: inbound packets of {@code proto} for this host go to
     * {@code input}, ICMP errors quoting packets of {@code proto} to {@code ctlinput}
     * (which may be null).
     *
     * @throws SocketException EINVAL outside 0..255, EEXIST when the number is taken
     */
    public Registration register(int proto, IpInput input, Consumer<IcmpError> ctlinput) throws SocketException {
        Objects.requireNonNull(input, "input");
        return this.input.register(proto, input, ctlinput);
    }

    /**
     * Holds the inbound packets of {@code proto} (at most {@code limit}) while its protocol
     * is upgraded; a registration for the number made meanwhile gets it when the hold is
     * released. See {@link org.protosw.internal.sw.InputHold}.
     */
    public org.protosw.internal.sw.InputHold hold(int proto, int limit) {
        return input.hold(proto, limit);
    }

    /** Sets (or with null clears) raw IP input. */
    public void setRawInput(RawInput raw) {
        input.setRawInput(raw);
    }

    public RawInput rawInput() {
        return input.rawInput();
    }

    /** Offers a packet to raw input; true when a raw socket took it. */
    boolean rawInput(Packet p, int hlen) {
        return input.rawInput(p, hlen);
    }

    /** {@code pr_ctlinput} dispatch: an ICMP error quoting a packet of {@code proto}. */
    void ctlinput(int proto, IcmpError err) {
        input.ctlinput(proto, err);
    }

    // ---------------------------------------------------------------- input

    /**
     * {@code ip_input} ({@link IpInputPath}): a packet received on {@code ifp}, data starting
     * at the IPv4 header. Validates, runs the IN hooks, then delivers, reassembles or
     * forwards. Never throws.
     */
    public void input(NetInterface ifp, Packet p) {
        try {
            input.input(ifp, p);
        } catch (RuntimeException e) {
            internalError(e);
        }
    }

    // ---------------------------------------------------------------- output

    /**
     * {@code ip_output} ({@link IpOutputPath}), as {@link ProtoContext#ipOutput} describes:
     * prepends the header (unless {@link ProtoContext#IP_RAWOUTPUT}), picks route and source,
     * runs the OUT hooks on the whole datagram, fragments to the MTU and hands the result to
     * the interface. A datagram to an address of this host goes through the loopback interface.
     *
     * @throws SocketException ENETUNREACH without any route, EHOSTUNREACH for a reject
     *         route, EACCES for a broadcast without {@link ProtoContext#IP_ALLOWBROADCAST}
     *         or a packet a hook dropped, EMSGSIZE over 65535 bytes or over the MTU with DF,
     *         ENETDOWN when the interface is down, EADDRNOTAVAIL when no source address
     *         exists, EINVAL for a bad header given with IP_RAWOUTPUT
     */
    public void output(Packet p, int src, int dst, int proto, int ttl, int tos, int flags) throws SocketException {
        output.output(p, src, dst, proto, ttl, tos, flags);
    }

    // ---------------------------------------------------------------- ICMP and addresses

    /** {@code icmp_error}, see {@link ProtoContext#icmpError}. */
    public void icmpError(Packet offending, int type, int code, int nextMtu) {
        try {
            icmp.error(offending, type, code, nextMtu);
        } catch (RuntimeException e) {
            internalError(e);
        }
    }

    /** True when {@code addr} is an address of one of this instance's interfaces (weak host model). */
    public boolean isLocalAddress(int addr) {
        return addr != 0 && ifs.byAddress(addr) != null;
    }

    /** True for 255.255.255.255 and the directed broadcast address of any attached subnet. */
    public boolean isBroadcast(int addr) {
        return addr == LIMITED_BROADCAST || ifs.byBroadcast(addr) != null;
    }

    static int primaryAddress(IfNet ifp) {
        List<IfAddr> l = ifp.addresses();
        return l.isEmpty() ? 0 : l.get(0).addr().bits();
    }

    static boolean isMulticast(int a) {
        return a >>> 28 == 0xe;
    }

    static boolean isLoopbackNet(int a) {
        return a >>> 24 == 127;
    }

    void internalError(RuntimeException e) {
        stat.internalErrors.increment();
        LOG.warn("IP layer of {}: packet dropped after an internal error", vnetName, e);
    }

    // ---------------------------------------------------------------- timers and statistics

    /** The 500 ms timer ({@code ip_slowtimo}): expires reassembly queues. */
    public void slowtimo(long nowNanos) {
        try {
            reass.slowtimo(nowNanos);
        } catch (RuntimeException e) {
            internalError(e);
        }
    }

    /** {@code netstat -s -p ip}, in FreeBSD's order and wording. */
    public Map<String, Long> ipStatistics() {
        return stat.toMap(reass);
    }

    /** {@code netstat -s -p icmp}, in FreeBSD's order and wording (histograms show non-zero types). */
    public Map<String, Long> icmpStatistics() {
        return icmp.statistics();
    }

    /** Reassembly queues alive now. */
    public int reassemblyQueues() {
        return reass.queueCount();
    }

    @Override
    public String toString() {
        return "IpLayer[" + vnetName + "]";
    }
}
