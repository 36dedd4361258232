package org.protosw.divert.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.concurrent.atomic.AtomicReference;

import org.junit.jupiter.api.Test;
import org.protosw.divert.example.Diverter;
import org.protosw.internal.kern.Vnet;
import org.protosw.socket.Errno;
import org.protosw.socket.InetSockAddr;

/**
 * Unloading divert in the middle of a diverted TCP transfer: the segments the divert
 * socket held are lost with it, TCP retransmits them and the stream arrives intact.
 */
class TcpUnloadTest {
    private static final int BYTES = 16 * 1024 * 1024;
    private static final int PORT = 9102;

    @Test
    void unloadMidTransferTcpRecoversWhatTheDivertSocketHeld() throws Exception {
        try (DivertLab lab = new DivertLab()) {
            Vnet v = lab.def();
            lab.rule(v, 100, "divert 8668 tcp from any to 127.0.0.1 " + PORT + " in");
            // room for many segments: the unload loses a whole window's worth
            DivertLab.sysctl(v, "net.inet.divert.recvspace", 1024 * 1024);
            Diverter d = Diverter.open(v, 8668);
            Thread dt = lab.spawn("diverter", d);
            TcpStream ts = TcpStream.open(lab, v, v, InetSockAddr.of("127.0.0.1", PORT), BYTES, 20_000);
            AtomicReference<Throwable> sendResult = new AtomicReference<>();
            Thread sender = lab.spawn("tcp-tx", () -> {
                try {
                    ts.sendAllAndVerify(60_000);
                } catch (Throwable t) {
                    sendResult.set(t);
                }
            });

            DivertLab.await("the transfer to be diverted", 10_000, () -> ts.received() >= BYTES / 4);
            lab.unloadDivert();
            long receivedAtUnload = ts.received();

            sender.join(60_000);
            assertThat(sender.isAlive()).as("transfer finished").isFalse();
            if (sendResult.get() != null) {
                throw new AssertionError("transfer across the unload", sendResult.get());
            }
            assertThat(receivedAtUnload).as("unloaded in the middle").isLessThan(BYTES);
            dt.join(5_000);
            assertThat(d.failure()).as("the diverter's reader was aborted").isNotNull();
            assertThat(d.failure().errno()).isEqualTo(Errno.ECONNABORTED);
        }
    }
}
