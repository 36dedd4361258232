package org.protosw.tcp.internal;

import java.util.Map;

import org.protosw.socket.SocketConstants;
import org.protosw.spi.ProtoSw;
import org.protosw.spi.ProtoSwEntry;

/** TCP as its bundle registers it, for tests outside this package (the segment-script harness). */
public final class StandaloneTcp {
    private StandaloneTcp() {
    }

    /** A switch entry with the bundle's own congestion-control algorithms. */
    public static ProtoSw newProtoSw() {
        return new TcpProtoSw();
    }

    /** The service properties of the bundle's DS component. */
    public static Map<String, Object> properties() {
        return Map.of(
                ProtoSwEntry.DOMAIN, SocketConstants.AF_INET,
                ProtoSwEntry.TYPE, SocketConstants.SOCK_STREAM,
                ProtoSwEntry.PROTOCOL, SocketConstants.IPPROTO_TCP,
                ProtoSwEntry.NAME, "tcp",
                ProtoSwEntry.FLAGS, new String[] {ProtoSwEntry.PR_CONNREQUIRED, ProtoSwEntry.PR_WANTRCVD});
    }
}
