package org.protosw.itest;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code protosw attach}, {@code status} and {@code stop} against a runtime started with
 * {@code --script}, all through the assembled bin/protosw.
 */
class AttachIT {

    @TempDir
    Path work;

    private record Run(int status, String out, String err) {
    }

    private Run protosw(String... args) throws Exception {
        Path out = work.resolve("out-" + UUID.randomUUID());
        Path err = work.resolve("err-" + UUID.randomUUID());
        Process p = ProtoswProcess.builder(work, List.of(), args).redirectOutput(out.toFile()).redirectError(err.toFile()).start();
        try {
            assertThat(p.waitFor(ProtoswProcess.RUN_LIMIT.toSeconds(), TimeUnit.SECONDS)).as("protosw %s ended", List.of(args)).isTrue();
            return new Run(p.exitValue(), Files.readString(out), Files.readString(err));
        } finally {
            p.destroyForcibly();
        }
    }

    @Test
    void attachesToAServiceReadsItsSocketsLoadsAProtocolAndStopsIt() throws Exception {
        Path socket = work.resolve("data/protosw.sock");
        Run none = protosw("status");
        assertThat(none.status()).as("status with nothing running").isEqualTo(3);
        Run noAttach = protosw("attach", "-c", "lb");
        assertThat(noAttach.status()).isEqualTo(1);
        assertThat(noAttach.err().lines().toList()).hasSize(1).first().asString().contains("no protosw runtime is running");

        Path script = work.resolve("serve.gosh");
        Files.writeString(script, "net:inetd start echo tcp 7\n");
        Path err = work.resolve("serve.err");
        Process service = ProtoswProcess.builder(work, List.of(), "--script", script.toString())
                .redirectOutput(work.resolve("serve.out").toFile()).redirectError(err.toFile()).start();
        try {
            ProtoswProcess.waitFor("the ready line", () -> Files.readString(err).contains("ready; running until SIGTERM"), service);
            assertThat(Files.exists(socket)).isTrue();
            assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(socket))).isEqualTo("rw-------");

            Run status = protosw("status");
            assertThat(status.status()).isZero();
            assertThat(status.out()).contains("pid " + service.pid()).contains("vnets:     default").contains("tcp").contains("udp");

            // the service's own sockets: inetd's listeners, not a fresh runtime's empty table
            Run netstat = protosw("attach", "-c", "net:netstat -an");
            assertThat(netstat.status()).as(netstat.err()).isZero();
            assertThat(netstat.out()).contains("LISTEN");

            // Tab completion knows the commands of the bundles in deploy/ from their own grammar
            Run commands = protosw("attach", "-c", "net:complete commands");
            assertThat(commands.out()).contains("net:ifconfig", "tcp:cc", "tcp:plot", "divert:rule", "divert:diverter",
                    "ib:stats", "ib:send_bw", "net:inetd");
            assertThat(protosw("attach", "-c", "net:complete options divert:rule").out().lines().toList()).contains("j");
            assertThat(protosw("attach", "-c", "net:complete 1 tcp:cc x").out().lines().toList())
                    .contains("list", "set", "unload", "load");

            Run bad = protosw("attach", "-c", "nosuchcommand");
            assertThat(bad.status()).isEqualTo(1);
            assertThat(bad.err().strip()).isEqualTo("gogo: CommandNotFoundException: Command not found: nosuchcommand");

            // unload and load a protocol in the running service
            Run stopUdp = protosw("attach", "-c", "stop org.protosw.udp");
            assertThat(stopUdp.status()).as(stopUdp.err()).isZero();
            assertThat(protosw("attach", "-c", "net:protocols").out()).doesNotContain(" udp ");
            // felix:start takes a bundle id (a name is read as a URL)
            String id = protosw("attach", "-c", "lb -s").out().lines().filter(l -> l.contains("|org.protosw.udp "))
                    .findFirst().orElseThrow().split("\\|")[0].strip();
            Run startUdp = protosw("attach", "-c", "start " + id);
            assertThat(startUdp.status()).as(startUdp.err()).isZero();
            ProtoswProcess.waitFor("udp back in the switch", () -> {
                try {
                    return protosw("status").out().contains("udp");
                } catch (Exception e) {
                    throw new java.io.IOException(e);
                }
            }, service);

            Run stop = protosw("stop");
            assertThat(stop.status()).as(stop.err()).isZero();
            assertThat(service.waitFor(30, TimeUnit.SECONDS)).isTrue();
            assertThat(service.exitValue()).isZero();
            assertThat(Files.exists(socket)).as("socket file removed").isFalse();
            assertThat(protosw("status").status()).isEqualTo(3);
        } finally {
            service.destroyForcibly();
        }
    }
}
