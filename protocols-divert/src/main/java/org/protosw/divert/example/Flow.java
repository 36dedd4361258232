package org.protosw.divert.example;

import org.protosw.socket.InAddr;

/**
 * A flow as a packet processor sees it: protocol and both ends (ports are 0 for protocols
 * without ports and for fragments after the first).
 */
public record Flow(int protocol, InAddr src, int srcPort, InAddr dst, int dstPort) {
    @Override
    public String toString() {
        String p = switch (protocol) {
            case 1 -> "icmp";
            case 6 -> "tcp";
            case 17 -> "udp";
            default -> "proto " + protocol;
        };
        if (protocol == 6 || protocol == 17) {
            return p + " " + src + ":" + srcPort + " -> " + dst + ":" + dstPort;
        }
        return p + " " + src + " -> " + dst;
    }
}
