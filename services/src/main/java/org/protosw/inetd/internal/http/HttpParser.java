package org.protosw.inetd.internal.http;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * Reads a request head (RFC 9112 section 2 and 3) from a stream, with bounds: a line is at
 * most {@value #MAX_LINE} bytes and a head at most {@value #MAX_HEADERS} fields. A bare LF
 * ends a line as CR LF does (section 2.2 allows it); a field line that starts with white
 * space (obsolete folding) or a name with white space before the colon is refused, as the
 * RFC requires of servers.
 */
public final class HttpParser {
    public static final int MAX_LINE = 8192;
    public static final int MAX_HEADERS = 100;

    private final InputStream in;
    private final byte[] line = new byte[MAX_LINE];

    public HttpParser(InputStream in) {
        this.in = in;
    }

    /** The next request, or null when the stream ends before its first byte. */
    public HttpRequest read() throws IOException, HttpError {
        String start = readLine(true);
        // a server ignores at least one empty line before the request line (section 2.2)
        for (int i = 0; start != null && start.isEmpty() && i < 4; i++) {
            start = readLine(true);
        }
        if (start == null) {
            return null;
        }
        String[] parts = start.split(" ", -1);
        if (parts.length != 3 || parts[0].isEmpty() || parts[1].isEmpty()) {
            throw new HttpError(400, "malformed request line");
        }
        String method = parts[0];
        if (!isToken(method)) {
            throw new HttpError(400, "malformed method");
        }
        int minor = switch (parts[2]) {
            case "HTTP/1.1" -> 1;
            case "HTTP/1.0" -> 0;
            default -> {
                if (parts[2].matches("HTTP/[0-9]\\.[0-9]")) {
                    throw new HttpError(505, "HTTP version " + parts[2].substring(5) + " not supported");
                }
                throw new HttpError(400, "malformed HTTP version");
            }
        };
        Map<String, String> headers = new LinkedHashMap<>();
        for (int n = 0;; n++) {
            String field = readLine(false);
            if (field.isEmpty()) {
                break;
            }
            if (n == MAX_HEADERS) {
                throw new HttpError(431, "more than " + MAX_HEADERS + " header fields");
            }
            int colon = field.indexOf(':');
            if (colon <= 0 || field.charAt(0) == ' ' || field.charAt(0) == '\t') {
                throw new HttpError(400, "malformed header field");
            }
            String name = field.substring(0, colon);
            if (!isToken(name)) {
                throw new HttpError(400, "malformed header field name");
            }
            String value = field.substring(colon + 1).strip();
            headers.merge(name.toLowerCase(Locale.ROOT), value, (a, b) -> a + ", " + b);
        }
        return new HttpRequest(method, parts[1], minor, headers);
    }

    /** One line without its end; null at end of stream before any byte when {@code eofOk}. */
    private String readLine(boolean eofOk) throws IOException, HttpError {
        int n = 0;
        while (true) {
            int b = in.read();
            if (b < 0) {
                if (n == 0 && eofOk) {
                    return null;
                }
                throw new HttpError(400, "request ended in the middle of its head");
            }
            if (b == '\n') {
                if (n > 0 && line[n - 1] == '\r') {
                    n--;
                }
                return new String(line, 0, n, StandardCharsets.ISO_8859_1);
            }
            if (n == MAX_LINE) {
                throw new HttpError(431, "a line of the request head is longer than " + MAX_LINE + " bytes");
            }
            line[n++] = (byte) b;
        }
    }

    private static boolean isToken(String s) {
        if (s.isEmpty()) {
            return false;
        }
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            boolean ok = c > 32 && c < 127 && "()<>@,;:\\\"/[]?={}".indexOf(c) < 0;
            if (!ok) {
                return false;
            }
        }
        return true;
    }
}
