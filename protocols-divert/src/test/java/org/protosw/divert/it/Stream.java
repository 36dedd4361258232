package org.protosw.divert.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;
import java.security.MessageDigest;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;

import org.protosw.socket.SockAddr;
import org.protosw.socket.Socket;

/**
 * A UDP stream of numbered datagrams: the sender keeps at most {@link #WINDOW} datagrams
 * ahead of what the receiver took (UDP has no flow control of its own), the receiver checks
 * the numbers arrive in order and both sides hash what they sent and received.
 */
final class Stream {
    static final int DATAGRAM = 1024;
    static final int WINDOW = 32;

    private Stream() {
    }

    static byte[] datagram(int seq) {
        byte[] b = new byte[DATAGRAM];
        new SplittableRandom(seq).nextBytes(b);
        ByteBuffer.wrap(b).putInt(seq);
        return b;
    }

    /** Sends {@code bytes} from {@code tx} to {@code dest}, received on {@code rx}; asserts the SHA-256 of both sides match. */
    static void transfer(DivertLab lab, Socket tx, Socket rx, SockAddr dest, int bytes) throws Exception {
        int count = bytes / DATAGRAM;
        AtomicInteger received = new AtomicInteger();
        AtomicReference<byte[]> rxDigest = new AtomicReference<>();
        AtomicReference<Throwable> rxError = new AtomicReference<>();
        Thread receiver = lab.spawn("stream-rx", () -> {
            try {
                MessageDigest md = MessageDigest.getInstance("SHA-256");
                ByteBuffer in = ByteBuffer.allocate(65535);
                for (int i = 0; i < count; i++) {
                    in.clear();
                    int n = rx.recv(in, 0);
                    assertThat(n).isEqualTo(DATAGRAM);
                    assertThat(ByteBuffer.wrap(in.array()).getInt(0)).as("datagram number").isEqualTo(i);
                    md.update(in.array(), 0, n);
                    received.incrementAndGet();
                }
                rxDigest.set(md.digest());
            } catch (Throwable t) {
                rxError.set(t);
            }
        });
        MessageDigest md = MessageDigest.getInstance("SHA-256");
        for (int i = 0; i < count; i++) {
            long deadline = System.nanoTime() + 10_000_000_000L;
            while (i - received.get() >= WINDOW && rxError.get() == null && System.nanoTime() < deadline) {
                LockSupport.parkNanos(50_000);
            }
            if (rxError.get() != null) {
                break;
            }
            byte[] d = datagram(i);
            md.update(d);
            tx.sendto(ByteBuffer.wrap(d), 0, dest);
        }
        receiver.join(20_000);
        if (rxError.get() != null) {
            throw new AssertionError("receiver failed after " + received.get() + " of " + count + " datagrams", rxError.get());
        }
        assertThat(received.get()).isEqualTo(count);
        assertThat(rxDigest.get()).as("SHA-256 of what arrived").isEqualTo(md.digest());
    }
}
