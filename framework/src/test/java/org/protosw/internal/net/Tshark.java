package org.protosw.internal.net;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * tshark for tests that check our bytes with a decoder nobody here wrote. Without tshark the
 * test is skipped with the reason, except under {@code CI=true}, where it fails (the rule
 * {@link Netns} and {@code CaptureTest} follow).
 */
public final class Tshark {
    /** Checksum validation on: tshark otherwise leaves TCP and UDP checksums unverified. */
    public static final List<String> CHECK_CHECKSUMS = List.of("-o", "ip.check_checksum:TRUE", "-o",
            "tcp.check_checksum:TRUE", "-o", "udp.check_checksum:TRUE");

    private final String path;
    private final Path home;

    private Tshark(String path, Path home) {
        this.path = path;
        this.home = home;
    }

    /** tshark from the PATH, or the test skipped (failed under CI=true) saying {@code what} needs it. */
    public static Tshark require(String what, Path home) {
        String p = findOnPath("tshark");
        if (p == null) {
            if ("true".equals(System.getenv("CI"))) {
                fail("tshark is not installed but CI=true: install it (Debian package tshark) so " + what);
            }
            assumeTrue(false, "tshark is not installed: skipping the check that " + what
                    + " (install the Debian package tshark)");
        }
        return new Tshark(p, home);
    }

    /** Runs {@code tshark -n -r file args...}; answers stdout and stderr together, failing on a non-zero exit. */
    public String read(Path file, List<String> args) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(List.of(path, "-n", "-r", file.toString()));
        cmd.addAll(args);
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
        pb.environment().put("HOME", home.toString()); // tshark may want a writable profile directory
        Process proc = pb.start();
        byte[] out = proc.getInputStream().readAllBytes();
        if (!proc.waitFor(60, TimeUnit.SECONDS)) {
            proc.destroyForcibly();
            fail("tshark did not finish within 60 s");
        }
        String text = new String(out, StandardCharsets.UTF_8);
        assertThat(proc.exitValue()).as("tshark exit status; output:%n%s", text).isZero();
        return text;
    }

    /**
     * One line of tab-separated {@code fields} for each frame ({@code -T fields}; the first
     * occurrence of each field, as in a quoting ICMP error the outer header's), without
     * tshark's notes about running as root.
     */
    public List<String[]> fields(Path file, List<String> options, String... fields) throws IOException, InterruptedException {
        return fields(file, options, 'f', fields);
    }

    /** As {@link #fields(Path, List, String...)}; {@code occurrence} 'f', 'l' or 'a' (all, comma-separated). */
    public List<String[]> fields(Path file, List<String> options, char occurrence, String... fields)
            throws IOException, InterruptedException {
        List<String> args = new ArrayList<>(options);
        args.addAll(List.of("-T", "fields", "-E", "separator=/t", "-E", "occurrence=" + occurrence));
        for (String f : fields) {
            args.add("-e");
            args.add(f);
        }
        List<String[]> rows = new ArrayList<>();
        for (String line : read(file, args).lines().toList()) {
            if (line.startsWith("Running as user")) {
                continue;
            }
            rows.add(line.split("\t", -1));
        }
        return rows;
    }

    private static String findOnPath(String name) {
        String p = System.getenv("PATH");
        if (p == null) {
            return null;
        }
        for (String d : p.split(File.pathSeparator)) {
            Path f = Path.of(d, name);
            if (Files.isExecutable(f)) {
                return f.toString();
            }
        }
        return null;
    }
}
