package org.protosw.divert.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;

import org.junit.jupiter.api.Test;
import org.protosw.divert.example.Diverter;
import org.protosw.internal.kern.Vnet;
import org.protosw.socket.Errno;
import org.protosw.socket.InetSockAddr;
import org.protosw.socket.SockOpt;
import org.protosw.socket.Socket;
import org.protosw.socket.SocketConstants;
import org.protosw.socket.SocketException;

/**
 * Unloading divert in the middle of a diverted flow: the diverter's reader wakes with
 * ECONNABORTED, the flow goes on undiverted; loading it again brings the rules back.
 */
class UnloadTest {
    private static final int COUNT = 2000;
    private static final int WINDOW = 8;

    @Test
    void unloadMidFlowAbortsTheDiverterAndTrafficFlowsUndivertedReloadBringsTheRulesBack() throws Exception {
        try (DivertLab lab = new DivertLab()) {
            Vnet a = lab.vnet("a");
            Vnet b = lab.vnet("b");
            lab.link(a, "10.0.0.1", b, "10.0.0.2");
            lab.rule(b, 100, "divert 8668 udp from any to any 9000 in");
            Diverter d = Diverter.open(b, 8668);
            Thread dt = lab.spawn("diverter", d);
            Socket rx = DivertLab.udp(b, "10.0.0.2", 9000);
            rx.setOption(SockOpt.SO_RCVTIMEO, 1000);
            Socket tx = DivertLab.udp(a, "10.0.0.1", 0);
            AtomicInteger received = new AtomicInteger();
            List<Integer> seen = new ArrayList<>();
            Thread receiver = lab.spawn("rx", () -> {
                ByteBuffer in = ByteBuffer.allocate(65535);
                try {
                    for (;;) {
                        in.clear();
                        rx.recv(in, 0);
                        int seq = in.getInt(0);
                        synchronized (seen) {
                            seen.add(seq);
                        }
                        received.incrementAndGet();
                        if (seq == COUNT - 1) {
                            return;
                        }
                    }
                } catch (SocketException e) {
                    // timed out: the last datagram was lost
                }
            });

            long divertedAtUnload = -1;
            // datagrams given up as lost (those inside the diverter when it was aborted)
            long lost = 0;
            for (int i = 0; i < COUNT; i++) {
                if (i == COUNT / 2) {
                    divertedAtUnload = d.packets();
                    lab.unloadDivert();
                }
                long deadline = System.nanoTime() + 500_000_000L;
                while (i - received.get() - lost >= WINDOW && System.nanoTime() < deadline) {
                    LockSupport.parkNanos(50_000);
                }
                if (i - received.get() - lost >= WINDOW) {
                    lost = i - received.get();
                }
                tx.sendto(ByteBuffer.wrap(Stream.datagram(i)), 0, InetSockAddr.of("10.0.0.2", 9000));
            }
            receiver.join(10_000);
            dt.join(5_000);
            assertThat(dt.isAlive()).isFalse();
            assertThat(d.failure()).as("the diverter's reader was aborted").isNotNull();
            assertThat(d.failure().errno()).isEqualTo(Errno.ECONNABORTED);
            assertThat(divertedAtUnload).isGreaterThan(0);
            assertThat(d.packets()).as("nothing diverted after the unload").isLessThanOrEqualTo(divertedAtUnload + WINDOW);
            synchronized (seen) {
                // in order; at most what was inside the diverter at the unload is lost
                assertThat(seen).isSorted();
                assertThat(seen).hasSizeGreaterThanOrEqualTo(COUNT - WINDOW);
                assertThat(seen).contains(COUNT - 1);
            }
            assertThatThrownBy(() -> b.socket(SocketConstants.AF_DIVERT, SocketConstants.SOCK_RAW, 0))
                    .isInstanceOfSatisfying(SocketException.class, e -> assertThat(e.errno()).isEqualTo(Errno.EPROTONOSUPPORT));

            // loaded again: the rule comes back from the store, and diverts
            lab.loadDivert();
            assertThat(lab.rules().counters("b", 100)).isNotNull();
            Diverter d2 = Diverter.open(b, 8668);
            lab.spawn("diverter-2", d2);
            rx.setOption(SockOpt.SO_RCVTIMEO, 5000);
            for (int i = 0; i < 10; i++) {
                tx.sendto(ByteBuffer.wrap(Stream.datagram(COUNT + i)), 0, InetSockAddr.of("10.0.0.2", 9000));
                assertThat(ByteBuffer.wrap(DivertLab.receive(rx)).getInt(0)).isEqualTo(COUNT + i);
            }
            assertThat(d2.packets()).isEqualTo(10);
            assertThat(lab.rulePackets(b, 100)).isEqualTo(10);
            d2.close();
        }
    }
}
