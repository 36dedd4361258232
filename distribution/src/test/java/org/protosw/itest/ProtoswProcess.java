package org.protosw.itest;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * The assembled {@code bin/protosw} started as a user would: with a data folder of its own
 * (PROTOSW_DATA) and the JDK running the tests as JAVA_HOME, optionally inside a network
 * namespace ({@code ip netns exec}).
 */
final class ProtoswProcess {
    static final Duration RUN_LIMIT = Duration.ofSeconds(90);

    private ProtoswProcess() {
    }

    /** {@code bin/protosw ARGS} in {@code work} (its data under {@code work/data}), stdin from /dev/null. */
    static ProcessBuilder builder(Path work, List<String> prefix, String... args) {
        return builder(ProtoswTestSupport.distribution(), work, prefix, args);
    }

    /** {@code HOME/bin/protosw ARGS}: an installation other than the build's (a copy a test may change). */
    static ProcessBuilder builder(Path home, Path work, List<String> prefix, String... args) {
        Path script = home.resolve("bin/protosw");
        ProcessBuilder builder = new ProcessBuilder();
        builder.command().addAll(prefix);
        builder.command().add(script.toString());
        builder.command().addAll(List.of(args));
        Map<String, String> env = builder.environment();
        env.put("JAVA_HOME", System.getProperty("java.home"));
        env.put("PROTOSW_DATA", work.resolve("data").toString());
        env.remove("JAVA_OPTS");
        builder.redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
        builder.directory(work.toFile());
        return builder;
    }

    interface Check {
        boolean holds() throws IOException;
    }

    /** Waits until {@code check} holds, failing when the process exits first or {@link #RUN_LIMIT} passes. */
    static void waitFor(String what, Check check, Process process) throws IOException, InterruptedException {
        long deadline = System.nanoTime() + RUN_LIMIT.toNanos();
        while (!check.holds()) {
            if (!process.isAlive()) {
                throw new AssertionError("protosw exited (" + process.exitValue() + ") before " + what);
            }
            if (System.nanoTime() - deadline >= 0) {
                throw new AssertionError("no " + what + " within " + RUN_LIMIT);
            }
            Thread.sleep(50);
        }
    }

    /** What a finished {@code bin/protosw} call printed, and its exit status. */
    record Run(int status, String out, String err) {
    }

    /** Runs {@code HOME/bin/protosw ARGS} to its end (at most {@link #RUN_LIMIT}). */
    static Run run(Path home, Path work, String... args) throws IOException, InterruptedException {
        Path out = work.resolve("out-" + java.util.UUID.randomUUID());
        Path err = work.resolve("err-" + java.util.UUID.randomUUID());
        Process p = builder(home, work, List.of(), args).redirectOutput(out.toFile()).redirectError(err.toFile()).start();
        try {
            if (!p.waitFor(RUN_LIMIT.toSeconds(), java.util.concurrent.TimeUnit.SECONDS)) {
                throw new AssertionError("protosw " + List.of(args) + " did not end within " + RUN_LIMIT);
            }
            return new Run(p.exitValue(), java.nio.file.Files.readString(out), java.nio.file.Files.readString(err));
        } finally {
            p.destroyForcibly();
            java.nio.file.Files.deleteIfExists(out);
            java.nio.file.Files.deleteIfExists(err);
        }
    }

    /**
     * A copy of the assembled installation under {@code to}, for a test that changes its
     * {@code deploy/} folder: the build's own stays as every other test expects it.
     */
    static Path copyOfDistribution(Path to) throws IOException {
        Path from = ProtoswTestSupport.distribution();
        try (var files = java.nio.file.Files.walk(from)) {
            for (Path f : (Iterable<Path>) files::iterator) {
                Path target = to.resolve(from.relativize(f).toString());
                if (f.startsWith(from.resolve("data"))) {
                    continue;
                }
                if (java.nio.file.Files.isDirectory(f)) {
                    java.nio.file.Files.createDirectories(target);
                } else {
                    java.nio.file.Files.copy(f, target, java.nio.file.StandardCopyOption.COPY_ATTRIBUTES);
                }
            }
        }
        return to;
    }
}
