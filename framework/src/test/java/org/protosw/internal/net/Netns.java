package org.protosw.internal.net;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

/**
 * A Linux network namespace made for one test ({@code protosw-<random>}), deleted on
 * {@link #close} and, should the JVM stop first, by a shutdown hook. The stack's side runs
 * {@link #inside} it: on a thread of its own that entered the namespace with setns(2), so a
 * TUN device opened there, and the {@code ip} commands run from there, belong to the
 * namespace and never touch the host's network.
 *
 * <p>Needs root, {@code /dev/net/tun} and iproute2: without them {@link #create} skips the
 * test with the reason, except when {@code CI=true}, where it fails.
 */
public final class Netns implements AutoCloseable {
    private static final int CLONE_NEWNET = 0x40000000;
    private static final long CMD_TIMEOUT_S = 30;

    private final String name;
    private final Thread hook;
    private boolean closed;

    private Netns(String name) {
        this.name = name;
        this.hook = new Thread(() -> run(List.of("ip", "netns", "delete", name)), "netns-cleanup-" + name);
        Runtime.getRuntime().addShutdownHook(hook);
    }

    /** A new namespace with its loopback up, or the test is skipped (failed on CI) with the reason. */
    public static Netns create() throws IOException, InterruptedException {
        String missing = missing();
        if (missing != null) {
            if ("true".equals(System.getenv("CI"))) {
                throw new AssertionError("Linux peer tests cannot run on CI: " + missing);
            }
            assumeTrue(false, "Linux peer tests skipped: " + missing);
        }
        String name = "protosw-" + HexFormat.of().toHexDigits(ThreadLocalRandom.current().nextInt());
        Result r = run(List.of("ip", "netns", "add", name));
        if (r.exit() != 0) {
            throw new AssertionError("ip netns add " + name + " failed: " + r.output());
        }
        Netns ns = new Netns(name);
        ns.exec("ip", "link", "set", "lo", "up").check();
        return ns;
    }

    /** Why the tests cannot run here, or null when they can. */
    public static String missing() {
        if (!System.getProperty("os.name", "").toLowerCase().contains("linux")) {
            return "not Linux";
        }
        if (!Files.exists(Path.of("/dev/net/tun"))) {
            return "no /dev/net/tun (tun module not loaded)";
        }
        try {
            if (!"0".equals(run(List.of("id", "-u")).output().strip())) {
                return "not root (network namespaces and TUN devices need CAP_NET_ADMIN)";
            }
            if (run(List.of("ip", "-V")).exit() != 0) {
                return "no ip(8) (install iproute2)";
            }
        } catch (RuntimeException e) {
            return "cannot run id or ip: " + e.getMessage();
        }
        return null;
    }

    public String name() {
        return name;
    }

    /** Runs a program inside the namespace ({@code ip netns exec}), bounded in time. */
    public Result exec(String... cmd) {
        return exec(CMD_TIMEOUT_S, cmd);
    }

    /** As {@link #exec(String...)}, for programs that may take up to {@code timeoutS} seconds (bulk transfers). */
    public Result exec(long timeoutS, String... cmd) {
        List<String> full = new ArrayList<>(List.of("ip", "netns", "exec", name));
        full.addAll(List.of(cmd));
        return run(full, timeoutS);
    }

    /** Runs {@code body} on a fresh thread that entered this namespace first. */
    public <T> T inside(Callable<T> body) throws Exception {
        AtomicReference<T> result = new AtomicReference<>();
        AtomicReference<Throwable> failure = new AtomicReference<>();
        Thread t = Thread.ofPlatform().name("in-" + name).start(() -> {
            try {
                enter();
                result.set(body.call());
            } catch (Throwable e) {
                failure.set(e);
            }
        });
        t.join(TimeUnit.SECONDS.toMillis(CMD_TIMEOUT_S * 2));
        if (t.isAlive()) {
            t.interrupt();
            throw new AssertionError("work inside " + name + " did not finish");
        }
        Throwable f = failure.get();
        if (f instanceof Exception e) {
            throw e;
        }
        if (f instanceof Error e) {
            throw e;
        }
        return result.get();
    }

    private void enter() throws Throwable {
        Linker linker = Linker.nativeLinker();
        MethodHandle open = linker.downcallHandle(linker.defaultLookup().find("open").orElseThrow(),
                FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.JAVA_INT));
        MethodHandle setns = linker.downcallHandle(linker.defaultLookup().find("setns").orElseThrow(),
                FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.JAVA_INT));
        MethodHandle close = linker.downcallHandle(linker.defaultLookup().find("close").orElseThrow(),
                FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT));
        try (Arena a = Arena.ofConfined()) {
            MemorySegment path = a.allocateFrom("/run/netns/" + name);
            int fd = (int) open.invokeExact(path, 0x80000 /* O_RDONLY | O_CLOEXEC */);
            if (fd < 0) {
                throw new AssertionError("cannot open /run/netns/" + name);
            }
            int r = (int) setns.invokeExact(fd, CLONE_NEWNET);
            int ignored = (int) close.invokeExact(fd);
            if (r != 0) {
                throw new AssertionError("setns into " + name + " failed");
            }
        }
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        run(List.of("ip", "netns", "delete", name));
        try {
            Runtime.getRuntime().removeShutdownHook(hook);
        } catch (IllegalStateException e) {
            // the JVM is already stopping; the hook deletes nothing more
        }
    }

    /** What a program printed (stdout and stderr together) and its exit status. */
    public record Result(int exit, String output) {
        public Result check() {
            if (exit != 0) {
                throw new AssertionError("exit " + exit + ": " + output);
            }
            return this;
        }
    }

    public static Result run(List<String> cmd) {
        return run(cmd, CMD_TIMEOUT_S);
    }

    public static Result run(List<String> cmd, long timeoutS) {
        try {
            Path out = Files.createTempFile("netns", ".out");
            try {
                Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(out.toFile())
                        .redirectInput(new java.io.File("/dev/null")).start();
                if (!p.waitFor(timeoutS, TimeUnit.SECONDS)) {
                    p.descendants().forEach(ProcessHandle::destroyForcibly);
                    p.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
                    throw new AssertionError(String.join(" ", cmd) + " did not finish in " + timeoutS + " s");
                }
                return new Result(p.exitValue(), Files.readString(out, StandardCharsets.UTF_8));
            } finally {
                Files.deleteIfExists(out);
            }
        } catch (IOException e) {
            throw new IllegalStateException("cannot run " + cmd.get(0) + ": " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted running " + cmd.get(0), e);
        }
    }
}
