package org.protosw.divert.internal.shell;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.protosw.divert.internal.DivertRules;
import org.protosw.divert.internal.RuleStore;
import org.protosw.divert.internal.TestAccess;

/** {@code divert:rule}: what it accepts, what it prints, and one line for each bad word. */
class RuleCommandTest {
    private RuleStore store;
    private DivertRules rules;
    private RuleCommand cmd;

    @BeforeEach
    void setUp() {
        store = RuleStore.inMemory();
        rules = new DivertRules(store);
        TestAccess.attach(rules, "default");
        TestAccess.attach(rules, "b");
        cmd = new RuleCommand(rules);
    }

    @Test
    void addListDeleteAndTheStore() {
        assertThat(cmd.execute("add", "200", "tee", "8669", "tcp", "from", "10.0.0.0/8", "to", "any", "80", "out", "via", "epair0a"))
                .isEqualTo("00200 tee 8669 tcp from 10.0.0.0/8 to any 80 out via epair0a\n");
        assertThat(cmd.execute("add", "100", "divert", "8668", "udp", "from", "any", "to", "192.0.2.1", "in"))
                .isEqualTo("00100 divert 8668 udp from any to 192.0.2.1 in\n");
        cmd.execute("-j", "b", "add", "5", "divert", "1", "ip", "from", "any", "to", "any");
        assertThat(cmd.execute("list")).isEqualTo(
                "rule  packets bytes action\n"
                + "00100       0     0 divert 8668 udp from any to 192.0.2.1 in\n"
                + "00200       0     0 tee 8669 tcp from 10.0.0.0/8 to any 80 out via epair0a\n");
        assertThat(store.load()).containsEntry("rule.100", "divert 8668 udp from any to 192.0.2.1 in")
                .containsEntry("rule.200", "tee 8669 tcp from 10.0.0.0/8 to any 80 out via epair0a")
                .containsEntry("rule.b.5", "divert 1 ip from any to any")
                .hasSize(3);

        // a new rule set (the bundle loaded again) reads them back
        DivertRules again = new DivertRules(store);
        TestAccess.attach(again, "default");
        TestAccess.attach(again, "b");
        assertThat(new RuleCommand(again).execute("list")).isEqualTo(cmd.execute("list"));
        assertThat(new RuleCommand(again).execute("-j", "b", "list")).contains("00005 ").contains("divert 1 ip from any to any");

        cmd.execute("delete", "100");
        assertThat(cmd.execute("list")).doesNotContain("00100");
        assertThat(store.load()).doesNotContainKey("rule.100");
        assertThatThrownBy(() -> cmd.execute("delete", "100")).hasMessage("rule delete: no rule 100 in vnet default");
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
        "add 0 divert 1 ip from any to any | rule add: rule number 0 is out of range (accepted: 1 to 65534)",
        "add x divert 1 ip from any to any | rule add: 'x' is not a number for rule number (accepted: 1 to 65534)",
        "add 1 drop 1 ip from any to any | rule add: unknown action 'drop' (accepted: divert, tee)",
        "add 1 divert 70000 ip from any to any | rule add: divert port 70000 is out of range (accepted: 1 to 65535)",
        "add 1 divert 1 sctp from any to any | rule add: unknown protocol 'sctp' (accepted: ip, icmp, tcp, udp or a number 0 to 255)",
        "add 1 divert 1 300 from any to any | rule add: protocol 300 is out of range (accepted: 0 to 255)",
        "add 1 divert 1 ip form any to any | rule add: expected 'from', got 'form'",
        "add 1 divert 1 ip from 10.0.0.300 to any | rule add: bad address '10.0.0.300' (accepted: any, a.b.c.d, a.b.c.d/len)",
        "add 1 divert 1 ip from 10.0.0.0/33 to any | rule add: bad prefix length '33' in '10.0.0.0/33' (accepted: 0 to 32)",
        "add 1 divert 1 icmp from any 53 to any | rule add: port '53' given for protocol icmp (ports are accepted only with tcp or udp)",
        "add 1 divert 1 udp from any 0 to any | rule add: port 0 is out of range (accepted: 1 to 65535)",
        "add 1 divert 1 udp from any to any sideways | rule add: unexpected 'sideways' after the destination (accepted: in, out, via IFNAME)",
        "add 1 divert 1 udp from any to any via | rule add: missing interface name after via",
        "add 1 divert 1 udp from any | rule add: missing 'to'",
        "add 1 | rule add: missing action (accepted: divert, tee)",
        "-j nowhere add 1 divert 1 ip from any to any | rule add: divert does not run in vnet 'nowhere' (vnets: b, default)",
    })
    void eachBadWordIsNamedWithWhatIsAccepted(String line, String message) {
        assertThatThrownBy(() -> cmd.execute(line.split(" ")))
                .isInstanceOf(CommandException.class)
                .hasMessage(message)
                .satisfies(e -> assertThat(e.getMessage()).doesNotContain("\n"));
    }

    @Test
    void unknownSubcommandsAndOptionsShowTheUsage() {
        assertThatThrownBy(() -> cmd.execute("frobnicate"))
                .hasMessage("rule: unknown subcommand 'frobnicate' (accepted: list, add, delete) (usage: " + RuleCommand.USAGE + ")");
        assertThatThrownBy(() -> cmd.execute("-x", "list"))
                .hasMessage("rule: unknown option '-x' (accepted: -j vnet) (usage: " + RuleCommand.USAGE + ")");
    }

    @Test
    void aTakenNumberIsRefused() {
        cmd.execute("add", "1", "divert", "1", "ip", "from", "any", "to", "any");
        assertThatThrownBy(() -> cmd.execute("add", "1", "tee", "2", "ip", "from", "any", "to", "any"))
                .hasMessage("rule add: rule 1 exists in vnet default (delete it first or pick another number)");
    }
}
