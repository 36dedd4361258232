package org.protosw.inetd.internal.http;

/**
 * One byte range of a representation (RFC 9110 section 14), first and last byte inclusive.
 * Only a single range is served; a request for several gets the whole representation, which
 * the RFC allows (a server may ignore Range).
 */
public record ByteRange(long first, long last) {
    /** What a Range header asks of a representation of {@code size} bytes. */
    public sealed interface Outcome {
    }

    /** No usable Range: send everything with 200. */
    public record Whole() implements Outcome {
    }

    /** Send this part with 206. */
    public record Part(ByteRange range) implements Outcome {
    }

    /** The range lies outside the representation: 416. */
    public record Unsatisfiable() implements Outcome {
    }

    public long length() {
        return last - first + 1;
    }

    /**
     * Parses {@code bytes=A-B}, {@code bytes=A-} and {@code bytes=-N}. A header that does not
     * parse, another unit, or several ranges are ignored (whole representation), as section
     * 14.2 lets a server do.
     */
    public static Outcome select(String header, long size) {
        if (header == null) {
            return new Whole();
        }
        String h = header.strip();
        int eq = h.indexOf('=');
        if (eq < 0 || !h.substring(0, eq).strip().equalsIgnoreCase("bytes")) {
            return new Whole();
        }
        String spec = h.substring(eq + 1).strip();
        if (spec.contains(",")) {
            return new Whole();
        }
        int dash = spec.indexOf('-');
        if (dash < 0) {
            return new Whole();
        }
        String a = spec.substring(0, dash).strip();
        String b = spec.substring(dash + 1).strip();
        try {
            if (a.isEmpty()) {
                // suffix: the last N bytes
                if (b.isEmpty() || !digits(b)) {
                    return new Whole();
                }
                long n = Long.parseLong(b);
                if (n == 0 || size == 0) {
                    return new Unsatisfiable();
                }
                return new Part(new ByteRange(Math.max(0, size - n), size - 1));
            }
            if (!digits(a) || (!b.isEmpty() && !digits(b))) {
                return new Whole();
            }
            long first = Long.parseLong(a);
            if (!b.isEmpty() && Long.parseLong(b) < first) {
                // invalid (last before first): ignored, as an unparsable Range is
                return new Whole();
            }
            long last = b.isEmpty() ? size - 1 : Long.parseLong(b);
            if (first >= size) {
                return new Unsatisfiable();
            }
            return new Part(new ByteRange(first, Math.min(last, size - 1)));
        } catch (NumberFormatException e) {
            // more digits than a long holds: not a range anyone can serve
            return new Whole();
        }
    }

    private static boolean digits(String s) {
        for (int i = 0; i < s.length(); i++) {
            if (s.charAt(i) < '0' || s.charAt(i) > '9') {
                return false;
            }
        }
        return !s.isEmpty();
    }
}
