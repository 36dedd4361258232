package org.protosw.internal.shell;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.protosw.internal.shell.Shell.error;
import static org.protosw.internal.shell.Shell.out;
import static org.protosw.socket.SocketConstants.AF_INET;
import static org.protosw.socket.SocketConstants.SOCK_DGRAM;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.protosw.internal.kern.Vnet;
import org.protosw.socket.Errno;
import org.protosw.socket.Socket;
import org.protosw.socket.SocketException;

class ProtocolsCommandTest {
    private Shell sh;
    private ProtocolsCommand protocols;
    private Vnet dflt;

    @BeforeEach
    void setUp() throws Exception {
        sh = new Shell();
        protocols = sh.command(new ProtocolsCommand());
        dflt = sh.stack.stack();
    }

    @AfterEach
    void tearDown() {
        sh.close();
    }

    private Socket tdgram() throws SocketException {
        return dflt.socket(AF_INET, SOCK_DGRAM, Shell.TDGRAM);
    }

    @Test
    void theSwitchTableNamesBundleVersionStateAndSockets() throws Exception {
        try (Socket a = tdgram(); Socket b = tdgram()) {
            String expected = """
                    DOMAIN  TYPE   PROTO  NAME    BUNDLE                              ID  VERSION  STATE   SOCKETS  FLAGS              USES
                    inet    raw        0  raw     org.protosw.framework (standalone)               active        0  PR_ATOMIC,PR_ADDR  -
                    inet    dgram    253  tdgram  org.protosw.test.dgram               7  1.2.3    active        2  PR_ATOMIC,PR_ADDR  -
                    """;
            assertThat(out(() -> protocols.protocols())).isEqualTo(expected);
            assertThat(out(() -> protocols.protocols("list"))).isEqualTo(expected);
        }
    }

    @Test
    void drainRefusesNewSocketsKeepsOpenOnesAndUndrainEndsIt() throws Exception {
        Socket open = tdgram();
        assertThat(out(() -> protocols.protocols("drain", "tdgram"))).isEqualTo("tdgram: draining, 1 socket(s) remain\n");
        assertThatThrownBy(this::tdgram).isInstanceOfSatisfying(SocketException.class, e -> assertThat(e.errno()).isEqualTo(Errno.EPROTONOSUPPORT));
        assertThat(out(() -> protocols.protocols())).contains("  draining        1  ");
        open.close();
        assertThat(out(() -> protocols.protocols())).contains("  draining (drained)        0  ");
        assertThat(out(() -> protocols.protocols("drain", "tdgram"))).isEqualTo("tdgram: draining, no sockets left: ready to unload\n");
        assertThat(out(() -> protocols.protocols("undrain", "tdgram"))).isEqualTo("tdgram: active\n");
        tdgram().close();
        assertThat(out(() -> protocols.protocols())).contains("  active        0  ");
    }

    @Test
    void badWordsSayWhatIsAccepted() {
        assertThat(error(() -> protocols.protocols("show"))).startsWith("protocols: unknown subcommand 'show' (accepted: list, domains, drain, undrain)");
        assertThat(error(() -> protocols.protocols("list", "all"))).startsWith("protocols: unexpected 'all'");
        assertThat(error(() -> protocols.protocols("drain"))).startsWith("protocols: missing protocol name");
        assertThat(error(() -> protocols.protocols("undrain"))).startsWith("protocols: missing protocol name");
        assertThat(error(() -> protocols.protocols("drain", "sctp"))).isEqualTo("protocols: no protocol named 'sctp' is registered (see net:protocols)");
        assertThat(error(() -> protocols.protocols("drain", "tdgram", "now"))).startsWith("protocols: unexpected 'now'");
        assertThat(error(() -> protocols.protocols("undrain", "tdgram"))).isEqualTo("protocols: protocol tdgram is active, not draining");
        assertThat(sh.core().registry().entry("tdgram").state().label()).isEqualTo("active");
    }
}
