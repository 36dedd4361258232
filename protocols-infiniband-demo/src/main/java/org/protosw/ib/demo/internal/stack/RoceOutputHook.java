package org.protosw.ib.demo.internal.stack;

import org.protosw.ib.demo.IbConstants;
import org.protosw.ib.demo.internal.verbs.Hca;
import org.protosw.ib.demo.internal.wire.Bth;
import org.protosw.ib.demo.internal.wire.Icrc;
import org.protosw.ib.demo.internal.wire.RocePacket;
import org.protosw.spi.IfNet;
import org.protosw.spi.Packet;
import org.protosw.spi.PfilHook;
import org.protosw.spi.ProtoContext;
import org.protosw.wire.UdpHeader;

/**
 * What a RoCE NIC does in hardware once the IP and UDP headers exist, as a pfil OUT hook of
 * the vnet: for each RoCEv2 packet this vnet's port sends (UDP 4791 to 4791 from a local
 * address), it sets the UDP source port from a hash of the destination QP (RoCEv2's flow
 * entropy, 0xC000 to 0xFFFF as Linux's rxe; the CM's MADs to QP1 keep 4791), fills in the ICRC over the final IP header
 * (the IP ID that {@code ip_output} assigned is covered by it) and sums the UDP checksum
 * again. Everything else passes untouched. It runs after every other hook (divert
 * included), before fragmentation, capture and the pipes.
 */
final class RoceOutputHook implements PfilHook {
    /** Last of the OUT hooks: the bytes are final here, as they are when a NIC takes them. */
    static final int ORDER = 60_000;
    private static final int IP_LEN = 20;
    private static final int PORT = IbConstants.ROCE_V2_PORT;

    private final ProtoContext ctx;

    RoceOutputHook(ProtoContext ctx) {
        this.ctx = ctx;
    }

    @Override
    public int check(Packet p, int direction, IfNet ifp) {
        int len = p.length();
        if (len < IP_LEN + UdpHeader.LENGTH + RocePacket.MIN_LENGTH) {
            return PASS;
        }
        byte[] b = p.array();
        int o = p.offset();
        if ((b[o] & 0xff) != 0x45 || (b[o + 9] & 0xff) != UdpHeader.PROTOCOL || (p.get16(6) & 0x3fff) != 0) {
            return PASS;
        }
        if (p.get16(IP_LEN + UdpHeader.OFF_SRC_PORT) != PORT || p.get16(IP_LEN + UdpHeader.OFF_DST_PORT) != PORT) {
            return PASS;
        }
        int src = p.get32(12);
        int dst = p.get32(16);
        // only what this vnet's own port sends: a forwarded RoCE packet keeps its ICRC
        if (!ctx.isLocalAddress(src)) {
            return PASS;
        }
        int ulen = p.get16(IP_LEN + UdpHeader.OFF_LENGTH);
        int ibLen = ulen - UdpHeader.LENGTH;
        if (ibLen < RocePacket.MIN_LENGTH || IP_LEN + ulen > len) {
            return PASS;
        }
        int destQp = p.get32(IP_LEN + UdpHeader.LENGTH + Bth.OFF_DESTQP - 1) & 0xffffff;
        if (destQp != Hca.QP1) {
            // the CM's MADs keep 4791, so an ICMP error about one reaches the port's tunnel
            p.set16(IP_LEN + UdpHeader.OFF_SRC_PORT, entropyPort(destQp));
        }
        Icrc.fill(b, o, ibLen);
        UdpHeader uh = new UdpHeader(b, o + IP_LEN, ulen);
        if (uh.checksum() != 0) {
            uh.fillChecksum(src, dst);
        }
        return PASS;
    }

    /** The source port of a flow to QP {@code destQp}: 0xC000 | a 14-bit hash. */
    static int entropyPort(int destQp) {
        int h = destQp * 0x9E3779B1;
        h ^= h >>> 15;
        h *= 0x85EBCA6B;
        h ^= h >>> 13;
        return 0xc000 | (h & 0x3fff);
    }
}
