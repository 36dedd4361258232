package org.protosw.udp.internal;

import static org.protosw.socket.SocketConstants.AF_INET;
import static org.protosw.socket.SocketConstants.IPPROTO_UDP;
import static org.protosw.socket.SocketConstants.SOCK_DGRAM;

import java.util.Map;

import org.osgi.service.component.annotations.Component;
import org.protosw.socket.SocketException;
import org.protosw.spi.ProtoContext;
import org.protosw.spi.ProtoSw;
import org.protosw.spi.ProtoSwEntry;
import org.protosw.spi.Pcb;
import org.protosw.spi.ProtoSocket;
import org.protosw.spi.Protocol;
import org.protosw.spi.Snapshot;
import org.protosw.spi.StateTransfer;

/** UDP's protocol switch entry ({@code inetsw} for SOCK_DGRAM/IPPROTO_UDP). */
@Component(service = ProtoSw.class)
@ProtoSwEntry(domain = AF_INET, type = SOCK_DGRAM, protocol = IPPROTO_UDP, name = "udp",
        flags = {ProtoSwEntry.PR_ATOMIC, ProtoSwEntry.PR_ADDR})
public final class UdpProtoSw implements ProtoSw, StateTransfer {
    /**
     * The service properties the DS component registers (from its {@code @ProtoSwEntry}), for
     * registering UDP with a stack embedded without OSGi.
     */
    public static final Map<String, Object> PROPERTIES = Map.of(
            ProtoSwEntry.DOMAIN, AF_INET,
            ProtoSwEntry.TYPE, SOCK_DGRAM,
            ProtoSwEntry.PROTOCOL, IPPROTO_UDP,
            ProtoSwEntry.NAME, "udp",
            ProtoSwEntry.FLAGS, new String[] {ProtoSwEntry.PR_ATOMIC, ProtoSwEntry.PR_ADDR});

    @Override
    public Protocol init(ProtoContext ctx) throws SocketException {
        return UdpProtocol.init(ctx);
    }

    // live upgrade: UDP carries its bindings, options and counters (UdpTransfer)

    @Override
    public String snapshotFormat() {
        return UdpTransfer.FORMAT;
    }

    @Override
    public int snapshotVersion() {
        return UdpTransfer.VERSION;
    }

    @Override
    public Snapshot exportPcb(Protocol protocol, Pcb pcb) {
        return UdpTransfer.exportPcb(pcb);
    }

    @Override
    public Snapshot exportProtocol(Protocol protocol) {
        return UdpTransfer.exportProtocol(protocol);
    }

    @Override
    public void importProtocol(Protocol protocol, Snapshot state) throws SocketException {
        UdpTransfer.importProtocol(protocol, state);
    }

    @Override
    public Pcb importPcb(Protocol protocol, ProtoSocket so, Snapshot state) throws SocketException {
        return UdpTransfer.importPcb(protocol, so, state);
    }
}
