package org.protosw.divert.internal.shell;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** {@code divert:diverter}: one line for each bad word. */
class DiverterCommandTest {
    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
        "start | missing divert port",
        "start x | 'x' is not a divert port (accepted: 1 to 65535)",
        "start 0 | divert port 0 is out of range (accepted: 1 to 65535)",
        "start 8668 fast | unknown option 'fast' (accepted: count, rewrite HEXFROM HEXTO)",
        "start 8668 rewrite 4g 41 | '4g' is not hex bytes (accepted: an even number of hex digits, e.g. 414243)",
        "start 8668 rewrite 4142 41 | rewrite 2 bytes into 1 (accepted: HEXFROM and HEXTO of the same length)",
        "start 8668 rewrite 41 | missing HEXTO after rewrite 41",
        "launch | unknown subcommand 'launch' (accepted: start, stop, list)",
    })
    void eachBadWordIsNamedWithWhatIsAccepted(String line, String problem) {
        assertThatThrownBy(() -> new DiverterCommand().execute(line.split(" ")))
                .isInstanceOf(CommandException.class)
                .hasMessage("diverter: " + problem + " (usage: " + DiverterCommand.USAGE + ")");
    }
}
