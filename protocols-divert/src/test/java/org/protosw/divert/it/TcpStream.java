package org.protosw.divert.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;
import java.security.MessageDigest;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

import org.protosw.internal.kern.Vnet;
import org.protosw.socket.InetSockAddr;
import org.protosw.socket.SockOpt;
import org.protosw.socket.Socket;
import org.protosw.socket.SocketConstants;
import org.protosw.socket.SocketException;

/**
 * One TCP connection carrying a stream of pseudo-random bytes from a client to a server
 * that reads to end of stream; both sides hash what they sent and received.
 */
final class TcpStream {
    private static final int CHUNK = 64 * 1024;

    private final Socket listener;
    private final Socket client;
    private final int bytes;
    private final AtomicLong received = new AtomicLong();
    private final AtomicReference<byte[]> rxDigest = new AtomicReference<>();
    private final AtomicReference<Throwable> rxError = new AtomicReference<>();
    private Thread receiver;

    private TcpStream(Socket listener, Socket client, int bytes) {
        this.listener = listener;
        this.client = client;
        this.bytes = bytes;
    }

    /**
     * Listens on {@code dest} in {@code server}, connects from {@code clientVnet}; the
     * server's reader waits at most {@code readTimeoutMillis} for each read.
     */
    static TcpStream open(DivertLab lab, Vnet clientVnet, Vnet server, InetSockAddr dest, int bytes, int readTimeoutMillis)
            throws SocketException {
        Socket l = server.socket(SocketConstants.AF_INET, SocketConstants.SOCK_STREAM, SocketConstants.IPPROTO_TCP);
        l.bind(dest);
        l.listen(1);
        Socket c = clientVnet.socket(SocketConstants.AF_INET, SocketConstants.SOCK_STREAM, SocketConstants.IPPROTO_TCP);
        TcpStream ts = new TcpStream(l, c, bytes);
        ts.receiver = lab.spawn("tcp-rx", () -> ts.receive(readTimeoutMillis));
        c.connect(dest);
        return ts;
    }

    private void receive(int readTimeoutMillis) {
        try (Socket c = listener.accept()) {
            c.setOption(SockOpt.SO_RCVTIMEO, readTimeoutMillis);
            MessageDigest md = MessageDigest.getInstance("SHA-256");
            ByteBuffer in = ByteBuffer.allocate(CHUNK);
            for (;;) {
                in.clear();
                int n = c.recv(in, 0);
                if (n <= 0) {
                    break;
                }
                md.update(in.array(), 0, n);
                received.addAndGet(n);
            }
            rxDigest.set(md.digest());
        } catch (Throwable t) {
            rxError.set(t);
        }
    }

    /** Bytes the server has read so far. */
    long received() {
        return received.get();
    }

    /** Sends the whole stream, closes the sending side and asserts the server read it SHA-256 identical. */
    void sendAllAndVerify(long joinMillis) throws Exception {
        MessageDigest md = MessageDigest.getInstance("SHA-256");
        SplittableRandom rnd = new SplittableRandom(bytes);
        byte[] chunk = new byte[CHUNK];
        int left = bytes;
        try {
            while (left > 0 && rxError.get() == null) {
                int n = Math.min(left, CHUNK);
                rnd.nextBytes(chunk);
                md.update(chunk, 0, n);
                ByteBuffer out = ByteBuffer.wrap(chunk, 0, n);
                while (out.hasRemaining()) {
                    client.send(out, 0);
                }
                left -= n;
            }
            client.shutdown(SocketConstants.SHUT_WR);
            receiver.join(joinMillis);
        } finally {
            client.close();
            listener.close();
        }
        if (rxError.get() != null) {
            throw new AssertionError("receiver failed after " + received.get() + " of " + bytes + " bytes", rxError.get());
        }
        assertThat(receiver.isAlive()).as("receiver done").isFalse();
        assertThat(received.get()).isEqualTo(bytes);
        assertThat(rxDigest.get()).as("SHA-256 of what arrived").isEqualTo(md.digest());
    }
}
