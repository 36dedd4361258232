package org.protosw.spi;

/**
 * An ICMP error about a packet this host sent, handed to {@link Protocol#ctlinput}.
 *
 * @param type ICMP type (3 unreachable, 11 time exceeded, 12 parameter problem)
 * @param code ICMP code
 * @param nextMtu the next-hop MTU of a "fragmentation needed" error, else 0
 * @param inner the offending packet as quoted: its IPv4 header and at least 8 more bytes
 */
public record IcmpError(int type, int code, int nextMtu, Packet inner) {
    public static final int UNREACH = 3;
    public static final int TIMXCEED = 11;
    public static final int PARAMPROB = 12;

    public static final int UNREACH_NET = 0;
    public static final int UNREACH_HOST = 1;
    public static final int UNREACH_PROTOCOL = 2;
    public static final int UNREACH_PORT = 3;
    public static final int UNREACH_NEEDFRAG = 4;
}
