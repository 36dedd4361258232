package org.protosw.internal.shell;

import static org.assertj.core.api.Assertions.assertThat;
import static org.protosw.internal.shell.Shell.error;
import static org.protosw.internal.shell.Shell.out;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.protosw.internal.kern.Vnet;
import org.protosw.internal.net.NetInterface;
import org.protosw.socket.InAddr;
import org.protosw.spi.IfAddr;
import org.protosw.spi.IfNet;
import org.protosw.spi.Route;

class IfconfigCommandTest {
    private Shell sh;
    private IfconfigCommand ifconfig;
    private Vnet dflt;

    @BeforeEach
    void setUp() throws Exception {
        sh = new Shell();
        ifconfig = sh.command(new IfconfigCommand());
        dflt = sh.stack.stack();
    }

    @AfterEach
    void tearDown() {
        sh.close();
    }

    @Test
    void listsTheLoopbackAsFreeBsdDoes() {
        assertThat(out(() -> ifconfig.ifconfig())).isEqualTo("""
                lo0: flags=8049<UP,LOOPBACK,RUNNING,MULTICAST> mtu 65535
                \tinet 127.0.0.1 netmask 0xff000000
                \tgroups: loopback
                """);
        assertThat(out(() -> ifconfig.ifconfig("-a"))).isEqualTo(out(() -> ifconfig.ifconfig()));
        assertThat(out(() -> ifconfig.ifconfig("lo0"))).isEqualTo(out(() -> ifconfig.ifconfig()));
    }

    @Test
    void createsAnEpairAndConfiguresAddressMtuAndState() {
        assertThat(out(() -> ifconfig.ifconfig("epair", "create"))).isEqualTo("epair0a\n");
        NetInterface a = dflt.interfaces().byName("epair0a");
        assertThat(a).isNotNull();
        assertThat(dflt.interfaces().byName("epair0b")).isNotNull();

        assertThat(out(() -> ifconfig.ifconfig("epair0a", "inet", "192.0.2.1/24", "mtu", "1400", "down"))).isEmpty();
        assertThat(a.addresses()).containsExactly(new IfAddr(InAddr.parse("192.0.2.1"), 24, InAddr.parse("192.0.2.255")));
        assertThat(a.mtu()).isEqualTo(1400);
        assertThat(a.flags() & IfNet.IFF_UP).isZero();
        Route connected = dflt.ip().routes().get(InAddr.parse("192.0.2.0"), 24);
        assertThat(connected).isNotNull();
        assertThat(connected.ifp()).isSameAs(a);

        assertThat(out(() -> ifconfig.ifconfig("epair0a"))).isEqualTo("""
                epair0a: flags=8002<BROADCAST,MULTICAST> mtu 1400
                \tinet 192.0.2.1 netmask 0xffffff00 broadcast 192.0.2.255
                \tgroups: epair  peer: epair0b
                """);
        ifconfig.ifconfig("epair0a", "up");
        assertThat(out(() -> ifconfig.ifconfig("epair0a"))).startsWith("epair0a: flags=8043<UP,BROADCAST,RUNNING,MULTICAST> mtu 1400\n");
    }

    @Test
    void withoutALengthTheClassfulMaskApplies() {
        ifconfig.ifconfig("epair", "create");
        ifconfig.ifconfig("epair0a", "inet", "10.1.2.3", "inet", "172.16.1.1", "inet", "192.168.7.1", "alias");
        assertThat(dflt.interfaces().byName("epair0a").addresses()).extracting(IfAddr::prefixLength).containsExactly(8, 16, 24);
    }

    @Test
    void removesAddressesThreeWaysAndTheirRoutes() {
        ifconfig.ifconfig("epair", "create");
        ifconfig.ifconfig("epair0a", "inet", "192.0.2.1/24", "inet", "198.51.100.1/24", "inet", "203.0.113.1/24");
        NetInterface a = dflt.interfaces().byName("epair0a");
        ifconfig.ifconfig("epair0a", "inet", "192.0.2.1", "delete");
        ifconfig.ifconfig("epair0a", "-alias", "198.51.100.1");
        ifconfig.ifconfig("epair0a", "inet", "203.0.113.1/24", "-alias");
        assertThat(a.addresses()).isEmpty();
        assertThat(dflt.ip().routes().list()).extracting(r -> r.ifp().name()).containsOnly("lo0");
    }

    @Test
    void destroyingOneEndTakesThePeerToo() {
        ifconfig.ifconfig("epair", "create");
        ifconfig.ifconfig("epair0a", "inet", "192.0.2.1/24");
        assertThat(out(() -> ifconfig.ifconfig("epair0b", "destroy"))).isEmpty();
        assertThat(dflt.interfaces().list()).extracting(NetInterface::name).containsExactly("lo0");
        assertThat(dflt.ip().routes().get(InAddr.parse("192.0.2.0"), 24)).isNull();
    }

    @Test
    void movesAnInterfaceIntoAnotherVnetWithoutItsAddresses() throws Exception {
        Vnet b = sh.stack.createVnet("b");
        ifconfig.ifconfig("epair", "create");
        ifconfig.ifconfig("epair0b", "inet", "192.0.2.2/24");
        assertThat(out(() -> ifconfig.ifconfig("epair0b", "vnet", "b")))
                .isEqualTo("epair0b: addresses [192.0.2.2/24] removed on the move to vnet b\n");
        assertThat(dflt.interfaces().byName("epair0b")).isNull();
        NetInterface moved = b.interfaces().byName("epair0b");
        assertThat(moved.addresses()).isEmpty();
        assertThat(dflt.ip().routes().get(InAddr.parse("192.0.2.0"), 24)).isNull();

        ifconfig.ifconfig("-j", "b", "epair0b", "inet", "192.0.2.2/24", "up");
        assertThat(moved.addresses()).hasSize(1);
        assertThat(out(() -> ifconfig.ifconfig("-a", "-j", "b"))).contains("lo0: ", "epair0b: ", "inet 192.0.2.2 netmask 0xffffff00 broadcast 192.0.2.255")
                .doesNotContain("epair0a:");
        // moving into its own vnet is nothing to do
        assertThat(out(() -> ifconfig.ifconfig("-j", "b", "epair0b", "vnet", "b"))).isEmpty();
        assertThat(moved.addresses()).hasSize(1);
    }

    @Test
    void badOptionsAndNamesSayWhatIsAccepted() {
        assertThat(error(() -> ifconfig.ifconfig("-x"))).startsWith("ifconfig: unknown option '-x' (accepted: -j vnet, -a)");
        assertThat(error(() -> ifconfig.ifconfig("-j"))).startsWith("ifconfig: missing vnet name after -j");
        assertThat(error(() -> ifconfig.ifconfig("-j", "nope"))).isEqualTo("ifconfig: no vnet named 'nope' (known: default)");
        assertThat(error(() -> ifconfig.ifconfig("eth0"))).isEqualTo("ifconfig: interface eth0 does not exist in vnet default (known: lo0)");
        assertThat(error(() -> ifconfig.ifconfig("gif0", "create"))).contains("cannot create 'gif0'", "accepted: epair create", "tunN create");
        assertThat(error(() -> ifconfig.ifconfig("epair5", "create"))).contains("cannot create 'epair5'", "accepted: epair create");
        assertThat(error(() -> ifconfig.ifconfig("epair", "create", "now"))).startsWith("ifconfig: unexpected 'now'");
        assertThat(dflt.interfaces().list()).hasSize(1);
    }

    @Test
    void badSettingsSayWhatIsAcceptedAndChangeNothing() {
        ifconfig.ifconfig("epair", "create");
        NetInterface a = dflt.interfaces().byName("epair0a");
        assertThat(error(() -> ifconfig.ifconfig("lo0", "frobnicate")))
                .startsWith("ifconfig: unknown setting 'frobnicate' for lo0 (accepted: inet, -alias, mtu, up, down, vnet, or destroy alone)");
        assertThat(error(() -> ifconfig.ifconfig("epair0a", "mtu"))).startsWith("ifconfig: missing mtu");
        assertThat(error(() -> ifconfig.ifconfig("epair0a", "mtu", "big"))).startsWith("ifconfig: 'big' is not a number for mtu (accepted: 68 to 65535)");
        assertThat(error(() -> ifconfig.ifconfig("epair0a", "mtu", "67"))).startsWith("ifconfig: mtu 67 is out of range (accepted: 68 to 65535)");
        assertThat(error(() -> ifconfig.ifconfig("epair0a", "mtu", "65536"))).startsWith("ifconfig: mtu 65536 is out of range (accepted: 68 to 65535)");
        assertThat(a.mtu()).isEqualTo(1500);
        assertThat(error(() -> ifconfig.ifconfig("epair0a", "inet"))).startsWith("ifconfig: missing address after 'inet'");
        assertThat(error(() -> ifconfig.ifconfig("epair0a", "inet", "300.1.1.1/24"))).startsWith("ifconfig: not an IPv4 address: '300.1.1.1' (octet 300 is above 255)");
        assertThat(error(() -> ifconfig.ifconfig("epair0a", "inet", "example.org"))).startsWith("ifconfig: not an IPv4 address: 'example.org' (expected a.b.c.d");
        assertThat(error(() -> ifconfig.ifconfig("epair0a", "inet", "10.0.0.1/33"))).startsWith("ifconfig: prefix length 33 is out of range (accepted: 0 to 32)");
        assertThat(error(() -> ifconfig.ifconfig("epair0a", "inet", "10.0.0.1/x"))).startsWith("ifconfig: 'x' is not a number for prefix length (accepted: 0 to 32)");
        assertThat(error(() -> ifconfig.ifconfig("epair0a", "inet", "10.0.0.1", "netmask", "255.0.0.0")))
                .startsWith("ifconfig: give the prefix length as ADDR/LEN instead of netmask");
        assertThat(error(() -> ifconfig.ifconfig("epair0a", "inet", "127.0.0.1/8"))).isEqualTo("ifconfig: 127.0.0.1 is already configured on lo0");
        assertThat(a.addresses()).isEmpty();
        assertThat(error(() -> ifconfig.ifconfig("epair0a", "-alias"))).startsWith("ifconfig: missing address after -alias");
        assertThat(error(() -> ifconfig.ifconfig("epair0a", "-alias", "10.9.9.9"))).isEqualTo("ifconfig: epair0a has no address 10.9.9.9");
        assertThat(error(() -> ifconfig.ifconfig("epair0a", "inet", "10.9.9.9", "delete"))).isEqualTo("ifconfig: epair0a has no address 10.9.9.9");
        assertThat(error(() -> ifconfig.ifconfig("lo0", "destroy"))).isEqualTo("ifconfig: lo0 is the loopback interface of vnet default and cannot be destroyed");
        assertThat(error(() -> ifconfig.ifconfig("epair0a", "destroy", "now"))).startsWith("ifconfig: unexpected 'now'");
    }

    @Test
    void badMovesSayWhy() throws Exception {
        sh.stack.createVnet("b");
        ifconfig.ifconfig("epair", "create");
        assertThat(error(() -> ifconfig.ifconfig("lo0", "vnet", "b"))).isEqualTo("ifconfig: the loopback interface lo0 cannot leave vnet default");
        assertThat(error(() -> ifconfig.ifconfig("epair0a", "vnet"))).startsWith("ifconfig: missing vnet name after 'vnet'");
        assertThat(error(() -> ifconfig.ifconfig("epair0a", "vnet", "nope"))).isEqualTo("ifconfig: no vnet named 'nope' (known: default, b)");
        assertThat(dflt.interfaces().byName("epair0a")).isNotNull();
    }

    @Test
    void tunCreateChecksItsSettingsBeforeOpeningAnything() {
        assertThat(error(() -> ifconfig.ifconfig("tun0", "create", "speed", "10")))
                .startsWith("ifconfig: unknown setting 'speed' for tun0 create (accepted: mtu N, inet ADDR/LEN, host ADDR/LEN)");
        assertThat(error(() -> ifconfig.ifconfig("tun0", "create", "mtu", "65536"))).contains("mtu 65536 is out of range (accepted: 68 to 65535)");
        assertThat(error(() -> ifconfig.ifconfig("tun0", "create", "host", "192.0.2.2"))).contains("A.B.C.D/LEN");
        if (!org.protosw.internal.net.TunHost.inOtherNetns()) {
            assertThat(error(() -> ifconfig.ifconfig("tun0", "create", "host", "10.9.8.7/24")))
                    .startsWith("ifconfig: host 10.9.8.7/24 refused: in the host's own network namespace only RFC 5737 networks");
        }
        assertThat(dflt.interfaces().byName("tun0")).isNull();
        assertThat(error(() -> ifconfig.ifconfig("lo0", "create"))).contains("or tunN create");
    }
}
