package org.protosw.wire;

/**
 * A view of an ICMP message (RFC 792) over {@code buf[off .. off+len)}, where {@code len} is
 * the whole message (header and data; the checksum covers both). The second word is read
 * according to the type: identifier and sequence number (echo), pointer (parameter
 * problem), next-hop MTU (fragmentation needed, RFC 1191), gateway (redirect).
 */
public final class IcmpHeader {
    public static final int MIN_LENGTH = 8;
    /** An error quotes an IPv4 header (at least 20 bytes) and 8 bytes of its data. */
    public static final int MIN_ERROR_LENGTH = MIN_LENGTH + Ipv4Header.MIN_LENGTH + 8;

    public static final int OFF_TYPE = 0;
    public static final int OFF_CODE = 1;
    public static final int OFF_CHECKSUM = 2;
    public static final int OFF_ID = 4;
    public static final int OFF_SEQ = 6;
    public static final int OFF_POINTER = 4;
    public static final int OFF_NEXTMTU = 6;

    // types (FreeBSD netinet/ip_icmp.h names)
    public static final int ECHOREPLY = 0;
    public static final int UNREACH = 3;
    public static final int SOURCEQUENCH = 4;
    public static final int REDIRECT = 5;
    public static final int ECHO = 8;
    public static final int ROUTERADVERT = 9;
    public static final int ROUTERSOLICIT = 10;
    public static final int TIMXCEED = 11;
    public static final int PARAMPROB = 12;
    public static final int TSTAMP = 13;
    public static final int TSTAMPREPLY = 14;
    public static final int IREQ = 15;
    public static final int IREQREPLY = 16;
    public static final int MASKREQ = 17;
    public static final int MASKREPLY = 18;
    public static final int MAXTYPE = 18;

    // UNREACH codes
    public static final int UNREACH_NET = 0;
    public static final int UNREACH_HOST = 1;
    public static final int UNREACH_PROTOCOL = 2;
    public static final int UNREACH_PORT = 3;
    public static final int UNREACH_NEEDFRAG = 4;
    public static final int UNREACH_SRCFAIL = 5;
    public static final int UNREACH_NET_UNKNOWN = 6;
    public static final int UNREACH_HOST_UNKNOWN = 7;
    public static final int UNREACH_ISOLATED = 8;
    public static final int UNREACH_NET_PROHIB = 9;
    public static final int UNREACH_HOST_PROHIB = 10;
    public static final int UNREACH_TOSNET = 11;
    public static final int UNREACH_TOSHOST = 12;
    public static final int UNREACH_FILTER_PROHIB = 13;
    public static final int UNREACH_HOST_PRECEDENCE = 14;
    public static final int UNREACH_PRECEDENCE_CUTOFF = 15;

    // REDIRECT codes
    public static final int REDIRECT_NET = 0;
    public static final int REDIRECT_HOST = 1;
    public static final int REDIRECT_TOSNET = 2;
    public static final int REDIRECT_TOSHOST = 3;

    // TIMXCEED codes
    public static final int TIMXCEED_INTRANS = 0;
    public static final int TIMXCEED_REASS = 1;

    // PARAMPROB codes
    public static final int PARAMPROB_ERRATPTR = 0;
    public static final int PARAMPROB_OPTABSENT = 1;
    public static final int PARAMPROB_LENGTH = 2;

    private byte[] buf;
    private int off;
    private int len;

    public IcmpHeader() {
    }

    public IcmpHeader(byte[] buf, int off, int len) {
        wrap(buf, off, len);
    }

    /** Points the view at a whole ICMP message; returns this. Does not validate. */
    public IcmpHeader wrap(byte[] buf, int off, int len) {
        if (off < 0 || len < 0 || off > buf.length - len) {
            throw new IndexOutOfBoundsException("off " + off + " len " + len + " in " + buf.length);
        }
        this.buf = buf;
        this.off = off;
        this.len = len;
        return this;
    }

    public int length() {
        return len;
    }

    /**
     * {@link WireStatus#TRUNCATED} below 8 bytes, or for an error message
     * ({@link #isError(int)}) too short to quote an IPv4 header and 8 bytes, or whose quoted
     * header claims a header length that does not fit; else OK. The checksum is separate.
     */
    public WireStatus check() {
        if (len < MIN_LENGTH) {
            return WireStatus.TRUNCATED;
        }
        if (isError(type())) {
            if (len < MIN_ERROR_LENGTH) {
                return WireStatus.TRUNCATED;
            }
            int vhl = buf[off + MIN_LENGTH] & 0xff;
            int ihl = (vhl & 0xf) << 2;
            if (vhl >>> 4 != 4) {
                return WireStatus.BAD_VERSION;
            }
            if (ihl < Ipv4Header.MIN_LENGTH) {
                return WireStatus.BAD_HLEN;
            }
            if (len < MIN_LENGTH + ihl + 8) {
                return WireStatus.TRUNCATED;
            }
        }
        return WireStatus.OK;
    }

    /** True when the checksum over the whole message verifies. */
    public boolean checksumValid() {
        return len >= MIN_LENGTH && Checksum.verify(buf, off, len);
    }

    /** Computes and stores the checksum over the whole message; returns this. */
    public IcmpHeader fillChecksum() {
        Ipv4Header.put16(buf, off + OFF_CHECKSUM, 0);
        Ipv4Header.put16(buf, off + OFF_CHECKSUM, Checksum.compute(buf, off, len));
        return this;
    }

    /** Errors quote the packet that caused them: unreachable, source quench, redirect, time exceeded, parameter problem. */
    public static boolean isError(int type) {
        return type == UNREACH || type == SOURCEQUENCH || type == REDIRECT || type == TIMXCEED || type == PARAMPROB;
    }

    /** Query and reply types ({@code ICMP_INFOTYPE}): icmp_error may answer these. */
    public static boolean isInfo(int type) {
        return type == ECHOREPLY || type == ECHO || type == ROUTERADVERT || type == ROUTERSOLICIT || type == TSTAMP
                || type == TSTAMPREPLY || type == IREQ || type == IREQREPLY || type == MASKREQ || type == MASKREPLY;
    }

    /** The highest valid code of a type, or -1 when the type defines none here. */
    public static int maxCode(int type) {
        return switch (type) {
            case ECHOREPLY, SOURCEQUENCH, ECHO, ROUTERSOLICIT, TSTAMP, TSTAMPREPLY, IREQ, IREQREPLY, MASKREQ, MASKREPLY -> 0;
            case UNREACH -> UNREACH_PRECEDENCE_CUTOFF;
            case REDIRECT -> REDIRECT_TOSHOST;
            case ROUTERADVERT -> 16;
            case TIMXCEED -> TIMXCEED_REASS;
            case PARAMPROB -> PARAMPROB_LENGTH;
            default -> -1;
        };
    }

    public int type() {
        return buf[off] & 0xff;
    }

    public int code() {
        return buf[off + OFF_CODE] & 0xff;
    }

    public int checksum() {
        return Ipv4Header.u16(buf, off + OFF_CHECKSUM);
    }

    /** Echo identifier. */
    public int id() {
        return Ipv4Header.u16(buf, off + OFF_ID);
    }

    /** Echo sequence number. */
    public int seq() {
        return Ipv4Header.u16(buf, off + OFF_SEQ);
    }

    /** Next-hop MTU of a "fragmentation needed" error (RFC 1191); 0 from old routers. */
    public int nextHopMtu() {
        return Ipv4Header.u16(buf, off + OFF_NEXTMTU);
    }

    /** Parameter problem pointer: the offending byte's offset in the quoted header. */
    public int pointer() {
        return buf[off + OFF_POINTER] & 0xff;
    }

    /** Redirect gateway address bits. */
    public int gateway() {
        return Ipv4Header.u32(buf, off + OFF_ID);
    }

    /** The second word whole (the "unused" word of most errors). */
    public int restOfHeader() {
        return Ipv4Header.u32(buf, off + OFF_ID);
    }

    /** Absolute offset of the data after the 8-byte header (the quoted packet of an error). */
    public int dataOffset() {
        return off + MIN_LENGTH;
    }

    public int dataLength() {
        return len - MIN_LENGTH;
    }

    public IcmpHeader setType(int type) {
        buf[off] = (byte) type;
        return this;
    }

    public IcmpHeader setCode(int code) {
        buf[off + OFF_CODE] = (byte) code;
        return this;
    }

    public IcmpHeader setChecksum(int sum) {
        Ipv4Header.put16(buf, off + OFF_CHECKSUM, sum);
        return this;
    }

    public IcmpHeader setId(int id) {
        Ipv4Header.put16(buf, off + OFF_ID, id);
        return this;
    }

    public IcmpHeader setSeq(int seq) {
        Ipv4Header.put16(buf, off + OFF_SEQ, seq);
        return this;
    }

    public IcmpHeader setNextHopMtu(int mtu) {
        Ipv4Header.put16(buf, off + OFF_NEXTMTU, mtu);
        return this;
    }

    public IcmpHeader setPointer(int ptr) {
        buf[off + OFF_POINTER] = (byte) ptr;
        return this;
    }

    public IcmpHeader setRestOfHeader(int word) {
        Ipv4Header.put32(buf, off + OFF_ID, word);
        return this;
    }

    /** The name FreeBSD's {@code netstat -s} gives a type ("echo reply", "destination unreachable"...). */
    public static String typeName(int type) {
        return switch (type) {
            case ECHOREPLY -> "echo reply";
            case UNREACH -> "destination unreachable";
            case SOURCEQUENCH -> "source quench";
            case REDIRECT -> "routing redirect";
            case ECHO -> "echo";
            case ROUTERADVERT -> "router advertisement";
            case ROUTERSOLICIT -> "router solicitation";
            case TIMXCEED -> "time exceeded";
            case PARAMPROB -> "parameter problem";
            case TSTAMP -> "time stamp";
            case TSTAMPREPLY -> "time stamp reply";
            case IREQ -> "information request";
            case IREQREPLY -> "information request reply";
            case MASKREQ -> "address mask request";
            case MASKREPLY -> "address mask reply";
            default -> "#" + type;
        };
    }

    @Override
    public String toString() {
        if (len < MIN_LENGTH) {
            return "IcmpHeader[TRUNCATED]";
        }
        return "IcmpHeader[" + typeName(type()) + " code " + code() + " len " + len + "]";
    }
}
