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
 * <p>Static, with one small {@link CRC32} per packet and the masked bytes fed as constants
 * (no copy of the headers). No per-thread scratch: a {@code ThreadLocal} value set on the
 * core's input and output threads outlives this bundle, and its class kept the bundle's
 * class loader reachable after an uninstall (found by IbUninstallIT).
 */
public final class Icrc {
    private Icrc() {
    }

    private static final int IP_LEN = 20;
    private static final int UDP_LEN = 8;

    /** The LRH stand-in and every masked field: ones. */
    private static final byte[] ONES = {-1, -1, -1, -1, -1, -1, -1, -1};

    /**
     * The ICRC of a RoCEv2 packet held as an IPv4 datagram at {@code buf[ip ..)}: a 20-byte
     * IPv4 header (no options: RoCEv2 sends none), the UDP header, then the IB packet of
     * {@code ibLen} bytes whose last four bytes are the ICRC (not covered).
     */
    public static int compute(byte[] buf, int ip, int ibLen) {
        CRC32 crc = new CRC32();
        crc.update(ONES, 0, 8); // the LRH RoCE lacks
        crc.update(buf[ip] & 0xff); // version, IHL
        crc.update(0xff); // TOS (DSCP, ECN)
        crc.update(buf, ip + 2, 6); // total length, identification, flags and fragment offset
        crc.update(0xff); // TTL
        crc.update(buf[ip + 9] & 0xff); // protocol
        crc.update(ONES, 0, 2); // header checksum
        crc.update(buf, ip + 12, 8); // addresses
        int udp = ip + IP_LEN;
        crc.update(buf, udp, 6); // ports, length
        crc.update(ONES, 0, 2); // UDP checksum
        int bth = udp + UDP_LEN;
        crc.update(buf, bth, Bth.OFF_RESV8A);
        crc.update(0xff); // resv8a
        int after = Bth.OFF_RESV8A + 1;
        crc.update(buf, bth + after, ibLen - after - RocePacket.ICRC_LENGTH);
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
