package org.protosw.internal.kern;

import java.util.Map;

import org.protosw.internal.ip.RawIp;
import org.protosw.socket.SocketConstants;
import org.protosw.socket.SocketException;
import org.protosw.spi.ProtoContext;
import org.protosw.spi.ProtoSw;
import org.protosw.spi.ProtoSwEntry;
import org.protosw.spi.Protocol;

/** The core's own switch entry for raw IP sockets (SOCK_RAW, any protocol). */
final class RawIpSwitch implements ProtoSw {
    static Map<String, Object> properties() {
        return Map.of(
                ProtoSwEntry.DOMAIN, SocketConstants.AF_INET,
                ProtoSwEntry.TYPE, SocketConstants.SOCK_RAW,
                ProtoSwEntry.PROTOCOL, 0,
                ProtoSwEntry.NAME, "raw",
                ProtoSwEntry.FLAGS, new String[] {ProtoSwEntry.PR_ATOMIC, ProtoSwEntry.PR_ADDR});
    }

    @Override
    public Protocol init(ProtoContext ctx) throws SocketException {
        Vnet vnet = ((ScopedContextImpl) ctx).vnetInternal();
        return new RawIp(ctx, vnet.ip());
    }
}
