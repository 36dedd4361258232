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
        Path script = ProtoswTestSupport.distribution().resolve("bin/protosw");
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
}
