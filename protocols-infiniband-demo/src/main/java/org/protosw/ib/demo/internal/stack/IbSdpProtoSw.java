package org.protosw.ib.demo.internal.stack;

import static org.protosw.ib.demo.IbConstants.AF_IB;
import static org.protosw.ib.demo.IbConstants.IBPROTO_SDP;
import static org.protosw.socket.SocketConstants.SOCK_STREAM;

import java.util.Map;

import org.osgi.service.component.annotations.Component;
import org.protosw.socket.SocketException;
import org.protosw.spi.ProtoContext;
import org.protosw.spi.ProtoSw;
import org.protosw.spi.ProtoSwEntry;
import org.protosw.spi.Protocol;

/**
 * {@code ib-sdp}: AF_IB SOCK_STREAM, an SDP-like byte stream over an RC queue pair: the
 * stream goes in messages of up to 64 KiB, each taking one of the receive buffers the peer
 * posted (its credits). It runs on UDP (declared).
 */
@Component(service = ProtoSw.class)
@ProtoSwEntry(domain = AF_IB, type = SOCK_STREAM, protocol = IBPROTO_SDP, name = IbSdpProtoSw.NAME,
        flags = {ProtoSwEntry.PR_CONNREQUIRED, ProtoSwEntry.PR_WANTRCVD}, uses = "udp")
public final class IbSdpProtoSw implements ProtoSw {
    public static final String NAME = "ib-sdp";
    /** 1 MiB: sixteen 64 KiB receive buffers. */
    static final int DEFAULT_SPACE = 1024 * 1024;

    public static final Map<String, Object> PROPERTIES = Map.of(
            ProtoSwEntry.DOMAIN, AF_IB,
            ProtoSwEntry.TYPE, SOCK_STREAM,
            ProtoSwEntry.PROTOCOL, IBPROTO_SDP,
            ProtoSwEntry.NAME, NAME,
            ProtoSwEntry.FLAGS, new String[] {ProtoSwEntry.PR_CONNREQUIRED, ProtoSwEntry.PR_WANTRCVD},
            ProtoSwEntry.USES, new String[] {"udp"});

    @Override
    public Protocol init(ProtoContext ctx) throws SocketException {
        return new IbProtocol(ctx, SOCK_STREAM, NAME, DEFAULT_SPACE);
    }
}
