package org.protosw.internal.socket;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.channels.ByteChannel;
import java.nio.channels.ClosedChannelException;
import java.util.Objects;

import org.protosw.internal.sw.ProtoDescriptor;
import org.protosw.socket.Errno;
import org.protosw.socket.SocketException;

/**
 * The stream and channel views of a socket. The streams always block (as their contract
 * asks), whatever the socket's mode; the channel follows the socket's mode and answers 0
 * where a non-blocking call would fail with EAGAIN. Errors surface as the socket's
 * {@link SocketException} (an {@link IOException}); closing a view closes the socket.
 */
final class SocketStreams {
    final InputStream in;
    final OutputStream out;
    final ByteChannel channel;

    SocketStreams(SocketImpl s) {
        this.in = new In(s);
        this.out = new Out(s);
        this.channel = new Channel(s);
    }

    /** recv returned 0 with room in the buffer: the end of the stream (or of a shut-down datagram socket). */
    private static boolean atEof(SocketImpl s) {
        return !s.so.has(ProtoDescriptor.PR_ATOMIC) || s.so.rcv.cantMore();
    }

    private static final class In extends InputStream {
        private final SocketImpl s;
        private final byte[] one = new byte[1];

        In(SocketImpl s) {
            this.s = s;
        }

        @Override
        public int read() throws IOException {
            int n = read(one, 0, 1);
            return n < 0 ? -1 : one[0] & 0xff;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            Objects.checkFromIndexSize(off, len, b.length);
            if (len == 0) {
                return 0;
            }
            ByteBuffer bb = ByteBuffer.wrap(b, off, len);
            for (;;) {
                int n = SoReceive.soreceive(s, bb, 0, null, true);
                if (n > 0) {
                    return n;
                }
                if (atEof(s)) {
                    return -1;
                }
                // an empty datagram: nothing to hand out, wait for the next one
            }
        }

        @Override
        public int available() {
            return s.isClosed() ? 0 : s.so.rcv.cc();
        }

        @Override
        public void close() {
            s.close();
        }
    }

    private static final class Out extends OutputStream {
        private final SocketImpl s;
        private final byte[] one = new byte[1];

        Out(SocketImpl s) {
            this.s = s;
        }

        @Override
        public void write(int b) throws IOException {
            one[0] = (byte) b;
            write(one, 0, 1);
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            Objects.checkFromIndexSize(off, len, b.length);
            ByteBuffer bb = ByteBuffer.wrap(b, off, len);
            while (bb.hasRemaining()) {
                SoSend.sosend(s, bb, 0, null, true);
            }
        }

        @Override
        public void close() {
            s.close();
        }
    }

    private static final class Channel implements ByteChannel {
        private final SocketImpl s;

        Channel(SocketImpl s) {
            this.s = s;
        }

        @Override
        public int read(ByteBuffer dst) throws IOException {
            if (!dst.hasRemaining()) {
                return 0;
            }
            try {
                int n = s.recv(dst, 0);
                return n == 0 && atEof(s) ? -1 : n;
            } catch (SocketException e) {
                return failed(e);
            }
        }

        @Override
        public int write(ByteBuffer src) throws IOException {
            try {
                return s.send(src, 0);
            } catch (SocketException e) {
                return failed(e);
            }
        }

        private int failed(SocketException e) throws IOException {
            if (e.errno() == Errno.EAGAIN && s.isNonBlocking()) {
                return 0;
            }
            if (e.errno() == Errno.EBADF) {
                ClosedChannelException c = new ClosedChannelException();
                c.initCause(e);
                throw c;
            }
            throw e;
        }

        @Override
        public boolean isOpen() {
            return !s.isClosed();
        }

        @Override
        public void close() {
            s.close();
        }
    }
}
