package org.protosw.internal.socket;

import static org.assertj.core.api.Assertions.assertThat;
import static org.protosw.socket.SocketConstants.MSG_EOR;
import static org.protosw.socket.SocketConstants.MSG_TRUNC;

import java.nio.ByteBuffer;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;
import java.util.concurrent.atomic.AtomicReference;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.protosw.socket.Errno;
import org.protosw.socket.RecvInfo;
import org.protosw.socket.SockOpt;
import org.protosw.socket.Socket;

/**
 * SOCK_SEQPACKET as POSIX describes it, on the test protocol that keeps records in its send
 * buffer until the receiver has room: record boundaries end to end (also for records that
 * travel in several parts), a sender that waits for room instead of dropping (EAGAIN when
 * non-blocking), EMSGSIZE above the send buffer's limit, MSG_EOR and MSG_TRUNC on receive.
 */
class SeqpacketTest {
    private final Upper t = new Upper();
    private final List<Socket> open = new ArrayList<>();

    @AfterEach
    void tearDown() {
        open.forEach(Socket::close);
        t.close();
    }

    private Socket[] pair() throws Exception {
        Socket[] p = t.pair();
        open.add(p[0]);
        open.add(p[1]);
        return p;
    }

    private static byte[] record(Random rnd, int len) {
        byte[] b = new byte[len];
        rnd.nextBytes(b);
        return b;
    }

    @Test
    void recordBoundariesSurviveEndToEndAlsoInSeveralParts() throws Exception {
        Socket[] p = pair();
        Random rnd = new Random(9);
        int count = 2000;
        int[] lens = new int[count];
        MessageDigest sent = MessageDigest.getInstance("SHA-256");
        MessageDigest got = MessageDigest.getInstance("SHA-256");
        AtomicReference<Throwable> fail = new AtomicReference<>();
        List<Integer> seen = new ArrayList<>();
        Thread reader = Thread.ofVirtual().start(() -> {
            try {
                ByteBuffer in = ByteBuffer.allocate(8192);
                for (int i = 0; i < count; i++) {
                    in.clear();
                    RecvInfo ri = p[1].recvfrom(in, 0);
                    assertThat(ri.flags()).as("record " + i).isEqualTo(MSG_EOR);
                    seen.add(ri.length());
                    got.update(in.array(), 0, ri.length());
                }
            } catch (Throwable e) {
                fail.set(e);
            }
        });
        for (int i = 0; i < count; i++) {
            lens[i] = i % 7 == 0 ? 0 : rnd.nextInt(5000) + 1; // up to 5 parts of 1 KiB
            byte[] r = record(rnd, lens[i]);
            sent.update(r);
            assertThat(p[0].send(ByteBuffer.wrap(r), MSG_EOR)).isEqualTo(lens[i]);
        }
        reader.join();
        assertThat(fail.get()).isNull();
        assertThat(seen).containsExactly(java.util.Arrays.stream(lens).boxed().toArray(Integer[]::new));
        assertThat(HexFormat.of().formatHex(got.digest())).isEqualTo(HexFormat.of().formatHex(sent.digest()));
    }

    @Test
    void aNonBlockingSenderGetsEagainWhenTheBuffersAreFullAndNothingIsDropped() throws Exception {
        Socket[] p = pair();
        p[0].setNonBlocking(true);
        Random rnd = new Random(3);
        List<byte[]> sent = new ArrayList<>();
        for (;;) {
            byte[] r = record(rnd, 1000);
            try {
                p[0].send(ByteBuffer.wrap(r));
            } catch (org.protosw.socket.SocketException e) {
                assertThat(e.errno()).isEqualTo(Errno.EAGAIN);
                break;
            }
            sent.add(r);
        }
        // both buffers (64 KiB each) hold records: nothing was dropped on the way
        assertThat(sent.size()).isGreaterThan(64);
        ByteBuffer in = ByteBuffer.allocate(2000);
        for (byte[] r : sent) {
            in.clear();
            RecvInfo ri = p[1].recvfrom(in, 0);
            assertThat(ri.length()).isEqualTo(1000);
            assertThat(java.util.Arrays.copyOf(in.array(), 1000)).isEqualTo(r);
        }
        p[1].setNonBlocking(true);
        assertThat(ErrnoOf.of(() -> p[1].recv(ByteBuffer.allocate(10)))).isEqualTo(Errno.EAGAIN);
        assertThat(p[0].send(ByteBuffer.allocate(1000))).isEqualTo(1000);
    }

    @Test
    void aBlockingSenderWaitsForRoomAndGoesOnWhenTheReaderTakes() throws Exception {
        Socket[] p = pair();
        int count = 3000;
        Random rnd = new Random(5);
        MessageDigest sent = MessageDigest.getInstance("SHA-256");
        List<byte[]> records = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            byte[] r = record(rnd, 3000);
            records.add(r);
            sent.update(r);
        }
        AtomicReference<Throwable> fail = new AtomicReference<>();
        Thread sender = Thread.ofVirtual().start(() -> {
            try {
                for (byte[] r : records) {
                    p[0].send(ByteBuffer.wrap(r));
                }
            } catch (Throwable e) {
                fail.set(e);
            }
        });
        // about 9 MB cannot fit in 128 KiB of buffers: the sender blocks
        Upper.awaitParked(sender);
        assertThat(sender.isAlive()).isTrue();
        MessageDigest got = MessageDigest.getInstance("SHA-256");
        ByteBuffer in = ByteBuffer.allocate(4000);
        for (int i = 0; i < count; i++) {
            in.clear();
            RecvInfo ri = p[1].recvfrom(in, 0);
            assertThat(ri.length()).isEqualTo(3000);
            got.update(in.array(), 0, 3000);
        }
        sender.join();
        assertThat(fail.get()).isNull();
        assertThat(HexFormat.of().formatHex(got.digest())).isEqualTo(HexFormat.of().formatHex(sent.digest()));
    }

    @Test
    void aRecordLargerThanTheSendBufferIsEmsgsize() throws Exception {
        Socket[] p = pair();
        p[0].setOption(SockOpt.SO_SNDBUF, 4096);
        assertThat(ErrnoOf.of(() -> p[0].send(ByteBuffer.allocate(5000)))).isEqualTo(Errno.EMSGSIZE);
        assertThat(p[0].send(ByteBuffer.allocate(4096))).isEqualTo(4096);
        RecvInfo ri = p[1].recvfrom(ByteBuffer.allocate(8192), 0);
        assertThat(ri.length()).isEqualTo(4096);
    }

    @Test
    void aShortBufferTruncatesTheWholeRecordWithMsgTrunc() throws Exception {
        Socket[] p = pair();
        byte[] big = record(new Random(1), 3000); // three parts
        p[0].send(ByteBuffer.wrap(big));
        p[0].send(Errnos.buf("next record"));
        ByteBuffer small = ByteBuffer.allocate(100);
        RecvInfo ri = p[1].recvfrom(small, 0);
        assertThat(ri.length()).isEqualTo(100);
        assertThat(ri.flags()).isEqualTo(MSG_TRUNC | MSG_EOR);
        assertThat(java.util.Arrays.copyOf(small.array(), 100)).isEqualTo(java.util.Arrays.copyOf(big, 100));
        ByteBuffer in = ByteBuffer.allocate(100);
        ri = p[1].recvfrom(in, 0);
        assertThat(Errnos.str(in.flip(), ri.length())).isEqualTo("next record");
        assertThat(ri.flags()).isEqualTo(MSG_EOR);
    }
}
