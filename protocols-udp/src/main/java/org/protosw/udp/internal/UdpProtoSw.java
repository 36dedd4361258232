package org.protosw.udp.internal;

import static org.protosw.socket.SocketConstants.AF_INET;
import static org.protosw.socket.SocketConstants.IPPROTO_UDP;
import static org.protosw.socket.SocketConstants.SOCK_DGRAM;

import org.osgi.service.component.annotations.Component;
import org.protosw.socket.SocketException;
import org.protosw.spi.ProtoContext;
import org.protosw.spi.ProtoSw;
import org.protosw.spi.ProtoSwEntry;
import org.protosw.spi.Protocol;

/** UDP's protocol switch entry ({@code inetsw} for SOCK_DGRAM/IPPROTO_UDP). */
@Component(service = ProtoSw.class)
@ProtoSwEntry(domain = AF_INET, type = SOCK_DGRAM, protocol = IPPROTO_UDP, name = "udp",
        flags = {ProtoSwEntry.PR_ATOMIC, ProtoSwEntry.PR_ADDR})
public final class UdpProtoSw implements ProtoSw {
    @Override
    public Protocol init(ProtoContext ctx) throws SocketException {
        return UdpProtocol.init(ctx);
    }
}
