package org.protosw.divert.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

import org.junit.jupiter.api.Test;
import org.protosw.divert.internal.shell.DiverterCommand;
import org.protosw.internal.kern.Vnet;
import org.protosw.socket.InetSockAddr;
import org.protosw.socket.Socket;

/** {@code divert:diverter} runs the example diverter: start, list its flows, stop. */
class DiverterCommandRunTest {
    @Test
    void startCountRewriteListAndStop() throws Exception {
        try (DivertLab lab = new DivertLab()) {
            Vnet v = lab.def();
            DiverterCommand cmd = new DiverterCommand();
            cmd.addStack(v);
            try {
                lab.rule(v, 100, "divert 8668 udp from any to any 9000 in");
                assertThat(cmd.execute("start", "8668", "count", "rewrite", "6869", "4849"))
                        .isEqualTo("diverter on divert port 8668 in vnet default\n");
                assertThatThrownBy(() -> cmd.execute("start", "8668")).hasMessageContaining("runs on port 8668 in vnet default already");
                assertThatThrownBy(() -> cmd.execute("-j", "elsewhere", "start", "8669")).hasMessage("diverter start: no vnet 'elsewhere' (vnets: default)");
                Socket rx = DivertLab.udp(v, "127.0.0.1", 9000);
                Socket tx = DivertLab.udp(v, "127.0.0.1", 5000);
                for (int i = 0; i < 5; i++) {
                    tx.sendto(ByteBuffer.wrap("hi there".getBytes(StandardCharsets.US_ASCII)), 0, InetSockAddr.of("127.0.0.1", 9000));
                    assertThat(new String(DivertLab.receive(rx), StandardCharsets.US_ASCII)).isEqualTo("HI there");
                }
                String list = cmd.execute("list");
                assertThat(list).startsWith("port 8668 vnet default: 5 packets, 180 bytes, 5 rewritten, 0 write errors\n")
                        .containsPattern("udp 127\\.0\\.0\\.1:5000 -> 127\\.0\\.0\\.1:9000 +5 packets +180 bytes");
                assertThat(cmd.execute("stop", "8668")).isEmpty();
                assertThat(cmd.execute("list")).isEqualTo("no diverters\n");
                assertThatThrownBy(() -> cmd.execute("stop", "8668")).hasMessage("diverter stop: no diverter runs on port 8668 in vnet default");
            } finally {
                cmd.deactivate();
            }
        }
    }
}
