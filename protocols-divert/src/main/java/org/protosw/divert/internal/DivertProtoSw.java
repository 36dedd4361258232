package org.protosw.divert.internal;

import static org.protosw.socket.SocketConstants.AF_DIVERT;
import static org.protosw.socket.SocketConstants.SOCK_RAW;

import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;
import org.protosw.socket.SocketException;
import org.protosw.spi.Pcb;
import org.protosw.spi.ProtoContext;
import org.protosw.spi.ProtoSocket;
import org.protosw.spi.ProtoSw;
import org.protosw.spi.ProtoSwEntry;
import org.protosw.spi.Protocol;
import org.protosw.spi.Snapshot;
import org.protosw.spi.StateTransfer;

/**
 * Divert's protocol switch entry: the PF_DIVERT domain with one SOCK_RAW protocol, which
 * takes protocol 0 or IPPROTO_DIVERT (the entry's 0 makes it serve both). Its sockets
 * survive a live upgrade ({@link DivertTransfer}).
 */
@Component(service = ProtoSw.class)
@ProtoSwEntry(domain = AF_DIVERT, type = SOCK_RAW, protocol = 0, name = "divert",
        flags = {ProtoSwEntry.PR_ATOMIC, ProtoSwEntry.PR_ADDR})
public final class DivertProtoSw implements ProtoSw, StateTransfer {
    private final DivertRules rules;

    @Activate
    public DivertProtoSw(@Reference DivertRules rules) {
        this.rules = rules;
    }

    @Override
    public Protocol init(ProtoContext ctx) throws SocketException {
        return DivertProtocol.init(ctx, rules);
    }

    @Override
    public String snapshotFormat() {
        return DivertTransfer.FORMAT;
    }

    @Override
    public int snapshotVersion() {
        return DivertTransfer.VERSION;
    }

    @Override
    public Snapshot exportPcb(Protocol protocol, Pcb pcb) throws SocketException {
        return DivertTransfer.exportPcb(pcb);
    }

    @Override
    public Snapshot exportProtocol(Protocol protocol) throws SocketException {
        return DivertTransfer.exportProtocol(protocol);
    }

    @Override
    public void importProtocol(Protocol protocol, Snapshot state) throws SocketException {
        DivertTransfer.importProtocol(protocol, state);
    }

    @Override
    public Pcb importPcb(Protocol protocol, ProtoSocket so, Snapshot state) throws SocketException {
        return DivertTransfer.importPcb(protocol, so, state);
    }
}
