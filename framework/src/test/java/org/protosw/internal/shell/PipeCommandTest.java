package org.protosw.internal.shell;

import static org.assertj.core.api.Assertions.assertThat;
import static org.protosw.internal.shell.Shell.error;
import static org.protosw.internal.shell.Shell.failure;
import static org.protosw.internal.shell.Shell.out;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.protosw.internal.kern.Vnet;
import org.protosw.internal.net.DummynetPipe;
import org.protosw.internal.net.NetInterface;
import org.protosw.internal.net.PipeConfig;

class PipeCommandTest {
    private Shell sh;
    private PipeCommand pipe;
    private Vnet dflt;
    private NetInterface epair0a;

    @BeforeEach
    void setUp() throws Exception {
        sh = new Shell();
        sh.linkToB();
        pipe = sh.command(new PipeCommand());
        dflt = sh.stack.stack();
        epair0a = dflt.interfaces().byName("epair0a");
    }

    @AfterEach
    void tearDown() {
        sh.close();
    }

    @Test
    void configuresAttachesShowsDetachesAndDeletes() {
        assertThat(out(() -> pipe.pipe())).isEqualTo("no pipes in vnet default\n");
        assertThat(out(() -> pipe.pipe("1", "config", "bw", "10Mbit/s", "delay", "20ms", "plr", "0.01", "queue", "20", "seed", "7"))).isEmpty();
        DummynetPipe p = dflt.pipes().get(1);
        assertThat(p.config()).isEqualTo(PipeConfig.parse("bw 10Mbit/s delay 20ms plr 0.01 queue 20 seed 7"));

        assertThat(out(() -> pipe.pipe("1", "attach", "epair0a", "out"))).isEmpty();
        assertThat(epair0a.pipe(false)).isInstanceOfSatisfying(DummynetPipe.Port.class, port -> assertThat(port.pipe()).isSameAs(p));
        assertThat(epair0a.pipe(true)).isNull();
        String shown = out(() -> pipe.pipe("show"));
        assertThat(shown).startsWith(String.format("00001: %s%n    attached: epair0a out%n", p.config()));
        assertThat(out(() -> pipe.pipe("list"))).isEqualTo(shown);
        assertThat(out(() -> pipe.pipe())).isEqualTo(shown);

        // a new config resets what it does not name, and keeps the attachment
        pipe.pipe("1", "config", "delay", "5");
        assertThat(dflt.pipes().get(1)).isSameAs(p);
        assertThat(p.config()).isEqualTo(PipeConfig.parse("delay 5ms"));
        assertThat(out(() -> pipe.pipe())).contains("attached: epair0a out");

        assertThat(out(() -> pipe.pipe("detach", "epair0a", "out"))).isEmpty();
        assertThat(epair0a.pipe(false)).isNull();
        pipe.pipe("1", "attach", "epair0a", "in");
        assertThat(out(() -> pipe.pipe("1", "delete"))).isEmpty();
        assertThat(dflt.pipes().list()).isEmpty();
        assertThat(epair0a.pipe(true)).isNull();
    }

    @Test
    void aPipeThatLosesEverythingStopsPings() {
        pipe.pipe("1", "config", "plr", "1");
        pipe.pipe("1", "attach", "epair0a", "out");
        PingCommand ping = sh.command(new PingCommand());
        Shell.Failure f = failure(() -> ping.ping("-c", "2", "-i", "0.01", "-t", "0.5", "192.0.2.2"));
        assertThat(f.printed()).endsWith("2 packets transmitted, 0 packets received, 100.0% packet loss\n");
        assertThat(f.message()).isEqualTo("ping: no reply from 192.0.2.2 (2 request(s) sent)");
        assertThat(dflt.pipes().get(1).stats().lost()).isEqualTo(2);

        pipe.pipe("detach", "epair0a", "out");
        assertThat(out(() -> ping.ping("-c", "1", "192.0.2.2"))).contains("1 packets transmitted, 1 packets received, 0.0% packet loss");
    }

    @Test
    void pipesBelongToTheirVnet() {
        pipe.pipe("-j", "b", "3", "config", "delay", "1ms");
        pipe.pipe("-j", "b", "3", "attach", "epair0b", "in");
        assertThat(out(() -> pipe.pipe())).isEqualTo("no pipes in vnet default\n");
        assertThat(out(() -> pipe.pipe("-j", "b", "show"))).startsWith("00003: ").contains("attached: epair0b in");
        assertThat(error(() -> pipe.pipe("3", "attach", "epair0a", "in"))).isEqualTo("pipe: pipe 3 does not exist in vnet default (pipe 3 config ... creates it)");
    }

    @Test
    void badWordsSayWhatIsAccepted() {
        assertThat(error(() -> pipe.pipe("-x"))).startsWith("pipe: unknown option '-x' (accepted: -j vnet)");
        assertThat(error(() -> pipe.pipe("-j", "nope"))).isEqualTo("pipe: no vnet named 'nope' (known: default, b)");
        assertThat(error(() -> pipe.pipe("flush"))).startsWith("pipe: unknown subcommand 'flush' (accepted: show, list, detach, or a pipe number 1 to 65534)");
        assertThat(error(() -> pipe.pipe("show", "1"))).startsWith("pipe: unexpected '1'");
        assertThat(error(() -> pipe.pipe("0", "config"))).startsWith("pipe: pipe number 0 is out of range (accepted: 1 to 65534)");
        assertThat(error(() -> pipe.pipe("65535", "config"))).startsWith("pipe: pipe number 65535 is out of range (accepted: 1 to 65534)");
        assertThat(error(() -> pipe.pipe("99999999999999999999", "config"))).startsWith("pipe: '99999999999999999999' is not a number for pipe number (accepted: 1 to 65534)");
        assertThat(error(() -> pipe.pipe("1"))).startsWith("pipe: missing config, delete or attach after the pipe number");
        assertThat(error(() -> pipe.pipe("1", "show"))).startsWith("pipe: unknown verb 'show' after pipe 1 (accepted: config, delete, attach)");
        assertThat(error(() -> pipe.pipe("1", "config", "bw", "fast"))).startsWith("pipe 1 config: bad bw \"fast\" (accepted: bw unlimited");
        assertThat(error(() -> pipe.pipe("1", "config", "plr", "2"))).isEqualTo("pipe 1 config: bad plr \"2\" (accepted: plr followed by a probability from 0 to 1, e.g. plr 0.01)");
        assertThat(error(() -> pipe.pipe("1", "config", "delay"))).startsWith("pipe 1 config: \"delay\" needs a value (accepted: delay 50 or delay 50ms");
        assertThat(error(() -> pipe.pipe("1", "config", "wobble", "3"))).startsWith("pipe 1 config: unknown word \"wobble\" (accepted: bw, delay, plr");
        assertThat(error(() -> pipe.pipe("1", "delete"))).isEqualTo("pipe: pipe 1 does not exist in vnet default (pipe 1 config ... creates it)");
        assertThat(error(() -> pipe.pipe("1", "delete", "now"))).startsWith("pipe: unexpected 'now'");
        assertThat(dflt.pipes().list()).isEmpty();

        pipe.pipe("1", "config");
        assertThat(error(() -> pipe.pipe("1", "attach"))).startsWith("pipe: missing interface");
        assertThat(error(() -> pipe.pipe("1", "attach", "eth0", "in"))).isEqualTo("pipe: interface eth0 does not exist in vnet default (known: lo0, epair0a)");
        assertThat(error(() -> pipe.pipe("1", "attach", "epair0a"))).startsWith("pipe: missing direction (in or out)");
        assertThat(error(() -> pipe.pipe("1", "attach", "epair0a", "both"))).startsWith("pipe: direction 'both' is neither in nor out (accepted: in, out)");
        assertThat(error(() -> pipe.pipe("1", "attach", "epair0a", "in", "now"))).startsWith("pipe: unexpected 'now'");
        assertThat(error(() -> pipe.pipe("detach", "epair0a", "in"))).isEqualTo("pipe: no pipe on epair0a in");
        assertThat(error(() -> pipe.pipe("detach", "epair0a"))).startsWith("pipe: missing direction (in or out)");
        assertThat(epair0a.pipe(true)).isNull();
        assertThat(epair0a.pipe(false)).isNull();
    }
}
