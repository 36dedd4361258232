package org.protosw.inetd.internal;

import java.util.Locale;

/** The services inetd runs itself, with their well-known ports (RFC 862, 863, 864; HTTP 80). */
public enum ServiceKind {
    ECHO(7),
    DISCARD(9),
    CHARGEN(19),
    HTTP(80);

    private final int defaultPort;

    ServiceKind(int defaultPort) {
        this.defaultPort = defaultPort;
    }

    public int defaultPort() {
        return defaultPort;
    }

    public String label() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** The kind named {@code word}, or null. */
    public static ServiceKind parse(String word) {
        for (ServiceKind k : values()) {
            if (k.label().equals(word)) {
                return k;
            }
        }
        return null;
    }
}
