package org.protosw.divert.internal;

import java.util.concurrent.atomic.LongAdder;

import org.protosw.socket.InAddr;
import org.protosw.spi.IfNet;
import org.protosw.spi.Packet;
import org.protosw.spi.Pfil;
import org.protosw.wire.Ipv4Header;

/**
 * One divert rule, as ipfw(8) writes it:
 * {@code divert|tee PORT PROTO from ADDR[/LEN] [PORT] to ADDR[/LEN] [PORT] [in|out] [via IF]}.
 * Immutable except for its packet and byte counters.
 */
final class Rule {
    enum Action {
        DIVERT, TEE;

        String word() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }
    }

    /** The protocol field of a rule that matches every IP packet ("ip"). */
    static final int ANY_PROTO = -1;
    /** A port field that was not given. */
    static final int ANY_PORT = -1;

    final int number;
    final Action action;
    final int divertPort;
    final int proto;
    final int src;
    final int srcLen;
    final int srcPort;
    final int dst;
    final int dstLen;
    final int dstPort;
    /** {@link Pfil#IN}, {@link Pfil#OUT}, or both. */
    final int directions;
    /** Interface name, or null for any. */
    final String via;

    private final int srcMask;
    private final int dstMask;
    final LongAdder packets = new LongAdder();
    final LongAdder bytes = new LongAdder();

    Rule(int number, Action action, int divertPort, int proto, int src, int srcLen, int srcPort,
            int dst, int dstLen, int dstPort, int directions, String via) {
        this.number = number;
        this.action = action;
        this.divertPort = divertPort;
        this.proto = proto;
        this.srcMask = InAddr.netmask(srcLen);
        this.src = src & srcMask;
        this.srcLen = srcLen;
        this.srcPort = srcPort;
        this.dstMask = InAddr.netmask(dstLen);
        this.dst = dst & dstMask;
        this.dstLen = dstLen;
        this.dstPort = dstPort;
        this.directions = directions;
        this.via = via;
    }

    boolean hasPorts() {
        return srcPort != ANY_PORT || dstPort != ANY_PORT;
    }

    /**
     * Whether the packet (data at its checked IPv4 header of {@code hlen} bytes) matches.
     * As in ipfw, a rule with ports never matches a fragment other than the first; with
     * {@code ignorePorts} the port fields are not looked at (to decide whether a fragment
     * might match once reassembled).
     */
    boolean matches(Packet p, int hlen, int direction, IfNet ifp, boolean ignorePorts) {
        if ((directions & direction) == 0) {
            return false;
        }
        if (proto != ANY_PROTO && p.get8(Ipv4Header.OFF_PROTOCOL) != proto) {
            return false;
        }
        if ((p.get32(Ipv4Header.OFF_SRC) & srcMask) != src || (p.get32(Ipv4Header.OFF_DST) & dstMask) != dst) {
            return false;
        }
        if (via != null && (ifp == null || !via.equals(ifp.name()))) {
            return false;
        }
        if (ignorePorts || !hasPorts()) {
            return true;
        }
        if ((p.get16(Ipv4Header.OFF_FRAG) & Ipv4Header.OFFMASK) != 0 || p.length() < hlen + 4) {
            return false;
        }
        return (srcPort == ANY_PORT || p.get16(hlen) == srcPort)
                && (dstPort == ANY_PORT || p.get16(hlen + 2) == dstPort);
    }

    void count(int len) {
        packets.increment();
        bytes.add(len);
    }

    /** The rule without its number, in the words {@code rule add} takes (what the store keeps). */
    String body() {
        StringBuilder sb = new StringBuilder();
        sb.append(action.word()).append(' ').append(divertPort).append(' ').append(protoName(proto));
        sb.append(" from ").append(addr(src, srcLen));
        if (srcPort != ANY_PORT) {
            sb.append(' ').append(srcPort);
        }
        sb.append(" to ").append(addr(dst, dstLen));
        if (dstPort != ANY_PORT) {
            sb.append(' ').append(dstPort);
        }
        if (directions == Pfil.IN) {
            sb.append(" in");
        } else if (directions == Pfil.OUT) {
            sb.append(" out");
        }
        if (via != null) {
            sb.append(" via ").append(via);
        }
        return sb.toString();
    }

    static String protoName(int proto) {
        return switch (proto) {
            case ANY_PROTO -> "ip";
            case 1 -> "icmp";
            case 6 -> "tcp";
            case 17 -> "udp";
            default -> Integer.toString(proto);
        };
    }

    private static String addr(int a, int len) {
        if (len == 0) {
            return "any";
        }
        return len == 32 ? new InAddr(a).toString() : new InAddr(a) + "/" + len;
    }

    @Override
    public String toString() {
        return String.format("%05d %s", number, body());
    }
}
