package org.protosw.tcp.harness;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.regex.Pattern;

import com.code_intelligence.jazzer.junit.FuzzTest;

/**
 * Fuzz target for the segment-script parser: whatever bytes a script holds, the parser gives
 * steps whose numbers fit the header fields they fill, or one {@link IllegalArgumentException}
 * naming a line of the script, in printable text. Seeds are the suite's own scripts (copied
 * as {@code script-*}) and what fuzzing found, named after it.
 */
class ScriptParserFuzzTest {
    private static final Pattern MESSAGE = Pattern.compile("line ([0-9]+): [\\x20-\\x7e\\p{L}\\p{N}]+");
    private static final long MAX_U32 = 0xffffffffL;

    @FuzzTest(maxDuration = "10s")
    void parse(byte[] input) {
        String text = new String(input, StandardCharsets.UTF_8);
        List<Step> steps;
        try {
            steps = ScriptParser.parse(text);
        } catch (IllegalArgumentException e) {
            var m = MESSAGE.matcher(e.getMessage());
            assertThat(m.matches()).as("one printable message naming the line: %s", e.getMessage()).isTrue();
            int lines = text.split("\n", -1).length;
            assertThat(Integer.parseInt(m.group(1))).isBetween(1, lines);
            return;
        }
        for (Step s : steps) {
            Step.When w = s.when();
            assertThat(w.at()).as("line %d's time", s.line()).isBetween(0.0, w.until());
            assertThat(Double.isFinite(w.until())).isTrue();
            switch (s) {
                case Step.Inject i -> fitsAHeader(i.segment());
                case Step.Expect e -> {
                    fitsAHeader(e.segment());
                    assertThat(e.segment().winGiven()).isTrue();
                    assertThat(e.segment().options()).isNotNull();
                }
                case Step.Call c -> {
                    assertThat(c.verb()).isNotEmpty().doesNotContainPattern("\\s");
                    c.args().forEach(a -> assertThat(a).isNotEmpty());
                }
                case Step.Quiet q -> {
                }
            }
        }
    }

    private static void fitsAHeader(ScriptSegment seg) {
        assertThat(seg.seq()).isBetween(0L, MAX_U32);
        assertThat(seg.seq() + seg.len()).isLessThanOrEqualTo(MAX_U32);
        assertThat(seg.len()).isBetween(0, 65_535);
        if (seg.ack() != null) {
            assertThat(seg.ack()).isBetween(0L, MAX_U32);
        }
        if (seg.win() != null) {
            assertThat(seg.win()).isBetween(0, 65_535);
        }
        for (ScriptSegment.Option o : seg.options() == null ? List.<ScriptSegment.Option>of() : seg.options()) {
            long max = switch (o.kind()) {
                case "mss" -> 65_535;
                case "wscale" -> 255;
                default -> MAX_U32;
            };
            for (Long v : new Long[] {o.a(), o.b()}) {
                if (v != null) {
                    assertThat(v).as("option %s", o).isBetween(0L, max);
                }
            }
        }
    }
}
