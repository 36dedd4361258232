package org.protosw.wire;

/**
 * The verdict of a header view's {@code check()}: {@link #OK} or what is wrong. Statistics
 * counters map one to one onto these (FreeBSD's {@code ips_toosmall}, {@code ips_badvers}...).
 */
public enum WireStatus {
    /** Well formed: every accessor of the view is safe to call. */
    OK,
    /** The buffer is shorter than the header or than a length field says. */
    TRUNCATED,
    /** IPv4 version field is not 4. */
    BAD_VERSION,
    /** IPv4 header length below 20 bytes. */
    BAD_HLEN,
    /** IPv4 total length below the header length. */
    BAD_TOTAL_LENGTH,
    /** A checksum does not verify. */
    BAD_CHECKSUM,
    /** UDP length field below the UDP header size. */
    BAD_LENGTH,
    /** TCP data offset below 20 bytes. */
    BAD_DATA_OFFSET,
    /** An IPv4 or TCP option is malformed (bad length, runs past the header). */
    BAD_OPTION;

    public boolean ok() {
        return this == OK;
    }
}
