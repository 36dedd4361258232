package org.protosw.inetd.internal.http;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The HTTP server's exchanges, bytes in and bytes out, with no socket in between. */
class HttpSessionTest {
    @TempDir
    Path dir;
    private Path root;
    private byte[] data;
    private HttpSession session;

    @BeforeEach
    void setUp() throws IOException {
        root = Files.createDirectory(dir.resolve("www"));
        data = new byte[100_000];
        new Random(7).nextBytes(data);
        Files.write(root.resolve("blob.bin"), data);
        Files.writeString(root.resolve("index.html"), "<h1>hi</h1>\n");
        Files.createDirectory(root.resolve("sub"));
        Files.writeString(root.resolve("sub/a b.txt"), "spaced\n");
        Files.writeString(dir.resolve("secret.txt"), "outside the root\n");
        Clock clock = Clock.fixed(Instant.parse("2026-11-27T10:00:00Z"), ZoneOffset.UTC);
        session = new HttpSession(new FileServer(root, clock));
    }

    /** A parsed response: status line, headers, body. */
    record Resp(int status, Map<String, String> headers, byte[] body) {
        String header(String n) {
            return headers.get(n.toLowerCase());
        }
    }

    /** Feeds {@code requests} and parses every response the session wrote, HEAD ones without body. */
    private List<Resp> exchange(String requests, boolean... headOnly) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        session.serve(new ByteArrayInputStream(requests.getBytes(StandardCharsets.ISO_8859_1)), out);
        byte[] b = out.toByteArray();
        List<Resp> list = new ArrayList<>();
        int pos = 0;
        int i = 0;
        while (pos < b.length) {
            int end = indexOf(b, pos);
            assertThat(end).as("a complete head").isGreaterThan(0);
            String[] lines = new String(b, pos, end - pos, StandardCharsets.ISO_8859_1).split("\r\n");
            assertThat(lines[0]).startsWith("HTTP/1.1 ");
            int status = Integer.parseInt(lines[0].substring(9, 12));
            Map<String, String> h = new LinkedHashMap<>();
            for (int k = 1; k < lines.length; k++) {
                int c = lines[k].indexOf(": ");
                h.put(lines[k].substring(0, c).toLowerCase(), lines[k].substring(c + 2));
            }
            pos = end + 4;
            int len = Integer.parseInt(h.get("content-length"));
            boolean head = i < headOnly.length && headOnly[i];
            int bodyLen = head ? 0 : len;
            list.add(new Resp(status, h, Arrays.copyOfRange(b, pos, pos + bodyLen)));
            pos += bodyLen;
            i++;
        }
        return list;
    }

    private static int indexOf(byte[] b, int from) {
        for (int i = from; i + 3 < b.length; i++) {
            if (b[i] == '\r' && b[i + 1] == '\n' && b[i + 2] == '\r' && b[i + 3] == '\n') {
                return i;
            }
        }
        return -1;
    }

    private static String get(String target, String... headers) {
        return "GET " + target + " HTTP/1.1\r\nHost: x\r\n" + String.join("", Arrays.stream(headers).map(h -> h + "\r\n").toList()) + "\r\n";
    }

    @Test
    void getServesTheWholeFileWithItsLengthAndKeepsTheConnection() throws IOException {
        List<Resp> r = exchange(get("/blob.bin") + get("/"));
        assertThat(r).hasSize(2);
        assertThat(r.get(0).status()).isEqualTo(200);
        assertThat(r.get(0).body()).isEqualTo(data);
        assertThat(r.get(0).header("Content-Length")).isEqualTo("100000");
        assertThat(r.get(0).header("Content-Type")).isEqualTo("application/octet-stream");
        assertThat(r.get(0).header("Accept-Ranges")).isEqualTo("bytes");
        assertThat(r.get(0).header("Date")).isEqualTo("Fri, 27 Nov 2026 10:00:00 GMT");
        assertThat(r.get(0).header("Connection")).isNull();
        assertThat(new String(r.get(1).body(), StandardCharsets.UTF_8)).isEqualTo("<h1>hi</h1>\n");
        assertThat(r.get(1).header("Content-Type")).startsWith("text/html");
    }

    @Test
    void headSendsTheHeadersOfGetAndNoBody() throws IOException {
        List<Resp> r = exchange("HEAD /blob.bin HTTP/1.1\r\nHost: x\r\n\r\n" + get("/index.html"), true);
        assertThat(r.get(0).status()).isEqualTo(200);
        assertThat(r.get(0).header("Content-Length")).isEqualTo("100000");
        assertThat(r.get(0).body()).isEmpty();
        // the next response follows right after the head: no body bytes were sent for HEAD
        assertThat(r.get(1).status()).isEqualTo(200);
        assertThat(r.get(1).body()).hasSize(12);
    }

    @Test
    void aSingleRangeGetsPartialContent() throws IOException {
        List<Resp> r = exchange(get("/blob.bin", "Range: bytes=10-19") + get("/blob.bin", "Range: bytes=99990-")
                + get("/blob.bin", "Range: bytes=-5") + get("/blob.bin", "Range: bytes=99995-200000"));
        assertThat(r).extracting(Resp::status).containsExactly(206, 206, 206, 206);
        assertThat(r.get(0).body()).isEqualTo(Arrays.copyOfRange(data, 10, 20));
        assertThat(r.get(0).header("Content-Range")).isEqualTo("bytes 10-19/100000");
        assertThat(r.get(1).body()).isEqualTo(Arrays.copyOfRange(data, 99990, 100000));
        assertThat(r.get(2).body()).isEqualTo(Arrays.copyOfRange(data, 99995, 100000));
        assertThat(r.get(2).header("Content-Range")).isEqualTo("bytes 99995-99999/100000");
        assertThat(r.get(3).header("Content-Range")).isEqualTo("bytes 99995-99999/100000");
    }

    @Test
    void anUnsatisfiableRangeIs416AndOddRangesAreIgnored() throws IOException {
        List<Resp> r = exchange(get("/blob.bin", "Range: bytes=100000-") + get("/blob.bin", "Range: bytes=0-1,5-9")
                + get("/blob.bin", "Range: lines=1-2") + get("/blob.bin", "Range: bytes=9-3") + get("/blob.bin", "Range: bytes=-0"));
        assertThat(r).extracting(Resp::status).containsExactly(416, 200, 200, 200, 416);
        assertThat(r.get(0).header("Content-Range")).isEqualTo("bytes */100000");
        assertThat(r.get(1).body()).isEqualTo(data);
    }

    @Test
    void missingFilesAre404AndOtherMethods405Or501() throws IOException {
        List<Resp> r = exchange(get("/nope") + get("/sub/") + "POST /blob.bin HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabc"
                + "BREW /pot HTTP/1.1\r\nHost: x\r\n\r\n" + get("/sub/a%20b.txt"));
        assertThat(r).extracting(Resp::status).containsExactly(404, 404, 405, 501, 200);
        assertThat(r.get(2).header("Allow")).isEqualTo("GET, HEAD");
        assertThat(new String(r.get(4).body(), StandardCharsets.UTF_8)).isEqualTo("spaced\n");
    }

    @Test
    void pathTraversalIsRefused() throws IOException {
        assertThat(exchange(get("/../secret.txt"))).singleElement().satisfies(x -> {
            assertThat(x.status()).isEqualTo(400);
            assertThat(x.header("Connection")).isEqualTo("close");
        });
        assertThat(exchange(get("/sub/%2e%2e/%2E%2E/secret.txt")).get(0).status()).isEqualTo(400);
        assertThat(exchange(get("/sub/..%2f..%2fsecret.txt")).get(0).status()).isEqualTo(400);
        assertThat(exchange(get("/%00")).get(0).status()).isEqualTo(400);
        assertThat(exchange(get("/%zz")).get(0).status()).isEqualTo(400);
    }

    @Test
    void aSymbolicLinkOutOfTheRootIsNotServed() throws IOException {
        Files.createSymbolicLink(root.resolve("link.txt"), dir.resolve("secret.txt"));
        assertThat(exchange(get("/link.txt")).get(0).status()).isEqualTo(404);
    }

    @Test
    void badRequestsAre400AndCloseTheConnection() throws IOException {
        assertThat(exchange("GET /\r\n\r\n" + get("/"))).singleElement().extracting(Resp::status).isEqualTo(400);
        assertThat(exchange("GET / HTTP/1.1\r\n\r\n" + get("/"))).singleElement().extracting(Resp::status).isEqualTo(400);
        assertThat(exchange("GET / HTTP/1.1\r\nHost: x\r\n Folded: yes\r\n\r\n")).singleElement().extracting(Resp::status).isEqualTo(400);
        assertThat(exchange("GET / HTTP/1.1\r\nHost : x\r\n\r\n")).singleElement().extracting(Resp::status).isEqualTo(400);
        assertThat(exchange("GET / HTTP/2.0\r\n\r\n")).singleElement().extracting(Resp::status).isEqualTo(505);
        assertThat(exchange("GET / HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\n\r\n")).singleElement().extracting(Resp::status).isEqualTo(400);
        assertThat(exchange("GET / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n"))
                .singleElement().extracting(Resp::status).isEqualTo(501);
        assertThat(exchange("GET /" + "a".repeat(HttpParser.MAX_LINE) + " HTTP/1.1\r\n\r\n")).singleElement().extracting(Resp::status).isEqualTo(431);
        // the head ends before its empty line: the client went away, a 400 is still written
        assertThat(exchange("GET / HTTP/1.1\r\nHost: x\r\n")).singleElement().extracting(Resp::status).isEqualTo(400);
    }

    @Test
    void connectionCloseAndHttp10EndTheConnection() throws IOException {
        List<Resp> r = exchange(get("/", "Connection: close") + get("/"));
        assertThat(r).singleElement().satisfies(x -> assertThat(x.header("Connection")).isEqualTo("close"));
        assertThat(exchange("GET / HTTP/1.0\r\n\r\n" + get("/"))).hasSize(1);
        List<Resp> kept = exchange("GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n" + get("/"));
        assertThat(kept).hasSize(2);
        assertThat(kept.get(0).header("Connection")).isEqualTo("keep-alive");
    }

    @Test
    void absoluteFormAndQueriesResolveToTheFile() throws IOException {
        List<Resp> r = exchange(get("http://x/index.html?v=1") + get("/./sub/../index.html".replace("/../", "/")));
        assertThat(r.get(0).status()).isEqualTo(200);
        assertThat(r.get(0).body()).hasSize(12);
        assertThat(r.get(1).status()).isEqualTo(404);
    }

    @Test
    void anEmptyConnectionWritesNothing() throws IOException {
        assertThat(exchange("")).isEmpty();
    }
}
