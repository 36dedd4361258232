package org.protosw.internal.shell;

import static org.assertj.core.api.Assertions.assertThat;
import static org.protosw.internal.shell.Shell.error;

import java.util.List;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.protosw.socket.Socket;
import org.protosw.socket.SocketConstants;

/**
 * What Tab offers (net:complete, called by etc/gosh_profile with the word index and the
 * command line's words): names read from the live stack at the place they fit.
 */
class CompleteCommandTest {
    private Shell sh;
    private CompleteCommand complete;

    @BeforeEach
    void setUp() throws Exception {
        sh = new Shell();
        complete = sh.command(new CompleteCommand());
        sh.linkToB();
    }

    @AfterEach
    void tearDown() {
        sh.close();
    }

    private List<String> at(int index, String... words) {
        return complete.complete(String.valueOf(index), List.of(words));
    }

    @Test
    void theCommandWordIsEveryCommandItKnows() {
        assertThat(at(0, "")).contains("net:ifconfig", "net:sysctl", "net:netstat", "net:upgrade", "log:tail")
                .doesNotHaveDuplicates();
        assertThat(complete.complete("commands")).isEqualTo(at(0, ""));
    }

    @Test
    void interfacesOfTheVnetTheLineNames() {
        assertThat(at(1, "ifconfig", "")).containsExactly("lo0", "epair0a", "epair");
        // -j b on the line: b's interfaces
        assertThat(at(3, "net:ifconfig", "-j", "b", "")).containsExactly("lo0", "epair0b", "epair");
        assertThat(at(2, "net:ifconfig", "-j", "")).containsExactly("b", "default");
        assertThat(at(2, "net:ifconfig", "epair0a", "")).contains("inet", "mtu", "up", "down", "vnet");
        assertThat(at(3, "net:ifconfig", "epair0a", "vnet", "")).containsExactly("b", "default");
    }

    @Test
    void sysctlNamesSocketIdsAddressesAndLevels() throws Exception {
        assertThat(at(1, "net:sysctl", "")).contains("net.inet.ip.ttl", "kern.ipc.somaxconn", "kern.ipc.maxsockets")
                .filteredOn(n -> n.startsWith("net.inet.ip.tt")).containsExactly("net.inet.ip.ttl");
        Socket so = sh.stack.stack().socket(SocketConstants.AF_INET, SocketConstants.SOCK_DGRAM, Shell.TDGRAM);
        try {
            assertThat(complete.complete("sockets")).hasSize(1).allMatch(id -> id.matches("[0-9]+"));
        } finally {
            so.close();
        }
        assertThat(complete.complete("sockets")).isEmpty();
        assertThat(at(1, "net:ping", "")).contains("127.0.0.1", "192.0.2.1");
        assertThat(at(2, "net:ping", "-S", "")).contains("192.0.2.1");
        assertThat(at(2, "log:tail", "-l", "")).containsExactly("TRACE", "DEBUG", "INFO", "WARN", "ERROR");
        assertThat(at(1, "net:upgrade", "")).contains("tdgram");
    }

    @Test
    void pipeWordsFollowTheirGrammar() {
        assertThat(at(1, "net:pipe", "")).startsWith("show", "list");
        assertThat(at(2, "net:pipe", "1", "")).containsExactly("config", "delete", "attach", "detach");
        assertThat(at(3, "net:pipe", "1", "attach", "")).containsExactly("lo0", "epair0a");
        assertThat(at(4, "net:pipe", "1", "attach", "epair0a", "")).containsExactly("in", "out");
        assertThat(at(3, "net:pipe", "1", "config", "")).contains("bw", "delay", "plr");
        // after a keyword comes its value: nothing to offer
        assertThat(at(4, "net:pipe", "1", "config", "bw", "")).isEmpty();
    }

    @Test
    void optionsOnADashAndNothingForWhatItDoesNotKnow() {
        assertThat(complete.complete("options", "netstat")).contains("j", "a", "n", "T", "p", "s");
        assertThat(complete.complete("options", "net:systat")).containsExactly("j", "n", "w", "c");
        assertThat(at(1, "felix:lb", "")).isEmpty();
        assertThat(at(5, "net:sysctl", "")).isEmpty();
        // a vnet that does not exist: nothing, not an error in the middle of typing
        assertThat(at(3, "net:ifconfig", "-j", "nosuch", "")).isEmpty();
    }

    @Test
    void badArgumentsSayWhatIsAccepted() {
        assertThat(error(() -> complete.complete("colours"))).startsWith("complete: unknown kind 'colours'").doesNotContain("\n");
        assertThat(error(() -> complete.complete("options", "nosuch")))
                .startsWith("complete: no completion for 'nosuch' (known: net:ifconfig, ");
        assertThat(error(() -> complete.complete())).contains("usage: " + CompleteCommand.USAGE);
    }

    /** A command of another bundle, with the rules tcp:cc declares in its protosw.complete property. */
    @Test
    void anotherBundlesCommandCompletesFromTheGrammarItDeclares() {
        assertThat(complete.contribute("tcp", "cc", new String[] {"-j=@vnets", "1=list|set|unload|load", "after:set=default"},
                "org.protosw.tcp")).containsExactly("tcp:cc");
        assertThat(at(0, "")).contains("net:ifconfig", "tcp:cc");
        assertThat(complete.complete("options", "tcp:cc")).containsExactly("j");
        assertThat(at(1, "tcp:cc", "")).containsExactly("list", "set", "unload", "load");
        assertThat(at(2, "tcp:cc", "-j", "")).containsExactly("b", "default");
        // an option and its value do not count as positional words
        assertThat(at(3, "tcp:cc", "-j", "b", "")).containsExactly("list", "set", "unload", "load");
        assertThat(at(4, "tcp:cc", "-j", "b", "set", "")).containsExactly("default");
        assertThat(at(2, "tcp:cc", "load", "")).isEmpty();
    }

    @Test
    void kindsInADeclaredGrammarAreReadFromTheVnetOnTheLine() {
        complete.contribute("divert", new String[] {"rule"}, new String[] {"-j=@vnets", "after:via=@interfaces", "-z"}, "b");
        assertThat(at(2, "divert:rule", "via", "")).containsExactly("lo0", "epair0a");
        assertThat(at(4, "divert:rule", "-j", "b", "via", "")).containsExactly("lo0", "epair0b");
        assertThat(complete.complete("options", "divert:rule")).containsExactly("j", "z");
    }

    @Test
    void aGrammarItCannotReadIsLeftOutAndTheRestStillCompletes() {
        assertThat(complete.contribute("x", "bad", new String[] {"-j=@nosuchkind"}, "bundle x")).isEmpty();
        assertThat(complete.contribute("x", "worse", new String[] {"what?"}, "bundle x")).isEmpty();
        assertThat(at(0, "")).doesNotContain("x:bad", "x:worse").contains("net:ifconfig");
        assertThat(at(1, "x:bad", "")).isEmpty();
    }
}
