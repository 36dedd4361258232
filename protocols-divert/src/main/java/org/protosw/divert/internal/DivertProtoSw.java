package org.protosw.divert.internal;

import static org.protosw.socket.SocketConstants.AF_DIVERT;
import static org.protosw.socket.SocketConstants.SOCK_RAW;

import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;
import org.protosw.socket.SocketException;
import org.protosw.spi.ProtoContext;
import org.protosw.spi.ProtoSw;
import org.protosw.spi.ProtoSwEntry;
import org.protosw.spi.Protocol;

/**
 * Divert's protocol switch entry: the PF_DIVERT domain with one SOCK_RAW protocol, which
 * takes protocol 0 or IPPROTO_DIVERT (the entry's 0 makes it serve both).
 */
@Component(service = ProtoSw.class)
@ProtoSwEntry(domain = AF_DIVERT, type = SOCK_RAW, protocol = 0, name = "divert",
        flags = {ProtoSwEntry.PR_ATOMIC, ProtoSwEntry.PR_ADDR})
public final class DivertProtoSw implements ProtoSw {
    private final DivertRules rules;

    @Activate
    public DivertProtoSw(@Reference DivertRules rules) {
        this.rules = rules;
    }

    @Override
    public Protocol init(ProtoContext ctx) throws SocketException {
        return DivertProtocol.init(ctx, rules);
    }
}
