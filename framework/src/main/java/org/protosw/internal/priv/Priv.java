package org.protosw.internal.priv;

/**
 * The rights a bundle needs for what sees or changes other bundles' traffic, after FreeBSD's
 * {@code priv(9)} (PRIV_NETINET_RAW, PRIV_NETINET_DIVERT) and Linux's CAP_NET_RAW. Each is
 * granted to bundles by symbolic name in the configuration {@value PrivTable#PID}, under the
 * key {@link #key()}.
 */
public enum Priv {
    /** A raw socket (SOCK_RAW of any domain but divert's): it reads every packet of its protocol. */
    NETINET_RAW("raw", "a raw socket"),
    /** A divert socket (PF_DIVERT): it takes packets out of the path and puts them back. */
    NETINET_DIVERT("divert", "a divert socket"),
    /** A pfil hook: it sees, changes and drops every packet of a vnet. */
    NET_PFIL("pfil", "a pfil hook");

    private final String key;
    private final String what;

    Priv(String key, String what) {
        this.key = key;
        this.what = what;
    }

    /** The configuration key that lists the bundles holding this right. */
    public String key() {
        return key;
    }

    /** What the right lets a bundle open, for messages. */
    public String what() {
        return what;
    }
}
