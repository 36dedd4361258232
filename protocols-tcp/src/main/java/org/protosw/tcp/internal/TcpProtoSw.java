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
import org.protosw.socket.SocketException;
import org.protosw.spi.ConnectionInfo;
import org.protosw.spi.ProtoContext;
import org.protosw.spi.ProtoSw;
import org.protosw.spi.ProtoSwEntry;
import org.protosw.spi.Protocol;

/** TCP's protocol switch entry ({@code inetsw} for SOCK_STREAM/IPPROTO_TCP). */
@Component(service = ProtoSw.class)
@ProtoSwEntry(domain = AF_INET, type = SOCK_STREAM, protocol = IPPROTO_TCP, name = "tcp",
        flags = {ProtoSwEntry.PR_CONNREQUIRED, ProtoSwEntry.PR_WANTRCVD})
public final class TcpProtoSw implements ProtoSw {
    /** Each stack instance's TCP, for the protocol's own diagnostics and tests. */
    private final Map<String, TcpProtocol> instances = new ConcurrentHashMap<>();
    private final CcRegistry ccRegistry;

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
        TcpProtocol tcp = TcpProtocol.init(ctx, ccRegistry);
        instances.put(ctx.vnet(), tcp);
        ccRegistry.attach(tcp);
        return new Protocol() {
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
                instances.remove(ctx.vnet(), tcp);
                ccRegistry.detach(tcp);
                tcp.destroy();
            }
        };
    }

    CcRegistry ccRegistry() {
        return ccRegistry;
    }

    /** The TCP of a stack instance, or null. */
    TcpProtocol instance(String vnet) {
        return instances.get(vnet);
    }
}
