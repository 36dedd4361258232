package org.protosw.divert.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

import org.junit.jupiter.api.Test;
import org.protosw.internal.kern.Vnet;
import org.protosw.socket.InetSockAddr;
import org.protosw.socket.Socket;
import org.protosw.socket.SocketException;

/**
 * A diverter that drops everything it reads stalls a TCP flow; once the rule is deleted
 * TCP retransmits what was swallowed and the transfer completes intact.
 */
class TcpStallTest {
    private static final int BYTES = 4 * 1024 * 1024;
    private static final int PORT = 9101;

    @Test
    void droppingDiverterStallsTheFlowDeletingTheRuleLetsTcpRecover() throws Exception {
        try (DivertLab lab = new DivertLab()) {
            Vnet a = lab.vnet("a");
            Vnet b = lab.vnet("b");
            lab.link(a, "10.0.0.1", b, "10.0.0.2");
            TcpStream ts = TcpStream.open(lab, a, b, InetSockAddr.of("10.0.0.2", PORT), BYTES, 30_000);

            // established: from now on every segment towards the server is swallowed
            Socket sink = DivertLab.divertSocket(b, 8668);
            lab.rule(b, 100, "divert 8668 tcp from any to any " + PORT + " in");
            AtomicLong swallowed = new AtomicLong();
            lab.spawn("black-hole", () -> {
                ByteBuffer buf = ByteBuffer.allocate(65535);
                try {
                    for (;;) {
                        buf.clear();
                        sink.recv(buf, 0);
                        swallowed.incrementAndGet();
                    }
                } catch (SocketException e) {
                    // closed at the end of the test
                }
            });
            AtomicReference<Throwable> sendResult = new AtomicReference<>();
            Thread sender = lab.spawn("tcp-tx", () -> {
                try {
                    ts.sendAllAndVerify(60_000);
                } catch (Throwable t) {
                    sendResult.set(t);
                }
            });

            DivertLab.await("segments to be swallowed", 10_000, () -> swallowed.get() >= 5);
            long stalledAt = ts.received();
            long retransmittedBefore = tcpStat(lab, a, "data packets retransmitted");
            // the sender times out and retransmits into the black hole; nothing gets through
            DivertLab.await("a retransmission into the black hole", 10_000,
                    () -> tcpStat(lab, a, "data packets retransmitted") > retransmittedBefore);
            assertThat(ts.received()).as("bytes read while the rule swallows everything").isEqualTo(stalledAt);
            assertThat(stalledAt).isLessThan(BYTES);
            DivertLab.await("the black hole to read what the rule matched", 10_000,
                    () -> swallowed.get() == lab.rulePackets(b, 100));

            lab.rules().delete("b", 100);
            sender.join(60_000);
            assertThat(sender.isAlive()).as("transfer finished").isFalse();
            if (sendResult.get() != null) {
                throw new AssertionError("transfer after deleting the rule", sendResult.get());
            }
            assertThat(tcpStat(lab, a, "retransmit timeouts")).isPositive();
            assertThat(lab.divertStat(b, "packets reinjected inbound")).isZero();
            sink.close();
        }
    }

    private static long tcpStat(DivertLab lab, Vnet v, String key) {
        Map<String, Long> m = DivertLab.stats(lab, "tcp", v);
        Long n = m.get(key);
        assertThat(n).as("tcp counter '" + key + "' in " + m.keySet()).isNotNull();
        return n;
    }
}
