package org.protosw.ib.demo.internal.wire;

import java.util.zip.CRC32;

/**
 * The RoCEv2 invariant CRC (IBTA Vol. 1 Annex A17, "RoCEv2", A17.4.4; Linux computes it in
 * {@code rxe_icrc.c}): CRC-32 (the Ethernet polynomial, as {@link CRC32}) over 64 bits of
 * ones standing for the LRH that RoCE does not have, the IPv4 header with the fields routers
 * change masked to ones (TOS, TTL, header checksum), the UDP header with its checksum masked
 * to ones, the BTH with resv8a masked to ones, and everything after it up to the ICRC. The
 * result goes on the wire least significant byte first.
 *
 * <p>Static and allocation-free per packet: each thread keeps one {@link CRC32} and one
 * scratch header.
 */
public final class Icrc {
    private Icrc() {
    }

    private static final int IP_LEN = 20;
    private static final int UDP_LEN = 8;

    private static final ThreadLocal<Scratch> SCRATCH = ThreadLocal.withInitial(Scratch::new);

    private static final class Scratch {
        final CRC32 crc = new CRC32();
        final byte[] hdr = new byte[8 + IP_LEN + UDP_LEN + Bth.LENGTH];
    }

    /**
     * The ICRC of a RoCEv2 packet held as an IPv4 datagram at {@code buf[ip ..)}: a 20-byte
     * IPv4 header (no options: RoCEv2 sends none), the UDP header, then the IB packet of
     * {@code ibLen} bytes whose last four bytes are the ICRC (not covered).
     */
    public static int compute(byte[] buf, int ip, int ibLen) {
        Scratch s = SCRATCH.get();
        byte[] h = s.hdr;
        for (int i = 0; i < 8; i++) {
            h[i] = (byte) 0xff;
        }
        System.arraycopy(buf, ip, h, 8, IP_LEN + UDP_LEN + Bth.LENGTH);
        h[8 + 1] = (byte) 0xff; // TOS (DSCP, ECN)
        h[8 + 8] = (byte) 0xff; // TTL
        h[8 + 10] = (byte) 0xff; // header checksum
        h[8 + 11] = (byte) 0xff;
        h[8 + IP_LEN + 6] = (byte) 0xff; // UDP checksum
        h[8 + IP_LEN + 7] = (byte) 0xff;
        h[8 + IP_LEN + UDP_LEN + Bth.OFF_RESV8A] = (byte) 0xff;
        CRC32 crc = s.crc;
        crc.reset();
        crc.update(h, 0, h.length);
        int rest = ip + IP_LEN + UDP_LEN + Bth.LENGTH;
        crc.update(buf, rest, ibLen - Bth.LENGTH - RocePacket.ICRC_LENGTH);
        return (int) crc.getValue();
    }

    /** Computes the ICRC of the packet (see {@link #compute}) and stores it in its last four bytes. */
    public static void fill(byte[] buf, int ip, int ibLen) {
        int c = compute(buf, ip, ibLen);
        int at = ip + IP_LEN + UDP_LEN + ibLen - RocePacket.ICRC_LENGTH;
        buf[at] = (byte) c;
        buf[at + 1] = (byte) (c >>> 8);
        buf[at + 2] = (byte) (c >>> 16);
        buf[at + 3] = (byte) (c >>> 24);
    }

    /** Whether the packet's last four bytes hold its ICRC. */
    public static boolean verify(byte[] buf, int ip, int ibLen) {
        int at = ip + IP_LEN + UDP_LEN + ibLen - RocePacket.ICRC_LENGTH;
        int got = (buf[at] & 0xff) | (buf[at + 1] & 0xff) << 8 | (buf[at + 2] & 0xff) << 16 | (buf[at + 3] & 0xff) << 24;
        return got == compute(buf, ip, ibLen);
    }

    /**
     * Whether an IPv4 datagram at {@code buf[ip .. ip+len)} can carry an ICRC this class
     * computes: a 20-byte header, protocol UDP, and a UDP header plus at least a BTH and ICRC.
     */
    public static boolean applicable(byte[] buf, int ip, int len) {
        return len >= IP_LEN + UDP_LEN + RocePacket.MIN_LENGTH && (buf[ip] & 0xff) == 0x45 && (buf[ip + 9] & 0xff) == 17;
    }

    /** Offset of the IB packet from the start of its IPv4 header. */
    public static final int IB_OFFSET = IP_LEN + UDP_LEN;
}
