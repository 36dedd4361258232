package org.protosw.internal.socket;

import static org.assertj.core.api.Assertions.assertThat;
import static org.protosw.socket.SocketConstants.AF_INET;
import static org.protosw.socket.SocketConstants.SOCK_DGRAM;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;

import org.junit.jupiter.api.Test;
import org.protosw.socket.Errno;
import org.protosw.socket.InAddr;
import org.protosw.socket.InetSockAddr;
import org.protosw.socket.Socket;
import org.protosw.socket.SocketException;

/**
 * The dependency-ordered abort under load, many rounds: while senders and readers use an
 * upper protocol that runs on a lower one (and the lower one directly), the lower protocol
 * is unloaded. Every round: each upper socket's abort comes before any lower socket's,
 * every user of either sees ECONNABORTED (never another errno, never a hang), and after the
 * lower protocol is loaded again the upper one carries records again, not reloaded.
 * {@code -Dstress.rounds=N} (default 2000).
 */
class LayeredAbortStressTest {
    private static final int ROUNDS = Integer.getInteger("stress.rounds", 2000);

    @Test
    void lowerUnloadAbortsUpperFirstEveryRound() throws Exception {
        try (Upper t = new Upper()) {
            TestUpperProto.Proto up = t.upper.instance("default");
            for (int round = 0; round < ROUNDS; round++) {
                t.upper.aborts.clear();
                t.lowerAborts.clear();
                Socket[] a = t.pair();
                Socket[] b = t.pair();
                Socket lowerApp = t.net.layer.socket(AF_INET, SOCK_DGRAM, 0);
                lowerApp.bind(new InetSockAddr(InAddr.LOOPBACK, 0));
                // the upper protocol works this round (after the previous round's reload)
                a[0].send(ByteBuffer.wrap(new byte[] {(byte) round}));
                ByteBuffer one = ByteBuffer.allocate(4);
                assertThat(a[1].recv(one)).as("round " + round).isEqualTo(1);

                ConcurrentLinkedQueue<Object> outcomes = new ConcurrentLinkedQueue<>();
                List<Thread> users = new ArrayList<>();
                users.add(user(() -> a[1].recv(ByteBuffer.allocate(64)), outcomes));
                users.add(user(() -> lowerApp.recv(ByteBuffer.allocate(64)), outcomes));
                users.add(user(() -> {
                    // a sender on the upper protocol that keeps going until it is aborted
                    for (;;) {
                        b[0].send(ByteBuffer.allocate(700));
                    }
                }, outcomes));
                users.add(user(() -> {
                    for (;;) {
                        b[1].recv(ByteBuffer.allocate(800));
                    }
                }, outcomes));
                Upper.awaitParked(users.get(0));
                Upper.awaitParked(users.get(1));

                t.unloadLower();
                for (Thread u : users) {
                    u.join();
                }
                assertThat(outcomes).as("round " + round).hasSize(4).allSatisfy(o -> assertThat(o)
                        .isInstanceOfSatisfying(SocketException.class, e -> assertThat(e.errno()).isEqualTo(Errno.ECONNABORTED)));
                assertThat(t.upper.aborts).as("round " + round).hasSize(4);
                assertThat(t.lowerAborts).as("round " + round).hasSize(2);
                assertThat(Collections.max(t.upper.aborts)).as("round " + round).isLessThan(Collections.min(t.lowerAborts));
                for (Socket s : new Socket[] {a[0], a[1], b[0], b[1], lowerApp}) {
                    s.close();
                }
                t.loadLower();
            }
            assertThat(t.upper.instance("default")).isSameAs(up);
            assertThat(up.lowerAborted.get()).isEqualTo(ROUNDS);
            assertThat(up.opens.get()).isEqualTo(ROUNDS);
            assertThat(t.net.layer.socketCount()).isZero();
        }
    }

    interface Use {
        Object run() throws Exception;
    }

    private static Thread user(Use use, ConcurrentLinkedQueue<Object> outcomes) {
        return Thread.ofVirtual().start(() -> {
            try {
                outcomes.add("returned " + use.run());
            } catch (Throwable e) {
                outcomes.add(e);
            }
        });
    }
}
