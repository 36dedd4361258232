package org.protosw.internal.net;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.OptionalLong;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class PipeConfigTest {

    @Test
    void defaultsAreDummynets() {
        PipeConfig c = PipeConfig.parse(List.of());
        assertThat(c).isEqualTo(PipeConfig.DEFAULT);
        assertThat(c.bandwidth()).isZero();
        assertThat(c.queueSlots()).isEqualTo(50);
        assertThat(c.queueBytes()).isZero();
        assertThat(c.seed()).isEmpty();
        assertThat(c.toString()).isEqualTo("bw unlimited delay 0ms queue 50");
    }

    @ParameterizedTest
    @CsvSource({
            "10Mbit/s, 10000000",
            "512Kbit/s, 512000",
            "1Gbit/s, 1000000000",
            "100000bit/s, 100000",
            "100000, 100000",
            "1.5Mbit/s, 1500000",
            "1MByte/s, 8000000",
            "10kbit/s, 10000",
            "0, 0",
            "unlimited, 0" })
    void bandwidthForms(String word, long bps) {
        assertThat(PipeConfig.parse(List.of("bw", word)).bandwidth()).isEqualTo(bps);
    }

    @Test
    void everyKeyword() {
        PipeConfig c = PipeConfig.parse("bw 10Mbit/s delay 50ms plr 0.01 dup 0.001 reorder 0.05 gap 20ms corrupt 0.002 queue 100KB seed 42");
        assertThat(c.bandwidth()).isEqualTo(10_000_000);
        assertThat(c.delay()).isEqualTo(50);
        assertThat(c.plr()).isEqualTo(0.01);
        assertThat(c.dup()).isEqualTo(0.001);
        assertThat(c.reorder()).isEqualTo(0.05);
        assertThat(c.reorderGap()).isEqualTo(20);
        assertThat(c.corrupt()).isEqualTo(0.002);
        assertThat(c.queueSlots()).isZero();
        assertThat(c.queueBytes()).isEqualTo(100 * 1024);
        assertThat(c.seed()).isEqualTo(OptionalLong.of(42));
    }

    @Test
    void shortFormsAndDefaults() {
        PipeConfig c = PipeConfig.parse("delay 50 reorder 0.5 queue 20 BW 1Gbit/s");
        assertThat(c.delay()).isEqualTo(50);
        assertThat(c.reorderGap()).isEqualTo(PipeConfig.DEFAULT_REORDER_GAP);
        assertThat(c.queueSlots()).isEqualTo(20);
        assertThat(c.bandwidth()).isEqualTo(1_000_000_000);
        assertThat(PipeConfig.parse("queue 2MB").queueBytes()).isEqualTo(2 << 20);
        assertThat(PipeConfig.parse("queue 1500B").queueBytes()).isEqualTo(1500);
        assertThat(PipeConfig.parse("queue 64Kbytes").queueBytes()).isEqualTo(64 * 1024);
        assertThat(PipeConfig.parse("seed -7").seed()).isEqualTo(OptionalLong.of(-7));
        assertThat(PipeConfig.parse("plr 1").plr()).isEqualTo(1.0);
    }

    @Test
    void toStringReadsBackTheSame() {
        PipeConfig c = PipeConfig.parse("bw 1500Kbit/s delay 30 plr 0.05 dup 0.001 reorder 0.25 gap 7ms corrupt 0.125 queue 100KB seed 9");
        assertThat(c.toString()).isEqualTo("bw 1500Kbit/s delay 30ms plr 0.05 dup 0.001 reorder 0.25 gap 7ms corrupt 0.125 queue 100KB seed 9");
        assertThat(PipeConfig.parse(c.toWords())).isEqualTo(c);
        PipeConfig odd = PipeConfig.DEFAULT.withBandwidth(123_456).withQueueBytes(1500);
        assertThat(PipeConfig.parse(odd.toString())).isEqualTo(odd);
        assertThat(odd.toString()).contains("bw 123456bit/s").contains("queue 1500B");
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
            "bw 10Mbps            | bad bw \"10Mbps\"            | 10Mbit/s",
            "bw -5                | bad bw \"-5\"                | 512Kbit/s",
            "bw 200Gbit/s         | bad bw \"200Gbit/s\"         | up to 100Gbit/s",
            "bw 0.5bit/s          | bad bw \"0.5bit/s\"          | 100000bit/s",
            "bw                   | \"bw\" needs a value         | bw 10Mbit/s",
            "delay fast           | bad delay \"fast\"           | delay 50ms",
            "delay 50s            | bad delay \"50s\"            | 0 to 60000 ms",
            "delay 60001          | bad delay \"60001\"          | delay 50ms",
            "delay                | \"delay\" needs a value      | delay 50ms",
            "plr 1.5              | bad plr \"1.5\"              | probability from 0 to 1",
            "plr -0.1             | bad plr \"-0.1\"             | plr 0.01",
            "plr 5%               | bad plr \"5%\"               | plr 0.01",
            "plr NaN              | bad plr \"NaN\"              | plr 0.01",
            "dup x                | bad dup \"x\"                | dup 0.001",
            "corrupt 2            | bad corrupt \"2\"            | corrupt 0.001",
            "reorder 0.1 gap 0ms  | bad gap \"0ms\"              | gap 10ms",
            "reorder 0.1 gap      | \"gap\" needs a value        | reorder 0.05 gap 10ms",
            "reorder high         | bad reorder \"high\"         | reorder 0.05",
            "gap 10ms             | \"gap\" must follow reorder  | reorder 0.05 gap 10ms",
            "queue 0              | bad queue \"0\"              | queue 50",
            "queue 10001          | bad queue \"10001\"          | 1 to 10000",
            "queue 100GB          | bad queue \"100GB\"          | queue 100KB",
            "queue 128MB          | bad queue \"128MB\"          | 1KB to 64MB",
            "queue 512B           | bad queue \"512B\"           | 1KB to 64MB",
            "seed abc             | bad seed \"abc\"             | seed 42",
            "speed 10             | unknown word \"speed\"       | bw, delay, plr",
            "delay 5 delay 6      | \"delay\" given twice        | once" })
    void badWordsAreNamedWithTheAcceptedForms(String line, String named, String accepted) {
        assertThatThrownBy(() -> PipeConfig.parse(line))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith("pipe config: ")
                .hasMessageContaining(named)
                .hasMessageContaining("accepted")
                .hasMessageContaining(accepted)
                .satisfies(e -> assertThat(e.getMessage()).doesNotContain("\n"));
    }

    @Test
    void recordValidation() {
        assertThatThrownBy(() -> PipeConfig.DEFAULT.withPlr(1.01)).hasMessageContaining("plr 1.01").hasMessageContaining("0 to 1");
        assertThatThrownBy(() -> PipeConfig.DEFAULT.withDup(Double.NaN)).hasMessageContaining("dup NaN");
        assertThatThrownBy(() -> PipeConfig.DEFAULT.withDelay(-1)).hasMessageContaining("delay -1");
        assertThatThrownBy(() -> PipeConfig.DEFAULT.withBandwidth(-1)).hasMessageContaining("bandwidth -1");
        assertThatThrownBy(() -> PipeConfig.DEFAULT.withReorder(0.1, 0)).hasMessageContaining("gap 0");
        assertThatThrownBy(() -> PipeConfig.DEFAULT.withQueue(0)).hasMessageContaining("neither");
        assertThatThrownBy(() -> new PipeConfig(0, 0, 0, 0, 0, 10, 0, 50, 4096, OptionalLong.empty())).hasMessageContaining("both");
        assertThatThrownBy(() -> PipeConfig.DEFAULT.withQueueBytes(100)).hasMessageContaining("queue of 100 bytes");
    }
}
