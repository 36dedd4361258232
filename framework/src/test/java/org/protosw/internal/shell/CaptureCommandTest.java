package org.protosw.internal.shell;

import static org.assertj.core.api.Assertions.assertThat;
import static org.protosw.internal.shell.Shell.error;
import static org.protosw.internal.shell.Shell.out;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.protosw.internal.kern.Vnet;
import org.protosw.internal.net.PcapReader;

class CaptureCommandTest {
    @TempDir
    Path dir;
    private Shell sh;
    private CaptureCommand capture;
    private PingCommand ping;
    private Vnet dflt;

    @BeforeEach
    void setUp() throws Exception {
        sh = new Shell();
        capture = sh.command(new CaptureCommand());
        ping = sh.command(new PingCommand());
        dflt = sh.stack.stack();
    }

    @AfterEach
    void tearDown() {
        sh.close();
    }

    @Test
    void startListStopWritesAPcapFile() throws Exception {
        Path file = dir.resolve("lo0.pcap");
        assertThat(out(() -> capture.capture())).isEqualTo("no captures in vnet default\n");
        assertThat(out(() -> capture.capture("start", "lo0", file.toString()))).isEqualTo("capture 1 on lo0 (both) -> " + file + "\n");
        out(() -> ping.ping("-c", "1", "127.0.0.1"));
        // lo0 sees the request and the reply, each once out and once in
        assertThat(out(() -> capture.capture("list"))).isEqualTo(String.format("""
                ID  IFACE  DIR   STATE    PACKETS  BYTES  FILE
                 1  lo0    both  running        4    336  %s
                """, file));
        assertThat(out(() -> capture.capture("stop", "lo0"))).isEqualTo("capture 1 stopped: 4 packets, 336 bytes in " + file + "\n");
        List<PcapReader.Record> records = PcapReader.readAll(file);
        assertThat(records).hasSize(4).allSatisfy(r -> assertThat(r.data()).hasSize(84));
        assertThat(out(() -> capture.capture())).isEqualTo("no captures in vnet default\n");
    }

    @Test
    void countSnaplenAndDirectionShapeTheCapture() throws Exception {
        Path file = dir.resolve("in.pcap");
        assertThat(out(() -> capture.capture("start", "lo0", file.toString(), "count", "1", "snaplen", "28", "in")))
                .isEqualTo("capture 1 on lo0 (in) -> " + file + "\n");
        out(() -> ping.ping("-c", "2", "-i", "0.01", "127.0.0.1"));
        assertThat(out(() -> capture.capture())).isEqualTo(String.format("""
                ID  IFACE  DIR  STATE  PACKETS  BYTES  FILE
                 1  lo0    in   done         1     28  %s
                """, file));
        // a finished capture is stopped by its id (it no longer runs on lo0)
        assertThat(error(() -> capture.capture("stop", "lo0"))).isEqualTo("capture: no capture runs on lo0");
        assertThat(out(() -> capture.capture("stop", "1"))).isEqualTo("capture 1 stopped: 1 packets, 28 bytes in " + file + "\n");
        List<PcapReader.Record> records = PcapReader.readAll(file);
        assertThat(records).singleElement().satisfies(r -> {
            assertThat(r.origLen()).isEqualTo(84);
            assertThat(r.data()).hasSize(28);
        });
    }

    @Test
    void capturesInAnotherVnet() throws Exception {
        sh.linkToB();
        Path file = dir.resolve("b.pcap");
        assertThat(out(() -> capture.capture("-j", "b", "start", "epair0b", file.toString(), "out")))
                .isEqualTo("capture 1 on epair0b (out) -> " + file + "\n");
        out(() -> ping.ping("-c", "1", "192.0.2.2"));
        assertThat(out(() -> capture.capture())).isEqualTo("no captures in vnet default\n");
        assertThat(out(() -> capture.capture("-j", "b", "stop", "epair0b"))).startsWith("capture 1 stopped: 1 packets, 84 bytes");
    }

    @Test
    void badWordsSayWhatIsAccepted() throws Exception {
        String f = dir.resolve("x.pcap").toString();
        assertThat(error(() -> capture.capture("-x"))).startsWith("capture: unknown option '-x' (accepted: -j vnet)");
        assertThat(error(() -> capture.capture("-j", "nope"))).isEqualTo("capture: no vnet named 'nope' (known: default)");
        assertThat(error(() -> capture.capture("begin"))).startsWith("capture: unknown subcommand 'begin' (accepted: start, stop, list)");
        assertThat(error(() -> capture.capture("list", "all"))).startsWith("capture: unexpected 'all'");
        assertThat(error(() -> capture.capture("start"))).startsWith("capture: missing interface");
        assertThat(error(() -> capture.capture("start", "eth0", f))).isEqualTo("capture: interface eth0 does not exist in vnet default (known: lo0)");
        assertThat(error(() -> capture.capture("start", "lo0"))).startsWith("capture: missing file");
        assertThat(error(() -> capture.capture("start", "lo0", f, "-w"))).startsWith("capture: unknown option '-w' (accepted: count N, snaplen N, in, out, both)");
        assertThat(error(() -> capture.capture("start", "lo0", f, "count"))).startsWith("capture: missing count");
        assertThat(error(() -> capture.capture("start", "lo0", f, "count", "0"))).startsWith("capture: count 0 is out of range (accepted: 1 to 2147483647)");
        assertThat(error(() -> capture.capture("start", "lo0", f, "count", "many"))).startsWith("capture: 'many' is not a number for count (accepted: 1 to 2147483647)");
        assertThat(error(() -> capture.capture("start", "lo0", f, "snaplen", "10"))).startsWith("capture: snaplen 10 is out of range (accepted: 20 to 65535)");
        assertThat(error(() -> capture.capture("start", "lo0", "bad\0name"))).startsWith("capture: 'bad\\u0000name' is not a file name");
        assertThat(error(() -> capture.capture("start", "lo0", dir.resolve("no/such/dir/x.pcap").toString())))
                .startsWith("capture: cannot write capture file " + dir.resolve("no/such/dir/x.pcap"));
        assertThat(dflt.captures().list()).isEmpty();
        assertThat(Files.exists(Path.of(f))).isFalse();

        out(() -> capture.capture("start", "lo0", f));
        assertThat(error(() -> capture.capture("start", "lo0", dir.resolve("y.pcap").toString()))).isEqualTo("capture: capture 1 already runs on lo0 (stop it first)");
        assertThat(error(() -> capture.capture("stop"))).startsWith("capture: missing capture id or interface");
        assertThat(error(() -> capture.capture("stop", "7"))).isEqualTo("capture: no capture 7");
        assertThat(error(() -> capture.capture("stop", "99999999999"))).startsWith("capture: capture id 99999999999 is out of range (accepted: 1 to 2147483647)");
        assertThat(error(() -> capture.capture("stop", "eth0"))).isEqualTo("capture: no capture runs on eth0");
        assertThat(error(() -> capture.capture("stop", "1", "now"))).startsWith("capture: unexpected 'now'");
        assertThat(dflt.captures().list()).hasSize(1);
    }
}
