package org.protosw.internal.shell;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class ArgsTest {
    private static Args args(String... words) {
        return new Args("cmd", "cmd [-j vnet] [-a] N", words);
    }

    @Test
    void leadingOptionsComeInAnyOrderAndStopAtTheFirstOtherWord() {
        Args a = args("-a", "-j", "b", "7", "-a");
        Args.Options o = a.options("-a");
        assertThat(o.vnet()).isEqualTo("b");
        assertThat(o.has("-a")).isTrue();
        assertThat(a.nextInt("N", 1, 9)).isEqualTo(7);
        assertThat(a.rest()).containsExactly("-a");
        assertThat(args().options("-a").vnet()).isNull();
    }

    @Test
    void nullWordsFromTheShellAreDropped() {
        Args a = new Args("cmd", "cmd", new String[] {null, "x", null});
        assertThat(a.next("word")).isEqualTo("x");
        assertThat(a.isEmpty()).isTrue();
        assertThat(new Args("cmd", "cmd", null).isEmpty()).isTrue();
    }

    @Test
    void failuresNameTheCommandTheWordAndTheUsage() {
        assertThatThrownBy(() -> args("-q").options("-a"))
                .hasMessage("cmd: unknown option '-q' (accepted: -j vnet, -a) (usage: cmd [-j vnet] [-a] N)");
        assertThatThrownBy(() -> args("-j").options()).hasMessage("cmd: missing vnet name after -j (usage: cmd [-j vnet] [-a] N)");
        assertThatThrownBy(() -> args().next("N")).hasMessage("cmd: missing N (usage: cmd [-j vnet] [-a] N)");
        assertThatThrownBy(() -> args("ten").nextInt("N", 1, 9)).hasMessage("cmd: 'ten' is not a number for N (accepted: 1 to 9) (usage: cmd [-j vnet] [-a] N)");
        assertThatThrownBy(() -> args("10").nextInt("N", 1, 9)).hasMessage("cmd: N 10 is out of range (accepted: 1 to 9) (usage: cmd [-j vnet] [-a] N)");
        assertThatThrownBy(() -> args("1.2.3").nextAddr("address")).isInstanceOf(CommandException.class)
                .hasMessageStartingWith("cmd: not an IPv4 address: '1.2.3'");
        assertThatThrownBy(() -> args("1", "2").end()).isInstanceOf(CommandException.class).hasMessageStartingWith("cmd: unexpected '1'");
    }

    /** Found by ArgsFuzzTest: a quoted word holding a newline split the "one-line" message in two. */
    @Test
    void controlCharactersInAnEchoedWordAreEscapedSoTheMessageStaysOneLine() {
        assertThatThrownBy(() -> args("1.2\n.3").nextAddr("address"))
                .hasMessageNotContaining("\n")
                .hasMessageContaining("'1.2\\n.3'");
        assertThat(new CommandException("a\rb\tc\u0007d\u2028e").getMessage()).isEqualTo("a\\rb\\tc\\u0007d\\u2028e");
        assertThat(new CommandException("plain").getMessage()).isEqualTo("plain");
    }
}
