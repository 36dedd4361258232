package org.protosw.tcp.harness;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The harness checked against itself: a script that expects something the stack does not
 * send must fail, and say at which line and what differed. Each case changes one thing in a
 * script that passes ({@link #theUnchangedScriptPasses}), so the failure is that thing.
 */
class ScriptRunnerTest {
    /** A passive open and 10 bytes out; line 5 is the SYN-ACK, line 9 the data. */
    private static final String GOOD = """
            0      socket s
            +0     bind s 8080
            +0     listen s 1
            +0     < S 0:0(0) win 65535 <mss 1460>
            +0     > S. 0:0(0) ack 1 win 65535 <mss 1460>
            +.01   < . 1:1(0) ack 1 win 65535
            +0     accept s c
            +0     write c 10 = 10
            +0     > P. 1:11(10) ack 1 win 65535
            """;

    private static void run(String script) throws Exception {
        try (ScriptRunner r = new ScriptRunner()) {
            r.run(script);
        }
    }

    private static String with(String from, String to) {
        assertThat(GOOD).contains(from);
        return GOOD.replace(from, to);
    }

    @Test
    void theUnchangedScriptPasses() throws Exception {
        run(GOOD);
    }

    @Test
    void aWrongFlagFails() {
        assertThatThrownBy(() -> run(with("> S. 0:0(0)", "> S 0:0(0)")))
                .isInstanceOf(AssertionError.class)
                .hasMessageStartingWith("line 5: expected S 0:0(0) ack 1 win 65535 <mss 1460> but the stack sent S. 0:0(0) ack 1 win 65535 <mss 1460>")
                .hasMessageContaining("(flags S., expected S)");
    }

    @Test
    void aWrongSequenceFails() {
        assertThatThrownBy(() -> run(with("> P. 1:11(10)", "> P. 2:12(10)")))
                .isInstanceOf(AssertionError.class)
                .hasMessageStartingWith("line 9: expected P. 2:12(10)")
                .hasMessageContaining("(sequence 1:11(10), expected 2:12(10))");
    }

    @Test
    void aWrongAckFails() {
        assertThatThrownBy(() -> run(with("> S. 0:0(0) ack 1", "> S. 0:0(0) ack 2")))
                .isInstanceOf(AssertionError.class)
                .hasMessageStartingWith("line 5: expected S. 0:0(0) ack 2")
                .hasMessageContaining("(ack 1, expected 2)");
    }

    @Test
    void aWrongWindowFails() {
        assertThatThrownBy(() -> run(with("> P. 1:11(10) ack 1 win 65535", "> P. 1:11(10) ack 1 win 65534")))
                .isInstanceOf(AssertionError.class)
                .hasMessageStartingWith("line 9: expected P. 1:11(10) ack 1 win 65534")
                .hasMessageContaining("(window 65535, expected 65534)");
    }

    @Test
    void aWrongOptionValueFails() {
        assertThatThrownBy(() -> run(with("win 65535 <mss 1460>\n+.01", "win 65535 <mss 1400>\n+.01")))
                .isInstanceOf(AssertionError.class)
                .hasMessageStartingWith("line 5: ")
                .hasMessageContaining("(option 1 is 'mss 1460', expected 'mss 1400')");
    }

    @Test
    void anOptionTheStackDidNotSendFails() {
        assertThatThrownBy(() -> run(with("win 65535 <mss 1460>\n+.01", "win 65535 <mss 1460,nop,wscale 7>\n+.01")))
                .isInstanceOf(AssertionError.class)
                .hasMessageStartingWith("line 5: ")
                .hasMessageContaining("(option 2 is missing, expected 'nop')");
    }

    @Test
    void optionsLeftOutMeanNone() {
        assertThatThrownBy(() -> run(with("> S. 0:0(0) ack 1 win 65535 <mss 1460>", "> S. 0:0(0) ack 1 win 65535")))
                .isInstanceOf(AssertionError.class)
                .hasMessageStartingWith("line 5: ")
                .hasMessageContaining("(option 1 is 'mss 1460', expected none)");
    }

    @Test
    void aWrongTtlFails() {
        assertThatThrownBy(() -> run("0 ttl 63\n" + GOOD))
                .isInstanceOf(AssertionError.class)
                .hasMessageStartingWith("line 6: ")
                .hasMessageContaining("(IP TTL 64, expected 63)");
    }

    @Test
    void aSegmentThatNeverComesFails() {
        assertThatThrownBy(() -> run(GOOD + "+0     > . 11:11(0) ack 1 win 65535\n"))
                .isInstanceOf(AssertionError.class)
                .hasMessageStartingWith("line 10: expected . 11:11(0) ack 1 win 65535 by ")
                .hasMessageContaining("the stack sent nothing")
                // what did happen is listed, so the reader sees where the exchange stopped
                .hasMessageContaining("> P. 1:11(10) ack 1 win 65535");
    }

    @Test
    void anExtraSegmentAtTheEndFails() {
        String noDataExpected = GOOD.substring(0, GOOD.indexOf("+0     > P."));
        assertThatThrownBy(() -> run(noDataExpected))
                .isInstanceOf(AssertionError.class)
                .hasMessageStartingWith("line 8: the stack sent an unexpected segment at ")
                .hasMessageContaining(": P. 1:11(10) ack 1 win 65535");
    }

    @Test
    void anExtraSegmentBeforeTheNextStepFails() {
        assertThatThrownBy(() -> run(with("+0     > S. 0:0(0) ack 1 win 65535 <mss 1460>\n", "")))
                .isInstanceOf(AssertionError.class)
                .hasMessageStartingWith("line 5: the stack sent an unexpected segment at ")
                // not expected, so its ISN was never learned: the sequence number is absolute
                .hasMessageMatching("(?s).*: S\\. \\d+:\\d+\\(0\\) ack 1 win 65535 <mss 1460>.*");
    }

    @Test
    void payloadOtherThanWrittenIsNamed() {
        assertThat(ScriptRunner.payloadDiff("ABCDE".getBytes(StandardCharsets.US_ASCII), 0)).isNull();
        assertThat(ScriptRunner.payloadDiff("ZAB".getBytes(StandardCharsets.US_ASCII), 25)).isNull();
        assertThat(ScriptRunner.payloadDiff("ABXDE".getBytes(StandardCharsets.US_ASCII), 0))
                .isEqualTo("payload byte 2 (stream offset 2) is 88, expected 'C' as written");
    }

    @Test
    void anExpectedSegmentMustStateItsWindow() {
        assertThatThrownBy(() -> run(with("> P. 1:11(10) ack 1 win 65535", "> P. 1:11(10) ack 1")))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("line 9: an expected segment states its window: 'win N' (or 'win *' with a comment saying why)");
    }

    @Test
    void aWildcardNeedsAComment() throws Exception {
        assertThatThrownBy(() -> run(with("> P. 1:11(10) ack 1 win 65535", "> P. 1:11(10) ack 1 win *")))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("line 9: 'win *' needs a comment on its line saying why the window cannot be known");
        assertThatThrownBy(() -> ScriptParser.parse("0 > S. 0:0(0) ack 1 win 65535 <mss *>"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("line 1: the wildcard in option 'mss *' needs a comment on its line saying why");
        run(with("> P. 1:11(10) ack 1 win 65535", "> P. 1:11(10) ack 1 win *   # the harness's own test of a wildcard"));
    }

    @Test
    void anEmptyScriptFolderFails(@TempDir Path dir) throws Exception {
        Files.createDirectories(dir.resolve("handshake"));
        Files.writeString(dir.resolve("handshake/README"), "not a script");
        assertThatThrownBy(() -> SegmentScriptTest.scriptsUnder(dir))
                .isInstanceOf(AssertionError.class)
                .hasMessage("no segment scripts (*.pkt) under " + dir + ": nothing would be tested");
    }

    @Test
    void scriptsAreFoundInSubfolders(@TempDir Path dir) throws Exception {
        Files.createDirectories(dir.resolve("a/b"));
        Files.writeString(dir.resolve("a/b/deep.pkt"), GOOD);
        Files.writeString(dir.resolve("top.pkt"), GOOD);
        assertThat(SegmentScriptTest.scriptsUnder(dir)).containsExactly(dir.resolve("a/b/deep.pkt"), dir.resolve("top.pkt"));
    }
}
