package org.protosw.inetd.internal.http;

import java.util.Locale;
import java.util.Map;

/**
 * A parsed request head. Header names are lower case; a header sent more than once has its
 * values joined with ", " (RFC 9110 section 5.3).
 *
 * @param minorVersion 0 for HTTP/1.0, 1 for HTTP/1.1
 */
public record HttpRequest(String method, String target, int minorVersion, Map<String, String> headers) {
    public HttpRequest {
        headers = Map.copyOf(headers);
    }

    /** The header's value, or null. */
    public String header(String name) {
        return headers.get(name.toLowerCase(Locale.ROOT));
    }

    /**
     * Whether the connection stays open after the response (RFC 9112 section 9.3): HTTP/1.1
     * unless "close" is asked, HTTP/1.0 only when "keep-alive" is.
     */
    public boolean keepAlive() {
        String c = header("connection");
        boolean close = hasToken(c, "close");
        if (minorVersion >= 1) {
            return !close;
        }
        return !close && hasToken(c, "keep-alive");
    }

    private static boolean hasToken(String list, String token) {
        if (list == null) {
            return false;
        }
        for (String t : list.split(",")) {
            if (t.strip().equalsIgnoreCase(token)) {
                return true;
            }
        }
        return false;
    }
}
