package org.protosw.internal.ip;

import java.util.ArrayList;
import java.util.List;

import org.protosw.spi.Packet;
import org.protosw.wire.Ipv4Header;

/**
 * {@code ip_fragment}: splits a datagram to an MTU (RFC 791 §3.2). Every fragment but the
 * last carries a multiple of 8 data bytes; the first keeps all options, the others only
 * those with the copied flag; MF is set on all but the last (the last keeps the original
 * MF, so a fragment can be fragmented again on the way) and offsets add to the original
 * offset. Each fragment gets its own header checksum.
 */
public final class IpFragment {
    private IpFragment() {
    }

    /**
     * Fragments {@code p} (data starting at its checked header of {@code hlen} bytes, total
     * length equal to the packet length) for {@code mtu}. The first fragment reuses
     * {@code p}, cut short; the list is in offset order. A packet that fits is returned alone.
     *
     * @return null when the MTU cannot carry the header and 8 data bytes
     */
    public static List<Packet> fragment(Packet p, int hlen, int mtu) {
        int total = p.length();
        if (total <= mtu) {
            return List.of(p);
        }
        int firstData = (mtu - hlen) & ~7;
        if (firstData < 8) {
            return null;
        }
        byte[] b = p.array();
        int o = p.offset();
        int word = p.get16(Ipv4Header.OFF_FRAG);
        int baseOff = (word & Ipv4Header.OFFMASK) << 3;
        boolean origMf = (word & Ipv4Header.FLAG_MF) != 0;
        int keepFlags = word & (Ipv4Header.FLAG_DF | Ipv4Header.FLAG_RF);

        byte[] opts = new byte[Ipv4Header.MAX_LENGTH];
        int optLen = Ipv4Header.copyCopiedOptions(b, o, hlen, opts, 0);
        int fhlen = Ipv4Header.MIN_LENGTH + optLen;
        int laterData = (mtu - fhlen) & ~7;

        List<Packet> out = new ArrayList<>(2 + (total - hlen - firstData) / Math.max(8, laterData));
        out.add(p);
        int dataLen = total - hlen;
        for (int pos = firstData; pos < dataLen; pos += laterData) {
            int n = Math.min(laterData, dataLen - pos);
            boolean last = pos + n >= dataLen;
            Packet f = Packet.allocate(Packet.DEFAULT_HEADROOM, fhlen + n);
            byte[] fb = f.array();
            int fo = f.offset();
            System.arraycopy(b, o, fb, fo, Ipv4Header.MIN_LENGTH);
            System.arraycopy(opts, 0, fb, fo + Ipv4Header.MIN_LENGTH, optLen);
            System.arraycopy(b, o + hlen + pos, fb, fo + fhlen, n);
            Ipv4Header h = new Ipv4Header(fb, fo, fhlen + n);
            h.setVersionAndHeaderLength(fhlen);
            h.setTotalLength(fhlen + n);
            h.setFragWord(keepFlags | (last && !origMf ? 0 : Ipv4Header.FLAG_MF) | (baseOff + pos) >>> 3);
            h.fillChecksum();
            f.setFlags(p.flags());
            f.setRcvif(p.rcvif());
            f.setTag(p.tag());
            out.add(f);
        }
        p.setLength(hlen + firstData);
        Ipv4Header h = new Ipv4Header(b, o, hlen + firstData);
        h.setTotalLength(hlen + firstData);
        h.setFragWord(keepFlags | Ipv4Header.FLAG_MF | baseOff >>> 3);
        h.fillChecksum();
        return out;
    }
}
