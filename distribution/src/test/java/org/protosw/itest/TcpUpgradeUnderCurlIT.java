package org.protosw.itest;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.jar.JarInputStream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.protosw.internal.net.Netns;

/**
 * The live upgrade as an operator meets it (issue 11): a headless runtime in a namespace of its
 * own serves a 256 MiB file over HTTP through TUN (the stack 192.0.2.1, the namespace's kernel
 * 192.0.2.2), and while Linux's curl downloads it, the TCP jar in the installation's
 * {@code deploy/} is replaced five times by builds of other Bundle-Versions, back and forth.
 * curl must get every byte (SHA-256), and a capture of tun0 on the namespace's side must show
 * no RST and no retransmission storm. Runs on a copy of the installation, so the build's own
 * deploy/ stays as the other tests expect. Needs root (skipped otherwise, failed when CI=true).
 */
@Timeout(value = 5, unit = TimeUnit.MINUTES)
class TcpUpgradeUnderCurlIT {
    private static final long SIZE = 256L << 20;
    private static final int REPLACEMENTS = 5;
    /** curl's pace: the download lasts about 20 s, so the replacements fall inside it. */
    private static final String RATE = "12M";

    @TempDir
    Path work;

    @Test
    void curlDownloads256MiBIntactWhileTheTcpJarIsReplacedFiveTimes() throws Exception {
        try (Netns ns = Netns.create()) {
            Path home = ProtoswProcess.copyOfDistribution(work.resolve("protosw"));
            Path root = Files.createDirectories(work.resolve("www"));
            byte[] expected = writeFile(root.resolve("big.bin"), SIZE);
            Path deployed = home.resolve("deploy/org.protosw.tcp.jar");
            byte[] original = Files.readAllBytes(deployed);
            String v0 = version(original);
            String[] versions = new String[REPLACEMENTS];
            byte[][] builds = new byte[REPLACEMENTS][];
            for (int i = 0; i < REPLACEMENTS; i++) {
                // 1.1.1.upgrade1, the original, 1.1.1.upgrade3, ... : back and forth, each a new version
                versions[i] = i % 2 == 1 ? v0 : nextVersion(v0, i);
                builds[i] = i % 2 == 1 ? original : BundleBuilds.withVersion(original, versions[i]);
            }
            Path script = work.resolve("serve.gosh");
            Files.writeString(script, """
                    net:ifconfig tun0 create inet 192.0.2.1/24 host 192.0.2.2/24
                    net:inetd start http 80 --root %s
                    """.formatted(root));
            Path err = work.resolve("err.txt");
            Process runtime = ProtoswProcess.builder(home, work, List.of("ip", "netns", "exec", ns.name()), "--script", script.toString())
                    .redirectOutput(work.resolve("out.txt").toFile())
                    .redirectError(err.toFile())
                    .start();
            Process capture = null;
            try {
                ProtoswProcess.waitFor("the ready line on stderr", () -> Files.readString(err).contains("ready; running until SIGTERM"),
                        runtime);
                Path cap = work.resolve("tun0.pcapng");
                Path capErr = work.resolve("capture.txt");
                capture = new ProcessBuilder("ip", "netns", "exec", ns.name(), "tshark", "-i", "tun0", "-s", "128", "-w", cap.toString())
                        .redirectErrorStream(true).redirectOutput(capErr.toFile()).start();
                Process c = capture;
                ProtoswProcess.waitFor("tshark capturing on tun0", () -> Files.readString(capErr).contains("Capturing on"), c);

                Path got = work.resolve("got.bin");
                CompletableFuture<Netns.Result> curl = CompletableFuture.supplyAsync(() -> ns.exec(240, "curl", "-sS",
                        "--limit-rate", RATE, "--max-time", "230", "-o", got.toString(), "-w", "%{http_code}",
                        "http://192.0.2.1/big.bin"));
                Path part = home.resolve("deploy/org.protosw.tcp.jar.part");
                for (int i = 0; i < REPLACEMENTS; i++) {
                    Thread.sleep(2500);
                    assertThat(curl).as("curl still downloading at replacement %d", i + 1).isNotDone();
                    Files.write(part, builds[i]);
                    Files.move(part, deployed, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
                    String want = versions[i];
                    ProtoswProcess.waitFor("tcp served by " + want, () -> want.equals(tcpVersion(protocols(home))), runtime);
                    System.out.println("[curl-upgrade] " + (i + 1) + "/" + REPLACEMENTS + " "
                            + protocols(home).lines().filter(l -> l.contains("last upgrade of tcp")).findFirst().orElse("").strip());
                }
                Netns.Result done = curl.get(240, TimeUnit.SECONDS);
                assertThat(done.exit()).as(done.output()).isZero();
                assertThat(done.output()).isEqualTo("200");
                assertThat(Files.size(got)).isEqualTo(SIZE);
                assertThat(HexFormat.of().formatHex(sha256(got))).isEqualTo(HexFormat.of().formatHex(expected));

                ProtoswProcess.Run diag = ProtoswProcess.run(home, work, "attach", "-c", "net:diag");
                assertThat(diag.out()).as("net:diag").doesNotContain("upgrade failed");

                capture.destroy();
                assertThat(capture.waitFor(30, TimeUnit.SECONDS)).as("tshark stopped").isTrue();
                long packets = count(cap, "tcp");
                long resets = count(cap, "tcp.flags.reset==1");
                long retransmissions = count(cap, "tcp.analysis.retransmission");
                System.out.printf("[curl-upgrade] capture: %d TCP packets, %d RST, %d retransmissions%n", packets, resets,
                        retransmissions);
                assertThat(packets).as("the capture saw the download").isGreaterThan(SIZE / 1500);
                assertThat(resets).as("RST in the capture").isZero();
                // a held packet that overflowed during a pause is resent; a storm would be far more
                assertThat(retransmissions).as("retransmissions of %d packets", packets).isLessThan(packets / 100);
            } finally {
                if (capture != null) {
                    capture.destroyForcibly();
                }
                runtime.destroy();
                if (!runtime.waitFor(30, TimeUnit.SECONDS)) {
                    runtime.destroyForcibly();
                }
            }
        }
    }

    private String protocols(Path home) throws java.io.IOException {
        try {
            return ProtoswProcess.run(home, work, "attach", "-c", "net:protocols").out();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new java.io.IOException(e);
        }
    }

    private static final java.util.regex.Pattern TCP_ROW =
            java.util.regex.Pattern.compile("(?m)^\\S+\\s+\\S+\\s+6\\s+tcp\\s+(\\S+)\\s+(\\d+)\\s+(\\S+)\\s+");

    /** The VERSION column of tcp's row in net:protocols, or null without one. */
    private static String tcpVersion(String protocols) {
        java.util.regex.Matcher m = TCP_ROW.matcher(protocols);
        return m.find() ? m.group(3) : null;
    }

    /** The frames of {@code cap} matching a display filter. */
    private static long count(Path cap, String filter) {
        Netns.Result r = Netns.run(List.of("tshark", "-r", cap.toString(), "-Y", filter, "-T", "fields", "-e", "frame.number"), 120);
        assertThat(r.exit()).as(r.output()).isZero();
        return r.output().lines().filter(l -> l.matches("\\d+")).count();
    }

    /** Writes {@code size} seeded bytes to {@code file}; returns their SHA-256. */
    private static byte[] writeFile(Path file, long size) throws Exception {
        MessageDigest md = MessageDigest.getInstance("SHA-256");
        SplittableRandom rnd = new SplittableRandom(42);
        byte[] chunk = new byte[1 << 20];
        try (OutputStream out = Files.newOutputStream(file)) {
            for (long done = 0; done < size; done += chunk.length) {
                rnd.nextBytes(chunk);
                md.update(chunk);
                out.write(chunk);
            }
        }
        return md.digest();
    }

    private static byte[] sha256(Path file) throws Exception {
        MessageDigest md = MessageDigest.getInstance("SHA-256");
        try (InputStream in = Files.newInputStream(file)) {
            byte[] buf = new byte[1 << 20];
            for (int n; (n = in.read(buf)) > 0; ) {
                md.update(buf, 0, n);
            }
        }
        return md.digest();
    }

    private static String version(byte[] jar) throws java.io.IOException {
        try (JarInputStream in = new JarInputStream(new ByteArrayInputStream(jar))) {
            return in.getManifest().getMainAttributes().getValue("Bundle-Version");
        }
    }

    private static String nextVersion(String v, int i) {
        org.osgi.framework.Version base = org.osgi.framework.Version.parseVersion(v);
        return new org.osgi.framework.Version(base.getMajor(), base.getMinor(), base.getMicro() + 1, "upgrade" + i).toString();
    }
}
