package org.protosw.socket;

/**
 * The numbers of the socket API, named as in BSD's {@code sys/socket.h} and
 * {@code netinet/in.h}. Use them with {@code import static}.
 */
public final class SocketConstants {
    private SocketConstants() {
    }

    // address and protocol families (FreeBSD values)
    public static final int AF_UNSPEC = 0;
    public static final int AF_INET = 2;
    /** InfiniBand native addressing (Linux's value; FreeBSD has none). @since 1.1 */
    public static final int AF_IB = 27;
    /** FreeBSD 14's divert domain. */
    public static final int AF_DIVERT = 44;
    public static final int PF_INET = AF_INET;
    public static final int PF_DIVERT = AF_DIVERT;
    /** @since 1.1 */
    public static final int PF_IB = AF_IB;

    // socket types
    public static final int SOCK_STREAM = 1;
    public static final int SOCK_DGRAM = 2;
    public static final int SOCK_RAW = 3;
    public static final int SOCK_SEQPACKET = 5;

    // IP protocol numbers (IANA)
    public static final int IPPROTO_IP = 0;
    public static final int IPPROTO_ICMP = 1;
    public static final int IPPROTO_TCP = 6;
    public static final int IPPROTO_UDP = 17;
    public static final int IPPROTO_RAW = 255;
    /** FreeBSD's pseudo protocol number of divert sockets. */
    public static final int IPPROTO_DIVERT = 258;

    // option levels
    public static final int SOL_SOCKET = 0xffff;

    // send/recv flags
    public static final int MSG_OOB = 0x1;
    public static final int MSG_PEEK = 0x2;
    public static final int MSG_DONTROUTE = 0x4;
    /**
     * On send: this send ends a record (SOCK_SEQPACKET). On receive, in
     * {@link RecvInfo#flags()}: the data received end a record; a SOCK_SEQPACKET receive
     * without it got the first part of a record whose rest is still to come.
     */
    public static final int MSG_EOR = 0x8;
    /**
     * Set in {@link RecvInfo#flags()} when a datagram or record was longer than the buffer:
     * the excess was discarded (POSIX {@code recvmsg}).
     */
    public static final int MSG_TRUNC = 0x10;
    public static final int MSG_WAITALL = 0x40;
    public static final int MSG_DONTWAIT = 0x80;

    // shutdown(2)
    public static final int SHUT_RD = 0;
    public static final int SHUT_WR = 1;
    public static final int SHUT_RDWR = 2;

    /** Port numbers are 16 bits. */
    public static final int PORT_MAX = 0xffff;

    /** Human name of a socket type, for messages and tables. */
    public static String typeName(int type) {
        return switch (type) {
            case SOCK_STREAM -> "stream";
            case SOCK_DGRAM -> "dgram";
            case SOCK_RAW -> "raw";
            case SOCK_SEQPACKET -> "seqpacket";
            default -> "type" + type;
        };
    }

    /** Human name of a domain, for messages and tables. */
    public static String domainName(int domain) {
        return switch (domain) {
            case AF_INET -> "inet";
            case AF_DIVERT -> "divert";
            case AF_IB -> "ib";
            case AF_UNSPEC -> "unspec";
            default -> "af" + domain;
        };
    }
}
