package org.protosw.internal.socket;

import static org.assertj.core.api.Assertions.assertThat;
import static org.protosw.socket.SocketConstants.AF_INET;
import static org.protosw.socket.SocketConstants.SOCK_DGRAM;

import java.nio.ByteBuffer;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

import org.junit.jupiter.api.Test;
import org.protosw.socket.Errno;
import org.protosw.socket.InetSockAddr;
import org.protosw.socket.Socket;
import org.protosw.socket.SocketException;
import org.protosw.spi.Packet;
import org.protosw.spi.Pcb;
import org.protosw.spi.ProtoSocket;
import org.protosw.spi.ProtoSw;
import org.protosw.spi.Protocol;

/**
 * A pending error (or an abort) set by another thread just as a reader goes to sleep must
 * wake it: the wake-up takes the buffer's lock, so the reader is either still checking (and
 * sees the error) or already asleep (and gets the signal). Without that, a reader caught
 * between its check and its sleep slept forever.
 */
class WakeupRaceTest {
    @Test
    void anErrorSetAsAReaderFallsAsleepAlwaysWakesIt() throws Exception {
        race(0, false);
    }

    /**
     * A reader that polls before it sleeps ({@code net.core.busy_read}) takes the lock again
     * when its poll ends: a change signalled between the poll's last look and that lock
     * would be lost if the reader then slept without checking the signal count. The poll
     * here (10 us) ends anywhere in the window the change lands in (0 to 40 us).
     */
    @Test
    void anErrorSetAsAPollingReaderGivesUpAlwaysWakesIt() throws Exception {
        race(10, false);
    }

    @Test
    void aDatagramQueuedAsAPollingReaderGivesUpAlwaysWakesIt() throws Exception {
        race(10, true);
    }

    /**
     * A socket that sent and now waits for data polls (its thread stays runnable) and takes
     * the answer; a socket that has not sent since it last received sleeps at once. With a
     * poll of a whole second, either mistake shows in the thread's state.
     */
    @Test
    void onlyASocketWaitingForAnAnswerPolls() throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(2);
        try (TestNet net = new TestNet()) {
            net.register(new TestDgramProto(), TestDgramProto.props("poll", 98));
            net.sysctl.find(SocketLayer.BUSY_READ).set(1_000_000);
            Socket asker = net.stack.socket(AF_INET, SOCK_DGRAM, 98);
            Socket answerer = net.stack.socket(AF_INET, SOCK_DGRAM, 98);
            Socket listener = net.stack.socket(AF_INET, SOCK_DGRAM, 98);
            asker.bind(InetSockAddr.of("127.0.0.1", 0));
            answerer.bind(InetSockAddr.of("127.0.0.1", 0));
            listener.bind(InetSockAddr.of("127.0.0.1", 0));

            AtomicReference<Thread> listening = new AtomicReference<>();
            Future<Integer> idle = pool.submit(() -> {
                listening.set(Thread.currentThread());
                return listener.recv(ByteBuffer.allocate(8));
            });
            assertThat(stateWithin(listening, Thread.State.WAITING, 500))
                    .as("a reader that has not sent sleeps at once").isEqualTo(Thread.State.WAITING);

            asker.sendto(ByteBuffer.wrap(new byte[] {9}), 0, answerer.localAddress());
            assertThat(((SocketImpl) asker).so.sentSinceReceive).isTrue();
            AtomicReference<Thread> asking = new AtomicReference<>();
            Future<Integer> answer = pool.submit(() -> {
                asking.set(Thread.currentThread());
                return asker.recv(ByteBuffer.allocate(8));
            });
            Thread.sleep(200);
            assertThat(asking.get().getState()).as("a reader that sent polls for its answer").isEqualTo(Thread.State.RUNNABLE);
            answerer.sendto(ByteBuffer.wrap(new byte[] {1, 2, 3}), 0, asker.localAddress());
            assertThat(answer.get(5, TimeUnit.SECONDS)).isEqualTo(3);
            assertThat(((SocketImpl) asker).so.sentSinceReceive).as("the answer taken, the next wait sleeps").isFalse();

            idle.cancel(true);
            asker.close();
            answerer.close();
            listener.close();
        } finally {
            pool.shutdownNow();
        }
    }

    /** The thread's state once it is {@code want}, or what it still was after {@code ms}. */
    private static Thread.State stateWithin(AtomicReference<Thread> t, Thread.State want, long ms) throws InterruptedException {
        long end = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(ms);
        Thread.State st = null;
        while (System.nanoTime() < end) {
            Thread th = t.get();
            st = th == null ? null : th.getState();
            if (st == want) {
                return st;
            }
            Thread.sleep(1);
        }
        return st;
    }

    private static void race(int busyReadUs, boolean data) throws Exception {
        AtomicReference<ProtoSocket> last = new AtomicReference<>();
        ProtoSw sw = ctx -> (Protocol) so -> {
            last.set(so);
            so.soreserve(9216, 9216);
            return (Pcb) () -> {
            };
        };
        ExecutorService pool = Executors.newFixedThreadPool(2);
        try (TestNet net = new TestNet()) {
            net.register(sw, TestDgramProto.props("race", 99));
            net.sysctl.find(SocketLayer.BUSY_READ).set(busyReadUs);
            long window = busyReadUs == 0 ? 20_000 : 4_000L * busyReadUs;
            long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            for (int i = 0; i < 3000 && System.nanoTime() < end; i++) {
                Socket s = net.stack.socket(AF_INET, SOCK_DGRAM, 99);
                ProtoSocket so = last.get();
                // as if it had sent a request: its next wait for data polls first
                ((SocketImpl) s).so.sentSinceReceive = busyReadUs > 0;
                Future<Errno> reader = pool.submit(() -> {
                    try {
                        int n = s.recv(ByteBuffer.allocate(8));
                        return n == 3 ? null : Errno.EIO;
                    } catch (SocketException e) {
                        return e.errno();
                    }
                });
                // land the change anywhere from before the reader's check to after its sleep
                long spin = ThreadLocalRandom.current().nextLong(window);
                long t0 = System.nanoTime();
                while (System.nanoTime() - t0 < spin) {
                    Thread.onSpinWait();
                }
                if (data) {
                    assertThat(so.rcv().appendAddr(Packet.wrap(new byte[] {1, 2, 3}, 0, 3), null, "lo0")).isTrue();
                    so.sorwakeup();
                    assertThat(reader.get(5, TimeUnit.SECONDS)).as("round " + i).isNull();
                } else {
                    so.setError(Errno.ECONNRESET);
                    assertThat(reader.get(5, TimeUnit.SECONDS)).as("round " + i).isEqualTo(Errno.ECONNRESET);
                }
                s.close();
            }
        } finally {
            pool.shutdownNow();
        }
    }
}
