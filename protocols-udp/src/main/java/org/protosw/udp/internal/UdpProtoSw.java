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
import org.protosw.spi.Protocol;

/** UDP's protocol switch entry ({@code inetsw} for SOCK_DGRAM/IPPROTO_UDP). */
@Component(service = ProtoSw.class)
@ProtoSwEntry(domain = AF_INET, type = SOCK_DGRAM, protocol = IPPROTO_UDP, name = "udp",
        flags = {ProtoSwEntry.PR_ATOMIC, ProtoSwEntry.PR_ADDR})
public final class UdpProtoSw implements ProtoSw {
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
}
