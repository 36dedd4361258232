package org.protosw.internal.shell;

import static org.assertj.core.api.Assertions.assertThat;
import static org.protosw.internal.shell.Shell.error;
import static org.protosw.internal.shell.Shell.out;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.protosw.internal.kern.StackCore;
import org.protosw.internal.kern.SysctlTree;
import org.protosw.internal.sw.ProtoSwRegistry;
import org.protosw.spi.StringTunable;

class SysctlCommandTest {
    private Shell sh;
    private SysctlCommand sysctl;

    @BeforeEach
    void setUp() throws Exception {
        sh = new Shell();
        sysctl = sh.command(new SysctlCommand());
    }

    @AfterEach
    void tearDown() {
        sh.close();
    }

    /** A store in a map, as Configuration Admin's properties are. */
    private static SysctlTree.Store mapStore(Map<String, String> saved) {
        return new SysctlTree.Store() {
            @Override
            public String load(String name) {
                return saved.get(name);
            }

            @Override
            public void save(String name, String value) {
                saved.put(name, value);
            }
        };
    }

    private long value(String vnet, String name) {
        return sh.core().vnet(vnet).sysctl().find(name).get();
    }

    @Test
    void readsOneAPrefixOrAll() {
        assertThat(out(() -> sysctl.sysctl("net.inet.ip.ttl"))).isEqualTo("net.inet.ip.ttl: 64\n");
        String icmp = """
                net.inet.icmp.bmcastecho: 0
                net.inet.icmp.icmplim: 200
                """;
        assertThat(out(() -> sysctl.sysctl("net.inet.icmp"))).isEqualTo(icmp);
        assertThat(out(() -> sysctl.sysctl("net.inet.icmp."))).isEqualTo(icmp);
        assertThat(out(() -> sysctl.sysctl("-d", "net.inet.ip.ttl"))).isEqualTo("net.inet.ip.ttl: Maximum TTL on IP packets\n");
        String all = out(() -> sysctl.sysctl());
        assertThat(all).isEqualTo(out(() -> sysctl.sysctl("-a")));
        assertThat(all.lines()).hasSize(sh.core().vnet("default").sysctl().list().size())
                .allMatch(l -> l.matches("[a-z][a-z0-9_.]*: -?\\d+"))
                .isSorted()
                .contains("net.inet.ip.ttl: 64", "net.inet.raw.recvspace: 9216");
    }

    @Test
    void setsValuesThatTheStackUses() {
        assertThat(out(() -> sysctl.sysctl("net.inet.ip.ttl=32", "net.inet.icmp.icmplim=0"))).isEqualTo("""
                net.inet.ip.ttl: 64 -> 32
                net.inet.icmp.icmplim: 200 -> 0
                """);
        assertThat(value("default", "net.inet.ip.ttl")).isEqualTo(32);
        assertThat(value("default", "net.inet.icmp.icmplim")).isZero();
        // the echo reply leaves with the new TTL
        PingCommand ping = sh.command(new PingCommand());
        assertThat(out(() -> ping.ping("-c", "1", "127.0.0.1"))).contains(": icmp_seq=0 ttl=32 time=");
    }

    @Test
    void eachVnetHasItsOwnValues() throws Exception {
        sh.stack.createVnet("b");
        assertThat(out(() -> sysctl.sysctl("-j", "b", "net.inet.ip.ttl=9"))).isEqualTo("net.inet.ip.ttl: 64 -> 9\n");
        assertThat(value("b", "net.inet.ip.ttl")).isEqualTo(9);
        assertThat(value("default", "net.inet.ip.ttl")).isEqualTo(64);
        assertThat(out(() -> sysctl.sysctl("-d", "-j", "b", "net.inet.ip.ttl"))).isEqualTo("net.inet.ip.ttl: Maximum TTL on IP packets\n");
    }

    @Test
    void aValueSetInTheShellIsSavedAndComesBackWithTheVnet() throws Exception {
        Map<String, String> saved = new ConcurrentHashMap<>();
        SysctlTree.Store store = mapStore(saved);
        StackCore core = new StackCore(new ProtoSwRegistry(), v -> store);
        try {
            core.createVnet("default");
            SysctlCommand cmd = new SysctlCommand();
            cmd.useCore(core);
            out(() -> cmd.sysctl("net.inet.ip.fragttl=15"));
            assertThat(saved).containsEntry("net.inet.ip.fragttl", "15");
            core.destroyVnet("default");
            core.createVnet("default");
            assertThat(out(() -> cmd.sysctl("net.inet.ip.fragttl"))).isEqualTo("net.inet.ip.fragttl: 15\n");
        } finally {
            core.shutdown();
        }
    }

    @Test
    void badWordsSayWhatIsAcceptedAndSetNothing() {
        assertThat(error(() -> sysctl.sysctl("-x"))).startsWith("sysctl: unknown option '-x' (accepted: -j vnet, -a, -d)");
        assertThat(error(() -> sysctl.sysctl("-j"))).startsWith("sysctl: missing vnet name after -j");
        assertThat(error(() -> sysctl.sysctl("-j", "nope"))).isEqualTo("sysctl: no vnet named 'nope' (known: default)");
        assertThat(error(() -> sysctl.sysctl("net.inet.nope"))).isEqualTo("sysctl: unknown oid 'net.inet.nope' (list them with net:sysctl -a)");
        assertThat(error(() -> sysctl.sysctl("net.inet.nope=1"))).isEqualTo("sysctl: unknown oid 'net.inet.nope' (list them with net:sysctl -a)");
        assertThat(error(() -> sysctl.sysctl("net.inet.ip.ttl=abc"))).isEqualTo("sysctl: net.inet.ip.ttl: 'abc' is not an integer (accepted: 1 to 255)");
        assertThat(error(() -> sysctl.sysctl("net.inet.ip.ttl="))).isEqualTo("sysctl: net.inet.ip.ttl: '' is not an integer (accepted: 1 to 255)");
        assertThat(error(() -> sysctl.sysctl("net.inet.ip.ttl=300"))).isEqualTo("sysctl: net.inet.ip.ttl: 300 is out of range (accepted: 1 to 255)");
        assertThat(error(() -> sysctl.sysctl("=5"))).startsWith("sysctl: '=5' has no name before '=' (accepted: NAME=VALUE as one word");
        // the first word is good, the second is not: nothing is set
        assertThat(error(() -> sysctl.sysctl("net.inet.ip.ttl=20", "net.inet.ip.ttl=0"))).isEqualTo("sysctl: net.inet.ip.ttl: 0 is out of range (accepted: 1 to 255)");
        assertThat(error(() -> sysctl.sysctl("net.inet.ip.ttl=20", "net.inet.typo"))).startsWith("sysctl: unknown oid 'net.inet.typo'");
        assertThat(value("default", "net.inet.ip.ttl")).isEqualTo(64);
    }

    @Test
    void wordTunablesAreShownSetAndCheckedLikeTheOthers() {
        var v = sh.core().vnet("default");
        try (StringTunable w = v.sysctl().registerString("net.inet.test.algorithm", "cubic",
                x -> x.equals("cubic") || x.equals("newreno") ? null : "no algorithm '" + x + "' (available: cubic, newreno)",
                "an algorithm name")) {
            assertThat(out(() -> sysctl.sysctl("net.inet.test"))).isEqualTo("net.inet.test.algorithm: cubic\n");
            assertThat(out(() -> sysctl.sysctl("-d", "net.inet.test.algorithm"))).isEqualTo("net.inet.test.algorithm: an algorithm name\n");
            assertThat(out(() -> sysctl.sysctl("net.inet.test.algorithm=newreno"))).isEqualTo("net.inet.test.algorithm: cubic -> newreno\n");
            assertThat(w.get()).isEqualTo("newreno");
            // checked before anything is set, with the tunable's own reason
            assertThat(error(() -> sysctl.sysctl("net.inet.ip.ttl=20", "net.inet.test.algorithm=bbr")))
                    .isEqualTo("sysctl: net.inet.test.algorithm: no algorithm 'bbr' (available: cubic, newreno)");
            assertThat(error(() -> sysctl.sysctl("net.inet.test.algorithm=")))
                    .isEqualTo("sysctl: net.inet.test.algorithm: the value must not be empty");
            assertThat(value("default", "net.inet.ip.ttl")).isEqualTo(64);
            assertThat(w.get()).isEqualTo("newreno");
            // listed among the integers, in name order
            String all = out(() -> sysctl.sysctl("-a"));
            assertThat(all).contains("net.inet.test.algorithm: newreno\n");
        }
        assertThat(v.sysctl().findString("net.inet.test.algorithm")).isNull();
    }

    @Test
    void aSavedWordComesBackEvenBeforeWhatItNamesExists() throws Exception {
        Map<String, String> saved = new ConcurrentHashMap<>();
        saved.put("net.inet.test.algorithm", "vegas");
        SysctlTree tree = new SysctlTree(mapStore(saved));
        StringTunable w = tree.registerString("net.inet.test.algorithm", "cubic", x -> "nothing is accepted", "");
        assertThat(w.get()).isEqualTo("vegas");
        assertThat(w.defaultValue()).isEqualTo("cubic");
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> tree.register("net.inet.test.algorithm", 1, 0, 2, ""))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("already registered");
    }
}
