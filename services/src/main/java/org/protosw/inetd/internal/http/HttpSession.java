package org.protosw.inetd.internal.http;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;

/**
 * One HTTP/1.1 connection: requests one after the other (keep-alive), each answered in full
 * before the next is read. A request the server cannot read safely (bad head, a body of an
 * unknown transfer coding) gets its error response and the connection closes, since where
 * the next request starts is then unknown.
 */
public final class HttpSession {
    /** The largest request body read and thrown away to keep the connection open. */
    static final long MAX_DISCARD = 1 << 20;

    private final FileServer server;

    public HttpSession(FileServer server) {
        this.server = server;
    }

    /** Serves until the client closes, asks to close, or sends what ends the connection. */
    public void serve(InputStream in, OutputStream out) throws IOException {
        HttpParser parser = new HttpParser(in);
        while (true) {
            HttpRequest req;
            try {
                req = parser.read();
            } catch (HttpError e) {
                closing(server.error(e)).write(out, false);
                return;
            }
            if (req == null) {
                return;
            }
            boolean head = req.method().equals("HEAD");
            if (req.header("transfer-encoding") != null) {
                closing(server.error(new HttpError(501, "request bodies with Transfer-Encoding are not accepted"))).write(out, head);
                return;
            }
            long body;
            try {
                body = contentLength(req);
            } catch (HttpError e) {
                closing(server.error(e)).write(out, head);
                return;
            }
            HttpResponse r = server.respond(req);
            boolean keep = req.keepAlive() && body <= MAX_DISCARD && r.status() != 400;
            if (keep && body > 0) {
                // the body of a GET means nothing here, but the next request starts after it
                in.skipNBytes(body);
            }
            if (!keep) {
                closing(r);
            } else if (req.minorVersion() == 0) {
                r.header("Connection", "keep-alive");
            }
            r.write(out, head);
            if (!keep) {
                return;
            }
        }
    }

    private static HttpResponse closing(HttpResponse r) {
        return r.header("Connection", "close");
    }

    private static long contentLength(HttpRequest req) throws HttpError {
        String cl = req.header("content-length");
        if (cl == null) {
            return 0;
        }
        if (cl.isEmpty() || cl.length() > 18 || !cl.chars().allMatch(c -> c >= '0' && c <= '9')) {
            throw new HttpError(400, "bad Content-Length");
        }
        return Long.parseLong(cl);
    }
}
