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
import org.protosw.socket.Socket;
import org.protosw.socket.SocketException;
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
            long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            for (int i = 0; i < 3000 && System.nanoTime() < end; i++) {
                Socket s = net.stack.socket(AF_INET, SOCK_DGRAM, 99);
                ProtoSocket so = last.get();
                Future<Errno> reader = pool.submit(() -> {
                    try {
                        s.recv(ByteBuffer.allocate(8));
                        return null;
                    } catch (SocketException e) {
                        return e.errno();
                    }
                });
                // land the error anywhere from before the reader's check to after its sleep
                long spin = ThreadLocalRandom.current().nextLong(20_000);
                long t0 = System.nanoTime();
                while (System.nanoTime() - t0 < spin) {
                    Thread.onSpinWait();
                }
                so.setError(Errno.ECONNRESET);
                assertThat(reader.get(5, TimeUnit.SECONDS)).as("round " + i).isEqualTo(Errno.ECONNRESET);
                s.close();
            }
        } finally {
            pool.shutdownNow();
        }
    }
}
