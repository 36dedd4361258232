package org.protosw.inetd.internal.http;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.time.Clock;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.Locale;
import java.util.Map;

/**
 * Answers GET and HEAD with the files under a root folder: Content-Length always, one byte
 * range on request (206, or 416 outside the file), 404 for what is not a readable regular
 * file under the root, 405 for other methods, 400 for a target that does not decode or
 * tries to climb out of the root ("..", or a symbolic link that leads outside).
 * A folder is served by its {@code index.html}.
 */
public final class FileServer {
    private static final DateTimeFormatter HTTP_DATE = DateTimeFormatter.RFC_1123_DATE_TIME.withZone(ZoneOffset.UTC);
    private static final Map<String, String> TYPES = Map.ofEntries(
            Map.entry("html", "text/html; charset=utf-8"), Map.entry("htm", "text/html; charset=utf-8"),
            Map.entry("txt", "text/plain; charset=utf-8"), Map.entry("css", "text/css"),
            Map.entry("js", "text/javascript"), Map.entry("json", "application/json"),
            Map.entry("png", "image/png"), Map.entry("jpg", "image/jpeg"), Map.entry("jpeg", "image/jpeg"),
            Map.entry("gif", "image/gif"), Map.entry("svg", "image/svg+xml"), Map.entry("pdf", "application/pdf"),
            Map.entry("pcap", "application/vnd.tcpdump.pcap"));

    private final Path root;
    private final Path realRoot;
    private final Clock clock;

    /** {@code root} must be an existing folder. */
    public FileServer(Path root, Clock clock) throws IOException {
        if (!Files.isDirectory(root)) {
            throw new IOException(root + " is not a folder");
        }
        this.root = root.toAbsolutePath().normalize();
        this.realRoot = root.toRealPath();
        this.clock = clock;
    }

    public Path root() {
        return root;
    }

    /** The response to a well-formed request head. */
    public HttpResponse respond(HttpRequest req) {
        if (!req.method().equals("GET") && !req.method().equals("HEAD")) {
            boolean known = switch (req.method()) {
                case "POST", "PUT", "DELETE", "CONNECT", "OPTIONS", "TRACE", "PATCH" -> true;
                default -> false;
            };
            HttpResponse r = plain(known ? 405 : 501, req.method() + " is not served here (GET and HEAD are)\n");
            return r.header("Allow", "GET, HEAD");
        }
        if (req.minorVersion() >= 1 && req.header("host") == null) {
            return plain(400, "HTTP/1.1 request without Host\n");
        }
        Path file;
        try {
            file = resolve(req.target());
        } catch (HttpError e) {
            return error(e);
        }
        if (file == null) {
            return plain(404, "not found: " + req.target() + "\n");
        }
        long size;
        String modified;
        try {
            size = Files.size(file);
            modified = HTTP_DATE.format(Files.getLastModifiedTime(file).toInstant());
        } catch (IOException e) {
            return plain(404, "not found: " + req.target() + "\n");
        }
        HttpResponse r;
        switch (ByteRange.select(req.header("range"), size)) {
            case ByteRange.Part(ByteRange range) -> {
                r = base(206).file(file, range.first(), range.length());
                r.header("Content-Range", "bytes " + range.first() + "-" + range.last() + "/" + size);
                r.header("Content-Length", Long.toString(range.length()));
            }
            case ByteRange.Unsatisfiable u -> {
                r = plain(416, "range not satisfiable: the file has " + size + " bytes\n");
                r.header("Content-Range", "bytes */" + size);
                return r;
            }
            case ByteRange.Whole w -> {
                r = base(200).file(file, 0, size);
                r.header("Content-Length", Long.toString(size));
            }
        }
        r.header("Content-Type", type(file));
        r.header("Last-Modified", modified);
        r.header("Accept-Ranges", "bytes");
        return r;
    }

    /** The response to a request that could not be parsed. */
    public HttpResponse error(HttpError e) {
        return plain(e.status(), e.getMessage() + "\n");
    }

    private HttpResponse base(int status) {
        return new HttpResponse(status).header("Date", HTTP_DATE.format(clock.instant())).header("Server", "protosw-inetd");
    }

    private HttpResponse plain(int status, String body) {
        HttpResponse r = base(status).text(body);
        r.header("Content-Length", Long.toString(r.contentLength()));
        return r;
    }

    /** The regular file the target names, or null when there is none. */
    Path resolve(String target) throws HttpError {
        String path = target;
        if (path.regionMatches(true, 0, "http://", 0, 7)) {
            // absolute form (RFC 9112 section 3.2.2): the path starts after the authority
            int slash = path.indexOf('/', 7);
            path = slash < 0 ? "/" : path.substring(slash);
        }
        if (!path.startsWith("/")) {
            throw new HttpError(400, "request target must start with /");
        }
        int q = path.indexOf('?');
        if (q >= 0) {
            path = path.substring(0, q);
        }
        String decoded = decode(path);
        if (decoded.indexOf('\0') >= 0 || decoded.indexOf('\\') >= 0) {
            throw new HttpError(400, "request target holds a NUL or a backslash");
        }
        StringBuilder rel = new StringBuilder();
        for (String seg : decoded.split("/")) {
            if (seg.isEmpty() || seg.equals(".")) {
                continue;
            }
            if (seg.equals("..")) {
                throw new HttpError(400, "request target climbs out of the root ('..')");
            }
            rel.append(rel.isEmpty() ? "" : "/").append(seg);
        }
        Path p;
        try {
            p = root.resolve(rel.toString()).normalize();
        } catch (InvalidPathException e) {
            throw new HttpError(400, "request target is not a path");
        }
        if (!p.startsWith(root)) {
            throw new HttpError(400, "request target climbs out of the root");
        }
        if (Files.isDirectory(p)) {
            p = p.resolve("index.html");
        }
        if (!Files.isRegularFile(p) || !Files.isReadable(p)) {
            return null;
        }
        try {
            // a symbolic link may lead out of the root: what is served must really be inside it
            if (!p.toRealPath().startsWith(realRoot)) {
                return null;
            }
        } catch (IOException e) {
            return null;
        }
        return p;
    }

    /** Percent-decoding (RFC 3986 section 2.1) to UTF-8; a bad escape or bad UTF-8 is a 400. */
    static String decode(String s) throws HttpError {
        if (s.indexOf('%') < 0) {
            return s;
        }
        ByteArrayOutputStream b = new ByteArrayOutputStream(s.length());
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '%') {
                if (i + 2 >= s.length() || Character.digit(s.charAt(i + 1), 16) < 0 || Character.digit(s.charAt(i + 2), 16) < 0) {
                    throw new HttpError(400, "bad percent escape in the request target");
                }
                b.write(Character.digit(s.charAt(i + 1), 16) << 4 | Character.digit(s.charAt(i + 2), 16));
                i += 2;
            } else {
                b.write(c);
            }
        }
        try {
            return StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(java.nio.ByteBuffer.wrap(b.toByteArray())).toString();
        } catch (CharacterCodingException e) {
            throw new HttpError(400, "request target is not UTF-8");
        }
    }

    private static String type(Path file) {
        String n = file.getFileName().toString();
        int dot = n.lastIndexOf('.');
        String ext = dot < 0 ? "" : n.substring(dot + 1).toLowerCase(Locale.ROOT);
        return TYPES.getOrDefault(ext, "application/octet-stream");
    }
}
