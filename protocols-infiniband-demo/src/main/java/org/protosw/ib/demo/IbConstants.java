package org.protosw.ib.demo;

/**
 * The numbers of the InfiniBand domain, as Linux's {@code AF_IB} (27) and its
 * {@code sockaddr_ib}: a socket is opened with {@code socket(AF_IB, SOCK_SEQPACKET, 0)} for
 * reliable messages on an RC queue pair, or {@code socket(AF_IB, SOCK_STREAM, 0)} for an
 * SDP-like byte stream over one.
 */
public final class IbConstants {
    private IbConstants() {
    }

    /** Linux's address family number of InfiniBand. */
    public static final int AF_IB = 27;
    public static final int PF_IB = AF_IB;

    /** Reliable messages on a reliable-connected queue pair (SOCK_SEQPACKET). */
    public static final int IBPROTO_RC = 1;
    /** The SDP-like byte stream over an RC queue pair (SOCK_STREAM). */
    public static final int IBPROTO_SDP = 2;

    /** The UDP port RoCEv2 runs on. */
    public static final int ROCE_V2_PORT = 4791;
}
