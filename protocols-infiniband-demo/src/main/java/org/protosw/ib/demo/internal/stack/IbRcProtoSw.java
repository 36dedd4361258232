package org.protosw.ib.demo.internal.stack;

import static org.protosw.ib.demo.IbConstants.AF_IB;
import static org.protosw.ib.demo.IbConstants.IBPROTO_RC;
import static org.protosw.socket.SocketConstants.SOCK_SEQPACKET;

import java.util.Map;

import org.osgi.service.component.annotations.Component;
import org.protosw.socket.SocketException;
import org.protosw.spi.ProtoContext;
import org.protosw.spi.ProtoSw;
import org.protosw.spi.ProtoSwEntry;
import org.protosw.spi.Protocol;

/**
 * {@code ib-rc}: AF_IB SOCK_SEQPACKET, reliable messages on a reliable-connected queue pair
 * per socket. It runs on UDP (declared, so unloading UDP aborts its sockets first).
 */
@Component(service = ProtoSw.class)
@ProtoSwEntry(domain = AF_IB, type = SOCK_SEQPACKET, protocol = IBPROTO_RC, name = IbRcProtoSw.NAME,
        flags = {ProtoSwEntry.PR_ATOMIC, ProtoSwEntry.PR_CONNREQUIRED}, uses = "udp")
public final class IbRcProtoSw implements ProtoSw {
    public static final String NAME = "ib-rc";
    /** 256 KiB: the send buffer, and the receive buffer that bounds a message. */
    static final int DEFAULT_SPACE = 256 * 1024;

    /** The service properties of the DS component, for a stack embedded without OSGi. */
    public static final Map<String, Object> PROPERTIES = Map.of(
            ProtoSwEntry.DOMAIN, AF_IB,
            ProtoSwEntry.TYPE, SOCK_SEQPACKET,
            ProtoSwEntry.PROTOCOL, IBPROTO_RC,
            ProtoSwEntry.NAME, NAME,
            ProtoSwEntry.FLAGS, new String[] {ProtoSwEntry.PR_ATOMIC, ProtoSwEntry.PR_CONNREQUIRED},
            ProtoSwEntry.USES, new String[] {"udp"});

    @Override
    public Protocol init(ProtoContext ctx) throws SocketException {
        return new IbProtocol(ctx, SOCK_SEQPACKET, NAME, DEFAULT_SPACE);
    }
}
