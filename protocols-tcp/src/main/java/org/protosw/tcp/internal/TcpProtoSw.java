package org.protosw.tcp.internal;

import static org.protosw.socket.SocketConstants.AF_INET;
import static org.protosw.socket.SocketConstants.IPPROTO_TCP;
import static org.protosw.socket.SocketConstants.SOCK_STREAM;

import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;
import org.protosw.tcp.trace.TcpTraceHook;
import org.protosw.socket.Errno;
import org.protosw.socket.SocketException;
import org.protosw.spi.ConnectionInfo;
import org.protosw.spi.ProtoContext;
import org.protosw.spi.ProtoSw;
import org.protosw.spi.ProtoSwEntry;
import org.protosw.spi.Pcb;
import org.protosw.spi.ProtoSocket;
import org.protosw.spi.Protocol;
import org.protosw.spi.Snapshot;
import org.protosw.spi.StateTransfer;

/** TCP's protocol switch entry ({@code inetsw} for SOCK_STREAM/IPPROTO_TCP). */
@Component(service = ProtoSw.class)
@ProtoSwEntry(domain = AF_INET, type = SOCK_STREAM, protocol = IPPROTO_TCP, name = "tcp",
        flags = {ProtoSwEntry.PR_CONNREQUIRED, ProtoSwEntry.PR_WANTRCVD})
public final class TcpProtoSw implements ProtoSw, StateTransfer {
    /** Each stack instance's TCP, for the protocol's own diagnostics and tests. */
    private final Map<String, TcpProtocol> instances = new ConcurrentHashMap<>();
    private final CcRegistry ccRegistry;
    /** The trace hooks (a whiteboard of {@link TcpTraceHook} services), shared by every instance. */
    private final TcpTrace trace = new TcpTrace();

    @Activate
    public TcpProtoSw(@Reference CcRegistry ccRegistry) {
        this.ccRegistry = ccRegistry;
    }

    /** Outside OSGi: with this bundle's own congestion control algorithms. */
    TcpProtoSw() {
        this(CcRegistry.withBuiltins());
    }

    /**
     * The service properties the DS component registers (from its {@code @ProtoSwEntry}), for
     * registering {@link #standalone()} with a stack embedded without OSGi.
     */
    public static final Map<String, Object> PROPERTIES = Map.of(
            ProtoSwEntry.DOMAIN, AF_INET,
            ProtoSwEntry.TYPE, SOCK_STREAM,
            ProtoSwEntry.PROTOCOL, IPPROTO_TCP,
            ProtoSwEntry.NAME, "tcp",
            ProtoSwEntry.FLAGS, new String[] {ProtoSwEntry.PR_CONNREQUIRED, ProtoSwEntry.PR_WANTRCVD});

    /** TCP for a stack embedded without OSGi (benchmarks, plain Java programs). */
    public static TcpProtoSw standalone() {
        return new TcpProtoSw();
    }

    @Override
    public Protocol init(ProtoContext ctx) throws SocketException {
        TcpProtocol tcp = TcpProtocol.init(ctx, ccRegistry, trace);
        instances.put(ctx.vnet(), tcp);
        ccRegistry.attach(tcp);
        return new Instance(ctx.vnet(), tcp);
    }

    /** What the core holds for TCP in one stack instance. */
    private final class Instance implements Protocol {
        private final String vnet;
        private final TcpProtocol tcp;

        Instance(String vnet, TcpProtocol tcp) {
            this.vnet = vnet;
            this.tcp = tcp;
        }

        @Override
        public org.protosw.spi.Pcb attach(org.protosw.spi.ProtoSocket so) throws SocketException {
            return tcp.attach(so);
        }

        @Override
        public void ctlinput(org.protosw.spi.IcmpError error) {
            tcp.ctlinput(error);
        }

        @Override
        public Map<String, Long> statistics() {
            return tcp.statistics();
        }

        @Override
        public List<ConnectionInfo> orphans() {
            return tcp.orphans();
        }

        @Override
        public void destroy() {
            instances.remove(vnet, tcp);
            ccRegistry.detach(tcp);
            tcp.destroy();
        }
    }

    private static TcpProtocol tcpOf(Protocol protocol) throws SocketException {
        if (protocol instanceof Instance i) {
            return i.tcp;
        }
        throw new SocketException(Errno.EINVAL, "not an instance of this TCP revision: " + protocol);
    }

    // live upgrade: TCP carries every connection, listener, SYN cache entry and orphan (TcpTransfer)

    @Override
    public String snapshotFormat() {
        return TcpTransfer.FORMAT;
    }

    @Override
    public int snapshotVersion() {
        return TcpTransfer.VERSION;
    }

    @Override
    public Snapshot exportPcb(Protocol protocol, Pcb pcb) throws SocketException {
        return TcpTransfer.exportPcb(pcb);
    }

    @Override
    public Snapshot exportProtocol(Protocol protocol) throws SocketException {
        return TcpTransfer.exportProtocol(tcpOf(protocol));
    }

    @Override
    public java.util.List<org.protosw.spi.PeerNotice> peerNotices(Protocol protocol) {
        try {
            return TcpTransfer.peerNotices(tcpOf(protocol));
        } catch (SocketException notOurs) {
            // not an instance of this revision: it has no connections of ours to reset
            return java.util.List.of();
        }
    }

    @Override
    public void importProtocol(Protocol protocol, Snapshot state) throws SocketException {
        TcpTransfer.importProtocol(tcpOf(protocol), state);
    }

    @Override
    public Pcb importPcb(Protocol protocol, ProtoSocket so, Snapshot state) throws SocketException {
        return TcpTransfer.importPcb(tcpOf(protocol), so, state);
    }

    /**
     * A trace hook joins: from now on every segment of every connection is shown to it. Public
     * for a stack embedded without OSGi (a tool's tests register their hook here).
     */
    @Reference(service = TcpTraceHook.class, cardinality = ReferenceCardinality.MULTIPLE,
            policy = ReferencePolicy.DYNAMIC)
    public void addTraceHook(TcpTraceHook hook) {
        trace.add(hook);
    }

    /** A trace hook leaves: once this returns, segments that start no longer reach it. */
    public void removeTraceHook(TcpTraceHook hook) {
        trace.remove(hook);
    }

    /** How many trace hooks are registered now. */
    public int traceHooks() {
        return trace.count();
    }

    CcRegistry ccRegistry() {
        return ccRegistry;
    }

    /** The TCP of a stack instance, or null. */
    TcpProtocol instance(String vnet) {
        return instances.get(vnet);
    }
}
