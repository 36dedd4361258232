package org.protosw.inetd.internal.http;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A response: status, header fields and a body that is either a few bytes (error pages) or
 * a region of a file, streamed in chunks so a large file never sits in memory.
 */
public final class HttpResponse {
    private static final int CHUNK = 65536;

    private final int status;
    private final Map<String, String> headers = new LinkedHashMap<>();
    private byte[] bytes = new byte[0];
    private Path file;
    private long fileOffset;
    private long length;

    HttpResponse(int status) {
        this.status = status;
    }

    public int status() {
        return status;
    }

    public Map<String, String> headers() {
        return headers;
    }

    public String header(String name) {
        return headers.get(name);
    }

    HttpResponse header(String name, String value) {
        headers.put(name, value);
        return this;
    }

    HttpResponse text(String body) {
        this.bytes = body.getBytes(StandardCharsets.UTF_8);
        this.file = null;
        this.length = bytes.length;
        header("Content-Type", "text/plain; charset=utf-8");
        return this;
    }

    HttpResponse file(Path f, long offset, long len) {
        this.file = f;
        this.fileOffset = offset;
        this.length = len;
        return this;
    }

    /** Bytes of the body (what Content-Length says). */
    public long contentLength() {
        return length;
    }

    /** Writes the head, and the body unless {@code headOnly}; returns the bytes written. */
    public long write(OutputStream out, boolean headOnly) throws IOException {
        StringBuilder sb = new StringBuilder(256);
        sb.append("HTTP/1.1 ").append(status).append(' ').append(reason(status)).append("\r\n");
        for (Map.Entry<String, String> h : headers.entrySet()) {
            sb.append(h.getKey()).append(": ").append(h.getValue()).append("\r\n");
        }
        sb.append("\r\n");
        byte[] head = sb.toString().getBytes(StandardCharsets.ISO_8859_1);
        out.write(head);
        long written = head.length;
        if (!headOnly) {
            if (file == null) {
                out.write(bytes);
                written += bytes.length;
            } else {
                written += copy(out);
            }
        }
        out.flush();
        return written;
    }

    private long copy(OutputStream out) throws IOException {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            ByteBuffer buf = ByteBuffer.allocate((int) Math.min(CHUNK, Math.max(1, length)));
            long pos = fileOffset;
            long left = length;
            while (left > 0) {
                buf.clear();
                if (left < buf.capacity()) {
                    buf.limit((int) left);
                }
                int n = ch.read(buf, pos);
                if (n < 0) {
                    // the file shrank under us: the promised length cannot be kept, so the connection must end
                    throw new IOException(file + " shrank while being sent");
                }
                out.write(buf.array(), 0, n);
                pos += n;
                left -= n;
            }
            return length;
        }
    }

    static String reason(int status) {
        return switch (status) {
            case 200 -> "OK";
            case 206 -> "Partial Content";
            case 400 -> "Bad Request";
            case 403 -> "Forbidden";
            case 404 -> "Not Found";
            case 405 -> "Method Not Allowed";
            case 416 -> "Range Not Satisfiable";
            case 431 -> "Request Header Fields Too Large";
            case 500 -> "Internal Server Error";
            case 501 -> "Not Implemented";
            case 505 -> "HTTP Version Not Supported";
            default -> "Status " + status;
        };
    }
}
