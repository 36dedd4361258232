package org.protosw.inetd.internal;

import java.io.IOException;
import java.nio.ByteBuffer;

import org.protosw.socket.Socket;
import org.protosw.socket.SocketConstants;
import org.protosw.socket.SocketException;

/** What a stream service does with one accepted connection, on that connection's own thread. */
@FunctionalInterface
public interface StreamHandler {
    void serve(Socket so, ServiceStats stats) throws IOException;

    /** RFC 862: every byte received goes back, until the client closes. */
    static void echo(Socket so, ServiceStats st) throws SocketException {
        ByteBuffer buf = ByteBuffer.allocate(16384);
        while (true) {
            buf.clear();
            int n = so.recv(buf);
            if (n == 0) {
                so.shutdown(SocketConstants.SHUT_WR);
                return;
            }
            st.bytesIn.add(n);
            buf.flip();
            while (buf.hasRemaining()) {
                st.bytesOut.add(so.send(buf));
            }
        }
    }

    /** RFC 863: everything received is thrown away, until the client closes. */
    static void discard(Socket so, ServiceStats st) throws SocketException {
        ByteBuffer buf = ByteBuffer.allocate(65536);
        while (true) {
            buf.clear();
            int n = so.recv(buf);
            if (n == 0) {
                return;
            }
            st.bytesIn.add(n);
        }
    }

    /**
     * RFC 864: the pattern flows until the client closes (the send then fails); what the
     * client sends is thrown away, as the RFC says, and here not even read.
     */
    static void chargen(Socket so, ServiceStats st) throws SocketException {
        ByteBuffer buf = ByteBuffer.allocate(Chargen.LINE_WITH_EOL * 885);
        Chargen gen = new Chargen();
        while (true) {
            buf.clear();
            gen.fill(buf);
            buf.flip();
            while (buf.hasRemaining()) {
                st.bytesOut.add(so.send(buf));
            }
        }
    }
}
