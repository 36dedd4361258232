package org.protosw.ib.demo.itest;

import static org.protosw.socket.SocketConstants.AF_IB;
import static org.protosw.socket.SocketConstants.SOCK_SEQPACKET;

import java.nio.ByteBuffer;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.SplittableRandom;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import org.protosw.socket.NetStack;
import org.protosw.socket.Socket;
import org.protosw.socket.SocketException;

/**
 * AF_IB traffic through the application API only: addresses by {@code parseAddress}, the
 * family by its number, so the test probe never wires to the IB bundle (an uninstall test
 * needs that: see the kit's Footprint).
 */
final class IbTraffic {
    private IbTraffic() {
    }

    /** A listener of {@code type} on service {@code sid}, any GID. */
    static Socket listener(NetStack stack, int type, int sid) throws SocketException {
        Socket l = stack.socket(AF_IB, type, 0);
        l.bind(stack.parseAddress(AF_IB, "[::]:" + sid));
        l.listen(8);
        return l;
    }

    /** A connection from {@code client} to the IPv4-mapped GID of {@code serverAddr}: {client end, server end}. */
    static Socket[] connect(ExecutorService pool, NetStack client, NetStack server, String serverAddr, int type, int sid)
            throws Exception {
        try (Socket l = listener(server, type, sid)) {
            Future<Socket> accepted = pool.submit(l::accept);
            Socket c = client.socket(AF_IB, type, 0);
            c.connect(client.parseAddress(AF_IB, "[::ffff:" + serverAddr + "]:" + sid));
            return new Socket[] {c, accepted.get(30, TimeUnit.SECONDS)};
        }
    }

    static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Bytes and records counted, and their SHA-256. */
    record Digest(long bytes, long records, String sha256) {
    }

    /**
     * Sends a seeded byte stream: for SOCK_SEQPACKET records of 1 to {@code max} bytes (sizes
     * seeded too), for SOCK_STREAM writes of {@code max}; {@code total} bytes, or forever when
     * {@code total} is negative (until the socket fails). {@code sent} counts as it goes.
     */
    static Digest send(Socket s, long total, long seed, int max, AtomicLong sent) throws SocketException {
        MessageDigest md = sha256();
        SplittableRandom r = new SplittableRandom(seed);
        byte[] buf = new byte[max];
        long records = 0;
        boolean seq = s.type() == SOCK_SEQPACKET;
        long done = 0;
        while (total < 0 || done < total) {
            int n = (int) Math.min(total < 0 ? max : total - done, seq ? 1 + r.nextInt(max) : max);
            r.nextBytes(buf);
            md.update(buf, 0, n);
            ByteBuffer bb = ByteBuffer.wrap(buf, 0, n);
            while (bb.hasRemaining()) {
                s.send(bb);
            }
            done += n;
            sent.addAndGet(n);
            records++;
        }
        return new Digest(done, records, HexFormat.of().formatHex(md.digest()));
    }

    /** Receives until {@code total} bytes came or the stream ended (negative: until the socket fails). */
    static Digest receive(Socket s, long total, AtomicLong received) throws SocketException {
        MessageDigest md = sha256();
        ByteBuffer bb = ByteBuffer.allocate(256 * 1024);
        long got = 0;
        long records = 0;
        while (total < 0 || got < total) {
            bb.clear();
            int n = s.recv(bb);
            if (n <= 0) {
                break;
            }
            md.update(bb.array(), 0, n);
            got += n;
            received.addAndGet(n);
            records++;
        }
        return new Digest(got, records, HexFormat.of().formatHex(md.digest()));
    }
}
