package org.protosw.itest;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.jar.Attributes;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.protosw.itest.probe.LogProbeActivator;

/**
 * Runs the assembled {@code bin/protosw} as a user would, each run with a data folder of its own
 * (PROTOSW_DATA) and the JDK running the tests as JAVA_HOME.
 */
class DistributionIT {

    private static final Duration RUN_LIMIT = ProtoswProcess.RUN_LIMIT;

    @TempDir
    Path work;

    @Test
    void oneShotCommandListsTheBundlesAndExitsZero() throws Exception {
        Run run = protosw("-c", "lb -s");
        assertThat(run.status()).as(run.toString()).isZero();
        assertThat(run.out()).contains("org.protosw.framework").contains("org.protosw.udp").contains("org.protosw.tcp");
        assertThat(run.err()).as("stderr").isEmpty();
    }

    @Test
    void pingsLoopbackThreeTimesInAOneShotRuntime() throws Exception {
        Run run = protosw("-c", "net:ping -c 3 127.0.0.1");
        assertThat(run.status()).as(run.toString()).isZero();
        assertThat(run.out().lines().filter(l -> l.matches("\\d+ bytes from 127\\.0\\.0\\.1: icmp_seq=\\d ttl=64 time=.* ms")))
                .as(run.out()).hasSize(3);
        assertThat(run.out()).contains("3 packets transmitted, 3 packets received, 0.0% packet loss");
        assertThat(run.err()).as("stderr").isEmpty();
    }

    @Test
    void theSwitchTableListsUdpAndTcpWithTheirBundles() throws Exception {
        Run run = protosw("-c", "net:protocols ; net:netstat -an");
        assertThat(run.status()).as(run.toString()).isZero();
        // x.y.z of this build (bnd puts a qualifier in place of -SNAPSHOT)
        String version = java.util.regex.Pattern.quote(System.getProperty("protosw.version", "").replace("-SNAPSHOT", ""));
        // UDP's sockets are those netstat lists: none, or the IB demo's RoCEv2 port (4791) when
        // UDP started before the IB bundle (the framework's start order, not fixed)
        long udpSockets = run.out().lines().filter(l -> l.startsWith("udp")).count();
        assertThat(run.out().lines().filter(l -> l.matches("inet\\s+dgram\\s+17\\s+udp\\s+org\\.protosw\\.udp\\s+\\d+\\s+" + version
                + "\\S*\\s+active\\s+" + udpSockets + "\\s.*")))
                .as(run.out()).hasSize(1);
        assertThat(udpSockets).as(run.out()).isLessThanOrEqualTo(1);
        assertThat(run.out().lines().filter(l -> l.matches("inet\\s+stream\\s+6\\s+tcp\\s+org\\.protosw\\.tcp\\s+\\d+\\s+" + version + "\\S*\\s+active\\s+0.*")))
                .as(run.out()).hasSize(1);
    }

    @Test
    void aBadShellArgumentIsOneLineSayingWhatIsAccepted() throws Exception {
        Run run = protosw("-c", "net:ping -c zero 127.0.0.1");
        assertThat(run.status()).isEqualTo(1);
        assertThat(run.errLines()).hasSize(1);
        assertThat(run.err()).contains("'zero' is not a number").contains("usage: ping");
        // the command's own words, as ping(8) would put them: no exception class in front
        assertThat(run.errLines().get(0)).startsWith("ping: ");
    }

    @Test
    void plainLbNamesTheCore() throws Exception {
        Run run = protosw("-c", "lb");
        assertThat(run.status()).as(run.toString()).isZero();
        assertThat(run.out()).contains("protosw core");
    }

    @Test
    void unknownCommandFailsWithOneLineOnStderr() throws Exception {
        Run run = protosw("-c", "nosuchcommand");
        assertThat(run.status()).as(run.toString()).isNotZero();
        assertThat(run.errLines()).containsExactly("gogo: CommandNotFoundException: Command not found: nosuchcommand");
    }

    @Test
    void badOptionExitsTwoWithAHint() throws Exception {
        Run run = protosw("--no-such-option");
        assertThat(run.status()).isEqualTo(2);
        assertThat(run.errLines()).containsExactly("protosw: unknown option '--no-such-option'",
                "Try 'protosw --help' for more information.");
    }

    @Test
    void exitCommandGivesTheStatus() throws Exception {
        assertThat(protosw("-c", "exit 3").status()).isEqualTo(3);
    }

    @Test
    void aBundleLogsIntoTheLogFileThroughTheSystemBundlesSlf4j() throws Exception {
        String token = UUID.randomUUID().toString();
        Path probe = logProbeBundle(token);
        // felix:start takes a URL: install and start
        Run run = protosw("-c", "start " + probe.toUri());
        assertThat(run.status()).as(run.toString()).isZero();
        assertThat(run.err()).as("stderr").isEmpty();
        String log = Files.readString(work.resolve("data/log/protosw-cmd.log"), StandardCharsets.UTF_8);
        assertThat(log).contains("LogProbeActivator - log probe " + token);
    }

    @Test
    void scriptRunsThenServesUntilSigtermAndExitsZero() throws Exception {
        Path script = work.resolve("start.gosh");
        Files.writeString(script, """
                # list the bundles, then keep serving
                lb -s

                """);
        Path out = work.resolve("out.txt");
        Path err = work.resolve("err.txt");
        Process process = builder("--script", script.toString())
                .redirectOutput(out.toFile())
                .redirectError(err.toFile())
                .start();
        try {
            waitFor("the ready line on stderr", () -> Files.readString(err).contains("ready; running until SIGTERM"),
                    process);
            assertThat(Files.readString(out)).contains("org.protosw.udp");
            process.destroy(); // SIGTERM
            assertThat(process.waitFor(30, TimeUnit.SECONDS)).as("stopped within 30 s").isTrue();
            assertThat(process.exitValue()).as("exit status after SIGTERM; stderr: " + Files.readString(err)).isZero();
            String log = Files.readString(work.resolve("data/log/protosw.log"), StandardCharsets.UTF_8);
            assertThat(log).contains("SIGTERM received: stopping the framework").contains("framework stopped");
        } finally {
            process.destroyForcibly();
        }
    }

    @Test
    void scriptStopsAtTheFirstFailingLine() throws Exception {
        Path script = work.resolve("bad.gosh");
        Files.writeString(script, "lb\n\nnosuchcommand\nlb\n");
        Run run = protosw("--script", script.toString());
        assertThat(run.status()).isEqualTo(1);
        assertThat(run.errLines()).containsExactly(
                "protosw: " + script + ":3: CommandNotFoundException: Command not found: nosuchcommand");
    }

    private record Run(int status, String out, String err) {
        List<String> errLines() {
            return err.lines().toList();
        }
    }

    private Run protosw(String... args) throws IOException, InterruptedException {
        Path out = work.resolve("out-" + UUID.randomUUID() + ".txt");
        Path err = work.resolve("err-" + UUID.randomUUID() + ".txt");
        Process process = builder(args).redirectOutput(out.toFile()).redirectError(err.toFile()).start();
        try {
            if (!process.waitFor(RUN_LIMIT.toSeconds(), TimeUnit.SECONDS)) {
                throw new AssertionError("protosw " + String.join(" ", args) + " still running after " + RUN_LIMIT);
            }
            return new Run(process.exitValue(), Files.readString(out), Files.readString(err));
        } finally {
            process.destroyForcibly();
        }
    }

    private ProcessBuilder builder(String... args) {
        return ProtoswProcess.builder(work, List.of(), args);
    }

    private static void waitFor(String what, ProtoswProcess.Check check, Process process) throws IOException, InterruptedException {
        ProtoswProcess.waitFor(what, check, process);
    }

    /** A bundle holding {@link LogProbeActivator}, its X-Log-Probe header set to {@code token}. */
    private Path logProbeBundle(String token) throws IOException {
        Manifest manifest = new Manifest();
        Attributes main = manifest.getMainAttributes();
        main.put(Attributes.Name.MANIFEST_VERSION, "1.0");
        main.putValue("Bundle-ManifestVersion", "2");
        main.putValue("Bundle-SymbolicName", "org.protosw.itest.logprobe");
        main.putValue("Bundle-Version", "1.0.0");
        main.putValue("Bundle-Activator", LogProbeActivator.class.getName());
        main.putValue("Import-Package", "org.osgi.framework, org.slf4j;version=\"[2,3)\"");
        main.putValue(LogProbeActivator.HEADER, token);
        Path jar = work.resolve("logprobe.jar");
        String entry = LogProbeActivator.class.getName().replace('.', '/') + ".class";
        try (OutputStream file = Files.newOutputStream(jar);
                JarOutputStream out = new JarOutputStream(file, manifest);
                InputStream in = LogProbeActivator.class.getClassLoader().getResourceAsStream(entry)) {
            if (in == null) {
                throw new IOException("cannot read " + entry + " from the test class path");
            }
            out.putNextEntry(new JarEntry(entry));
            in.transferTo(out);
            out.closeEntry();
        }
        return jar;
    }
}
