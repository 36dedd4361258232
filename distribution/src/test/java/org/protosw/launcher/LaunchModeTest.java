package org.protosw.launcher;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;

class LaunchModeTest {

    @Test
    void noArgumentIsTheInteractiveShell() throws Exception {
        assertThat(LaunchMode.parse()).isEqualTo(new LaunchMode.Interactive());
    }

    @Test
    void dashCTakesTheWholeCommandAsOneArgument() throws Exception {
        assertThat(LaunchMode.parse("-c", "lb -s")).isEqualTo(new LaunchMode.Command("lb -s"));
        assertThat(LaunchMode.parse("--command", "lb")).isEqualTo(new LaunchMode.Command("lb"));
    }

    @Test
    void scriptTakesAFileInEitherSpelling() throws Exception {
        assertThat(LaunchMode.parse("--script", "run.gosh")).isEqualTo(new LaunchMode.Script(Path.of("run.gosh")));
        assertThat(LaunchMode.parse("--script=run.gosh")).isEqualTo(new LaunchMode.Script(Path.of("run.gosh")));
    }

    @Test
    void helpInBothSpellings() throws Exception {
        assertThat(LaunchMode.parse("-h")).isEqualTo(new LaunchMode.Help());
        assertThat(LaunchMode.parse("--help")).isEqualTo(new LaunchMode.Help());
    }

    @Test
    void unknownOptionIsNamed() {
        assertThatThrownBy(() -> LaunchMode.parse("-x"))
                .isInstanceOf(LaunchMode.UsageException.class)
                .hasMessage("unknown option '-x'");
    }

    @Test
    void missingOrEmptyCommandIsRefused() {
        assertThatThrownBy(() -> LaunchMode.parse("-c")).hasMessageContaining("needs a command");
        assertThatThrownBy(() -> LaunchMode.parse("-c", "  ")).hasMessageContaining("empty command");
        assertThatThrownBy(() -> LaunchMode.parse("--script")).hasMessageContaining("needs a file");
    }

    @Test
    void wordsAfterTheCommandAskForQuotes() {
        assertThatThrownBy(() -> LaunchMode.parse("-c", "lb", "-s"))
                .hasMessage("unexpected argument '-s' (quote the whole command: -c 'lb -s')");
    }

    @Test
    void strayArgumentIsRefused() {
        assertThatThrownBy(() -> LaunchMode.parse("lb")).hasMessage("unexpected argument 'lb'");
        assertThatThrownBy(() -> LaunchMode.parse("--script=a", "b")).hasMessage("unexpected argument 'b'");
    }
}
