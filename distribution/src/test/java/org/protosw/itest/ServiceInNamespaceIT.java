package org.protosw.itest;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.protosw.internal.net.Netns;

/**
 * {@code bin/protosw --script} as a service, with Linux as its client: the runtime starts in
 * a network namespace of its own, its script makes a TUN interface (the stack 192.0.2.1, the
 * namespace's kernel 192.0.2.2) and starts the HTTP service; curl in that namespace fetches a
 * file through the stack's TCP while the runtime runs headless; SIGTERM stops it with exit 0
 * and the TUN device goes with it. Needs root (skipped otherwise, failed when CI=true).
 */
class ServiceInNamespaceIT {
    private static final int SIZE = 16 << 20;

    @TempDir
    Path work;

    @Test
    void aScriptedRuntimeServesHttpToLinuxUntilSigterm() throws Exception {
        try (Netns ns = Netns.create()) {
            Path root = Files.createDirectories(work.resolve("www"));
            byte[] data = new byte[SIZE];
            new Random(7).nextBytes(data);
            Files.write(root.resolve("blob.bin"), data);
            Path script = work.resolve("serve.gosh");
            Files.writeString(script, """
                    # the stack's side of a TUN link to this namespace's kernel, and a web server on it
                    net:ifconfig tun0 create inet 192.0.2.1/24 host 192.0.2.2/24
                    net:inetd start http 80 --root %s
                    """.formatted(root));
            Path out = work.resolve("out.txt");
            Path err = work.resolve("err.txt");
            Process process = ProtoswProcess.builder(work, List.of("ip", "netns", "exec", ns.name()), "--script", script.toString())
                    .redirectOutput(out.toFile())
                    .redirectError(err.toFile())
                    .start();
            try {
                ProtoswProcess.waitFor("the ready line on stderr", () -> Files.readString(err).contains("ready; running until SIGTERM"),
                        process);
                Path got = work.resolve("got.bin");
                Netns.Result curl = ns.exec(120, "curl", "-sS", "--max-time", "100", "-o", got.toString(), "-w", "%{http_code}",
                        "http://192.0.2.1/blob.bin");
                assertThat(curl.exit()).as(curl.output()).isZero();
                assertThat(curl.output()).isEqualTo("200");
                assertThat(sha256(Files.readAllBytes(got))).isEqualTo(sha256(data));
                Netns.Result missing = ns.exec("curl", "-sS", "-o", "/dev/null", "-w", "%{http_code}", "http://192.0.2.1/nope");
                assertThat(missing.output()).isEqualTo("404");

                process.destroy(); // SIGTERM
                assertThat(process.waitFor(30, TimeUnit.SECONDS)).as("stopped within 30 s").isTrue();
                assertThat(process.exitValue()).as("exit status after SIGTERM; stderr: " + Files.readString(err)).isZero();
                assertThat(ns.exec("ip", "link", "show", "tun0").exit()).as("the TUN device went with the runtime").isNotZero();
                String log = Files.readString(work.resolve("data/log/protosw.log"), StandardCharsets.UTF_8);
                assertThat(log).contains("SIGTERM received: stopping the framework");
            } finally {
                process.destroyForcibly();
                process.waitFor(10, TimeUnit.SECONDS);
            }
        }
    }

    private static byte[] sha256(byte[] b) throws Exception {
        return MessageDigest.getInstance("SHA-256").digest(b);
    }
}
