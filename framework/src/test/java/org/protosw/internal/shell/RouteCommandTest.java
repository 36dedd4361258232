package org.protosw.internal.shell;

import static org.assertj.core.api.Assertions.assertThat;
import static org.protosw.internal.shell.Shell.error;
import static org.protosw.internal.shell.Shell.out;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.protosw.internal.kern.Vnet;
import org.protosw.socket.InAddr;
import org.protosw.spi.Route;

class RouteCommandTest {
    private Shell sh;
    private RouteCommand route;
    private Vnet dflt;

    @BeforeEach
    void setUp() throws Exception {
        sh = new Shell();
        route = sh.command(new RouteCommand());
        dflt = sh.stack.stack();
        IfconfigCommand ifconfig = sh.command(new IfconfigCommand());
        out(() -> ifconfig.ifconfig("epair", "create"));
        ifconfig.ifconfig("epair0a", "inet", "192.0.2.1/24");
    }

    @AfterEach
    void tearDown() {
        sh.close();
    }

    @Test
    void showsTheTableWithAlignedColumns() {
        String expected = """
                Routing tables (vnet default)

                Internet:
                Destination   Gateway  Flags  Netif      Mtu
                127.0.0.0/8   link#1   U      lo0      65535
                192.0.2.0/24  link#2   U      epair0a   1500
                """;
        assertThat(out(() -> route.route())).isEqualTo(expected);
        assertThat(out(() -> route.route("show"))).isEqualTo(expected);
        assertThat(out(() -> route.route("-n", "show"))).isEqualTo(expected);
    }

    @Test
    void addsNetHostAndDefaultRoutes() {
        assertThat(out(() -> route.route("add", "10.0.0.0/8", "192.0.2.2"))).isEqualTo("add net 10.0.0.0/8: gateway 192.0.2.2\n");
        assertThat(out(() -> route.route("add", "10.9.9.9", "-interface", "epair0a", "-mtu", "1280"))).isEqualTo("add host 10.9.9.9: interface epair0a\n");
        assertThat(out(() -> route.route("add", "default", "192.0.2.254"))).isEqualTo("add net default: gateway 192.0.2.254\n");
        assertThat(out(() -> route.route("add", "-net", "172.16.0.0/12", "-iface", "epair0a"))).isEqualTo("add net 172.16.0.0/12: interface epair0a\n");
        assertThat(out(() -> route.route("add", "-host", "198.51.100.7", "192.0.2.2"))).isEqualTo("add host 198.51.100.7: gateway 192.0.2.2\n");

        Route net = dflt.ip().routes().get(InAddr.parse("10.0.0.0"), 8);
        assertThat(net.gateway()).isEqualTo(InAddr.parse("192.0.2.2"));
        assertThat(net.ifp().name()).isEqualTo("epair0a");
        assertThat(net.ifaddr()).isEqualTo(InAddr.parse("192.0.2.1"));
        assertThat(net.flags() & (Route.RTF_GATEWAY | Route.RTF_STATIC | Route.RTF_UP)).isEqualTo(Route.RTF_GATEWAY | Route.RTF_STATIC | Route.RTF_UP);
        Route host = dflt.ip().routes().get(InAddr.parse("10.9.9.9"), 32);
        assertThat(host.gateway()).isNull();
        assertThat(host.effectiveMtu()).isEqualTo(1280);
        assertThat(host.flags() & Route.RTF_HOST).isNotZero();
        assertThat(dflt.ip().routes().lookup(InAddr.parse("203.0.113.1").bits()).gateway()).isEqualTo(InAddr.parse("192.0.2.254"));

        assertThat(out(() -> route.route("show"))).isEqualTo("""
                Routing tables (vnet default)

                Internet:
                Destination    Gateway      Flags  Netif      Mtu
                default        192.0.2.254  UGS    epair0a   1500
                10.0.0.0/8     192.0.2.2    UGS    epair0a   1500
                10.9.9.9       link#2       UHS    epair0a   1280
                127.0.0.0/8    link#1       U      lo0      65535
                172.16.0.0/12  link#2       US     epair0a   1500
                192.0.2.0/24   link#2       U      epair0a   1500
                198.51.100.7   192.0.2.2    UGHS   epair0a   1500
                """);
    }

    @Test
    void getShowsTheRouteAPacketTakes() {
        route.route("add", "10.0.0.0/8", "192.0.2.2");
        assertThat(out(() -> route.route("get", "10.1.2.3"))).isEqualTo("""
                   route to: 10.1.2.3
                destination: 10.0.0.0
                       mask: 255.0.0.0
                    gateway: 192.0.2.2
                  interface: epair0a
                      flags: <UGS>
                        mtu: 1500
                """);
        assertThat(out(() -> route.route("get", "192.0.2.9"))).contains("    gateway: (direct)\n", "  interface: epair0a\n");
    }

    @Test
    void deletesRoutesAndSaysWhichWent() {
        route.route("add", "10.0.0.0/8", "192.0.2.2");
        route.route("add", "default", "192.0.2.254");
        route.route("add", "10.9.9.9", "-interface", "epair0a");
        assertThat(out(() -> route.route("delete", "10.0.0.0/8"))).isEqualTo("delete net 10.0.0.0/8: gateway 192.0.2.2\n");
        assertThat(out(() -> route.route("delete", "default"))).isEqualTo("delete net default: gateway 192.0.2.254\n");
        assertThat(out(() -> route.route("delete", "-host", "10.9.9.9"))).isEqualTo("delete host 10.9.9.9: interface epair0a\n");
        assertThat(dflt.ip().routes().list()).hasSize(2);
    }

    @Test
    void picksTheVnetWithJ() throws Exception {
        sh.stack.createVnet("b");
        assertThat(out(() -> route.route("-j", "b"))).startsWith("Routing tables (vnet b)\n").doesNotContain("epair0a");
        assertThat(out(() -> route.route("-n", "-j", "b", "show"))).startsWith("Routing tables (vnet b)\n");
    }

    @Test
    void badWordsSayWhatIsAccepted() {
        assertThat(error(() -> route.route("flush"))).startsWith("route: unknown subcommand 'flush' (accepted: show, add, delete, get)");
        assertThat(error(() -> route.route("-x"))).startsWith("route: unknown option '-x' (accepted: -j vnet, -n)");
        assertThat(error(() -> route.route("-j", "nope"))).isEqualTo("route: no vnet named 'nope' (known: default)");
        assertThat(error(() -> route.route("show", "all"))).startsWith("route: unexpected 'all'");
        assertThat(error(() -> route.route("add"))).startsWith("route: missing destination (A.B.C.D[/LEN] or default)");
        assertThat(error(() -> route.route("add", "10.0.0.0/8"))).startsWith("route: missing gateway (or -interface IF)");
        assertThat(error(() -> route.route("add", "10.0.0.1/8", "192.0.2.2")))
                .startsWith("route: 10.0.0.1/8 has host bits set beyond /8 (did you mean 10.0.0.0/8?)");
        assertThat(error(() -> route.route("add", "10.0.0.0/40", "192.0.2.2"))).startsWith("route: prefix length 40 is out of range (accepted: 0 to 32)");
        assertThat(error(() -> route.route("add", "10.0.0.0/8", "192.0.2.300"))).startsWith("route: not an IPv4 address: '192.0.2.300'");
        assertThat(error(() -> route.route("add", "ten/8", "192.0.2.2"))).startsWith("route: not an IPv4 address: 'ten'");
        assertThat(error(() -> route.route("add", "10.0.0.0/8", "198.51.100.1")))
                .isEqualTo("route: add net 10.0.0.0/8: gateway 198.51.100.1 is not on a directly attached network (Network is unreachable)");
        assertThat(error(() -> route.route("add", "10.0.0.0/8", "192.0.2.2", "192.0.2.3")))
                .startsWith("route: unexpected '192.0.2.3' (accepted after the destination: GATEWAY, -interface IF, -mtu N)");
        assertThat(error(() -> route.route("add", "10.0.0.0/8", "-blackhole")))
                .startsWith("route: unexpected '-blackhole' (accepted after the destination: GATEWAY, -interface IF, -mtu N)");
        assertThat(error(() -> route.route("add", "10.0.0.0/8", "-interface"))).startsWith("route: missing interface after -interface");
        assertThat(error(() -> route.route("add", "10.0.0.0/8", "-interface", "eth9")))
                .isEqualTo("route: interface eth9 does not exist in vnet default (known: lo0, epair0a, epair0b)");
        assertThat(error(() -> route.route("add", "10.0.0.0/8", "-interface", "epair0b"))).isEqualTo("route: add net 10.0.0.0/8: interface epair0b has no address to send from");
        assertThat(error(() -> route.route("add", "10.0.0.0/8", "192.0.2.2", "-interface", "lo0")))
                .isEqualTo("route: add net 10.0.0.0/8: gateway 192.0.2.2 is reached through epair0a, not lo0");
        assertThat(error(() -> route.route("add", "10.0.0.0/8", "192.0.2.2", "-mtu", "10"))).startsWith("route: mtu 10 is out of range (accepted: 68 to 65535)");
        assertThat(error(() -> route.route("add", "-net", "10.0.0.0", "192.0.2.2"))).startsWith("route: -net 10.0.0.0 needs a prefix length (-net A.B.C.D/LEN)");
        assertThat(error(() -> route.route("add", "-host", "10.0.0.0/8", "192.0.2.2"))).startsWith("route: -host 10.0.0.0/8 is a network");
        assertThat(dflt.ip().routes().list()).hasSize(2);

        route.route("add", "10.0.0.0/8", "192.0.2.2");
        assertThat(error(() -> route.route("add", "10.0.0.0/8", "192.0.2.3"))).isEqualTo("route: route 10.0.0.0/8 already in table");
        assertThat(error(() -> route.route("delete", "10.0.0.0/16"))).isEqualTo("route: route 10.0.0.0/16: not in table");
        assertThat(error(() -> route.route("delete"))).startsWith("route: missing destination");
        assertThat(error(() -> route.route("delete", "10.0.0.0/8", "192.0.2.2"))).startsWith("route: unexpected '192.0.2.2'");
        assertThat(error(() -> route.route("get"))).startsWith("route: missing address");
        assertThat(error(() -> route.route("get", "198.51.100.1"))).isEqualTo("route: get 198.51.100.1: no route to host (vnet default)");
        assertThat(dflt.ip().routes().list()).hasSize(3);
    }
}
