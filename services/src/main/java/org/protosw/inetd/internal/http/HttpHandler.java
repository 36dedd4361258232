package org.protosw.inetd.internal.http;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.FilterInputStream;
import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;

import org.protosw.inetd.internal.ServiceStats;
import org.protosw.inetd.internal.StreamHandler;
import org.protosw.socket.SockOpt;
import org.protosw.socket.Socket;
import org.protosw.socket.SocketException;

/** The HTTP server as a stream service: the socket's stream views, counted, given to a session. */
public final class HttpHandler implements StreamHandler {
    /** An idle keep-alive connection is closed after this long. */
    static final int IDLE_MS = 30_000;

    private final FileServer server;

    public HttpHandler(FileServer server) {
        this.server = server;
    }

    @Override
    public void serve(Socket so, ServiceStats st) throws IOException {
        so.setOption(SockOpt.SO_RCVTIMEO, IDLE_MS);
        InputStream in = new BufferedInputStream(new Counted(so.inputStream(), st), 16384);
        OutputStream out = new BufferedOutputStream(new CountedOut(so.outputStream(), st), 65536);
        new HttpSession(server).serve(in, out);
        out.flush();
    }

    private static final class Counted extends FilterInputStream {
        private final ServiceStats st;

        Counted(InputStream in, ServiceStats st) {
            super(in);
            this.st = st;
        }

        @Override
        public int read() throws IOException {
            int b = super.read();
            if (b >= 0) {
                st.bytesIn.increment();
            }
            return b;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            int n = in.read(b, off, len);
            if (n > 0) {
                st.bytesIn.add(n);
            }
            return n;
        }
    }

    private static final class CountedOut extends FilterOutputStream {
        private final ServiceStats st;

        CountedOut(OutputStream out, ServiceStats st) {
            super(out);
            this.st = st;
        }

        @Override
        public void write(int b) throws IOException {
            out.write(b);
            st.bytesOut.increment();
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            out.write(b, off, len);
            st.bytesOut.add(len);
        }
    }
}
