package org.protosw.internal.shell;

import static org.assertj.core.api.Assertions.assertThat;
import static org.protosw.internal.shell.Shell.error;
import static org.protosw.internal.shell.Shell.out;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.protosw.internal.kern.Vnet;
import org.protosw.internal.net.NetInterface;
import org.protosw.socket.SocketConstants;

class VnetCommandTest {
    private Shell sh;
    private VnetCommand vnet;

    @BeforeEach
    void setUp() throws Exception {
        sh = new Shell();
        vnet = sh.command(new VnetCommand());
    }

    @AfterEach
    void tearDown() {
        sh.close();
    }

    @Test
    void createsListsAndDestroysInstances() throws Exception {
        assertThat(out(() -> vnet.vnet("create", "b"))).isEqualTo("b\n");
        Vnet b = sh.core().vnet("b");
        assertThat(b.interfaces().list()).extracting(NetInterface::name).containsExactly("lo0");
        IfconfigCommand ifconfig = sh.command(new IfconfigCommand());
        out(() -> ifconfig.ifconfig("epair", "create"));
        ifconfig.ifconfig("epair0b", "vnet", "b");
        sh.stack.stack().socket(SocketConstants.AF_INET, SocketConstants.SOCK_DGRAM, Shell.TDGRAM);

        String expected = """
                NAME     IFACES  SOCKETS  INTERFACES
                default       2        1  lo0,epair0a
                b             2        0  lo0,epair0b
                """;
        assertThat(out(() -> vnet.vnet())).isEqualTo(expected);
        assertThat(out(() -> vnet.vnet("list"))).isEqualTo(expected);

        assertThat(out(() -> vnet.vnet("destroy", "b"))).isEmpty();
        assertThat(sh.core().vnet("b")).isNull();
        // the epair went with its end in b
        assertThat(sh.stack.stack().interfaces().list()).extracting(NetInterface::name).containsExactly("lo0");
        assertThat(out(() -> vnet.vnet())).isEqualTo("""
                NAME     IFACES  SOCKETS  INTERFACES
                default       1        1  lo0
                """);
    }

    @Test
    void verboseListCountsTheTimersArmedInEachInstance() throws Exception {
        out(() -> vnet.vnet("create", "b"));
        int armed = sh.stack.stack().callout().armedCount();
        assertThat(out(() -> vnet.vnet("list", "-v"))).isEqualTo(out(() -> vnet.vnet("-v")))
                .startsWith("NAME     IFACES  SOCKETS  TIMERS  INTERFACES\n")
                .contains(String.format("default       1        0  %6d  lo0%n", armed));
        // a timer armed in b shows in b's row
        var c = sh.core().vnet("b").callout().newCallout(() -> { });
        c.reset(1, java.util.concurrent.TimeUnit.HOURS);
        try {
            int inB = sh.core().vnet("b").callout().armedCount();
            assertThat(inB).isPositive();
            assertThat(out(() -> vnet.vnet("list", "-v"))).contains(String.format("b             1        0  %6d  lo0%n", inB));
        } finally {
            c.stop();
        }
    }

    @Test
    void badWordsSayWhatIsAccepted() {
        assertThat(error(() -> vnet.vnet("add", "b"))).startsWith("vnet: unknown subcommand 'add' (accepted: list, create, destroy)");
        assertThat(error(() -> vnet.vnet("list", "b"))).startsWith("vnet: unexpected 'b'");
        assertThat(error(() -> vnet.vnet("create"))).startsWith("vnet: missing vnet name");
        assertThat(error(() -> vnet.vnet("create", "1st"))).startsWith("vnet: bad vnet name '1st' (accepted: a letter, then up to 31 letters, digits");
        assertThat(error(() -> vnet.vnet("create", "default"))).isEqualTo("vnet: vnet default already exists");
        assertThat(error(() -> vnet.vnet("create", "b", "c"))).startsWith("vnet: unexpected 'c'");
        assertThat(error(() -> vnet.vnet("destroy"))).startsWith("vnet: missing vnet name");
        assertThat(error(() -> vnet.vnet("destroy", "default"))).isEqualTo("vnet: the default vnet cannot be destroyed");
        assertThat(error(() -> vnet.vnet("destroy", "nope"))).isEqualTo("vnet: no vnet named nope");
        assertThat(sh.core().vnetNames()).containsExactly("default");
    }
}
