package org.protosw.itest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What an operator does with {@code bin/protosw attach} at a real terminal: two interactive
 * sessions at once on one service, Ctrl-C ending the command of one session only, Ctrl-D and
 * {@code exit} leaving while the service keeps running; and a runtime killed with SIGKILL
 * leaving a stale socket file that attach recognises and the next start replaces.
 *
 * <p>The terminals are tmux panes (a pseudo-terminal each, keys typed with send-keys), on a
 * tmux server of this test's own ({@code -L}), killed at the end.
 */
class AttachSessionsIT {

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

    private Process startService(String name) throws Exception {
        Path script = work.resolve("serve.gosh");
        Files.writeString(script, "net:inetd start echo tcp 7\n");
        Path err = work.resolve(name + ".err");
        Process service = ProtoswProcess.builder(work, List.of(), "--script", script.toString())
                .redirectOutput(work.resolve(name + ".out").toFile()).redirectError(err.toFile()).start();
        ProtoswProcess.waitFor("the ready line", () -> Files.readString(err).contains("ready; running until SIGTERM"), service);
        return service;
    }

    @Test
    void twoSessionsAtOnceCtrlCEndsOnlyThatSessionsCommandAndLeavingKeepsTheService() throws Exception {
        Tmux tmux = Tmux.require();
        Process service = startService("serve");
        try {
            tmux.attachSession("a", work);
            tmux.attachSession("b", work);
            tmux.waitForPane("a", "the prompt in session a", s -> s.contains("g!"), service);
            tmux.waitForPane("b", "the prompt in session b", s -> s.contains("g!"), service);

            tmux.type("a", "net:ping -i 0.2 127.0.0.1");
            tmux.waitForPane("a", "three echo replies in session a", s -> count(s, "bytes from 127.0.0.1") >= 3, service);

            // session b is served while a's ping runs: the service's own listener
            tmux.type("b", "net:netstat -an");
            tmux.waitForPane("b", "netstat in session b", s -> s.contains("LISTEN"), service);


            tmux.key("a", "C-c");
            // as in a Unix shell, the prompt comes back once the interrupted command has returned
            // (CommandInterrupts): ping's whole summary, then the prompt, nothing thrown
            tmux.waitForPane("a", "ping's summary and the prompt after Ctrl-C",
                    s -> s.contains("127.0.0.1 ping statistics ---") && s.contains("packets transmitted")
                            && promptAfter(s, "packets transmitted"), service);
            String afterInterrupt = tmux.pane("a");
            assertThat(afterInterrupt).as("the interrupted command ends with its summary, no exception")
                    .doesNotContain("InterruptedException").doesNotContain("\tat ");
            tmux.type("a", "echo session-a-alive");
            tmux.waitForPane("a", "the shell of session a after Ctrl-C",
                    s -> s.lines().anyMatch(l -> l.strip().equals("session-a-alive")), service);
            // the ping in a stopped: no reply after the shell answered
            int replies = count(tmux.pane("a"), "bytes from 127.0.0.1");
            Thread.sleep(600);
            assertThat(count(tmux.pane("a"), "bytes from 127.0.0.1")).as("ping ended by Ctrl-C").isEqualTo(replies);

            // Ctrl-C in a reached neither b nor the runtime
            tmux.type("b", "echo session-b-alive");
            tmux.waitForPane("b", "session b after a's Ctrl-C",
                    s -> s.lines().anyMatch(l -> l.strip().equals("session-b-alive")), service);
            assertThat(service.isAlive()).isTrue();

            // Tab completes from the live stack (net:complete through etc/gosh_profile): a
            // sysctl name and an interface name, each run with what Tab filled in
            tmux.typeOnly("b", "net:sysctl net.inet.ip.tt");
            tmux.key("b", "Tab");
            tmux.key("b", "Enter");
            tmux.waitForPane("b", "the sysctl name Tab completed", s -> s.contains("net.inet.ip.ttl: 64"), service);
            tmux.typeOnly("b", "net:ifconfig lo");
            tmux.key("b", "Tab");
            tmux.key("b", "Enter");
            tmux.waitForPane("b", "the interface name Tab completed", s -> s.contains("lo0: flags="), service);

            tmux.type("b", "exit");
            tmux.waitForPane("b", "attach in b to exit", s -> s.contains("attach exited 0"), service);
            tmux.key("a", "C-d");
            tmux.waitForPane("a", "attach in a to exit on Ctrl-D", s -> s.contains("attach exited 0"), service);

            Run status = protosw("status");
            assertThat(status.status()).as("the service still runs after both sessions left").isZero();
            Run ping = protosw("attach", "-c", "net:ping -c 1 127.0.0.1");
            assertThat(ping.status()).as(ping.err()).isZero();
            assertThat(ping.out()).contains("1 packets transmitted, 1 packets received");

            assertThat(protosw("stop").status()).isZero();
            assertThat(service.waitFor(30, TimeUnit.SECONDS)).isTrue();
            assertThat(service.exitValue()).isZero();
        } finally {
            tmux.kill();
            service.destroyForcibly();
        }
    }

    @Test
    void aStaleSocketFromAKilledRuntimeIsRecognisedAndReplacedAtTheNextStart() throws Exception {
        Path socket = work.resolve("data/protosw.sock");
        Process killed = startService("killed");
        try {
            assertThat(Files.exists(socket)).isTrue();
            // bin/protosw execs the JVM: SIGKILL reaches the runtime, which cannot clean up
            killed.destroyForcibly();
            assertThat(killed.waitFor(30, TimeUnit.SECONDS)).isTrue();
        } finally {
            killed.destroyForcibly();
        }
        assertThat(Files.exists(socket)).as("a killed runtime leaves its socket file").isTrue();

        Run attach = protosw("attach", "-c", "lb");
        assertThat(attach.status()).isEqualTo(1);
        assertThat(attach.err().lines().toList()).hasSize(1).first().asString()
                .contains("no protosw runtime is running").contains("left from a runtime that did not stop cleanly");
        assertThat(protosw("status").status()).as("status of a stale socket").isEqualTo(3);

        Process service = startService("serve");
        try {
            assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(socket))).isEqualTo("rw-------");
            Run netstat = protosw("attach", "-c", "net:netstat -an");
            assertThat(netstat.status()).as(netstat.err()).isZero();
            assertThat(netstat.out()).contains("LISTEN");
            assertThat(protosw("stop").status()).isZero();
            assertThat(service.waitFor(30, TimeUnit.SECONDS)).isTrue();
            assertThat(Files.exists(socket)).as("socket file removed by a clean stop").isFalse();
        } finally {
            service.destroyForcibly();
        }
    }

    /** Whether a prompt follows the last line holding {@code text}. */
    private static boolean promptAfter(String screen, String text) {
        int at = screen.lastIndexOf(text);
        return at >= 0 && screen.indexOf("g!", at) > 0;
    }

    private static int count(String text, String what) {
        int n = 0;
        for (int i = text.indexOf(what); i >= 0; i = text.indexOf(what, i + what.length())) {
            n++;
        }
        return n;
    }

    /** A tmux server of the test's own: one session per attached terminal. */
    private static final class Tmux {
        private final String server = "protosw-it-" + UUID.randomUUID();

        static Tmux require() {
            boolean found = List.of(System.getenv().getOrDefault("PATH", "").split(":")).stream()
                    .anyMatch(d -> Files.isExecutable(Path.of(d, "tmux")));
            if (!found && "true".equals(System.getenv("CI"))) {
                throw new AssertionError("tmux is not installed, and CI=true: .ci/run installs it");
            }
            assumeTrue(found, "tmux is not installed: the attach terminal tests need a pseudo-terminal from it");
            return new Tmux();
        }

        /** {@code bin/protosw attach} in a new 200x50 terminal; the pane stays to show the exit status. */
        void attachSession(String name, Path work) throws IOException, InterruptedException {
            ProcessBuilder b = ProtoswProcess.builder(work, List.of(), "attach");
            StringBuilder line = new StringBuilder("env");
            for (String k : List.of("JAVA_HOME", "PROTOSW_DATA")) {
                line.append(' ').append(k).append('=').append(quote(b.environment().get(k)));
            }
            for (String arg : b.command()) {
                line.append(' ').append(quote(arg));
            }
            line.append("; echo \"attach exited $?\"; sleep 600");
            tmux("new-session", "-d", "-s", name, "-x", "200", "-y", "50", "-c", work.toString(), line.toString());
        }

        void type(String session, String text) throws IOException, InterruptedException {
            typeOnly(session, text);
            tmux("send-keys", "-t", session, "Enter");
        }

        /** Keys typed without Enter (to press Tab after them). */
        void typeOnly(String session, String text) throws IOException, InterruptedException {
            tmux("send-keys", "-t", session, "-l", text);
        }

        void key(String session, String key) throws IOException, InterruptedException {
            tmux("send-keys", "-t", session, key);
        }

        String pane(String session) throws IOException, InterruptedException {
            return tmux("capture-pane", "-p", "-J", "-S", "-", "-t", session);
        }

        interface PaneCheck {
            boolean holds(String pane);
        }

        void waitForPane(String session, String what, PaneCheck check, Process service) throws IOException, InterruptedException {
            try {
                ProtoswProcess.waitFor(what, () -> {
                    try {
                        return check.holds(pane(session));
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                        throw new IOException(e);
                    }
                }, service);
            } catch (AssertionError e) {
                throw new AssertionError(e.getMessage() + "; session " + session + " shows:\n" + pane(session), e);
            }
        }

        void kill() throws IOException, InterruptedException {
            tmux("kill-server");
        }

        private String tmux(String... args) throws IOException, InterruptedException {
            List<String> cmd = new ArrayList<>(List.of("tmux", "-L", server, "-f", "/dev/null"));
            cmd.addAll(List.of(args));
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes());
            if (!p.waitFor(30, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new IOException("tmux " + String.join(" ", args) + " did not end");
            }
            if (p.exitValue() != 0 && !args[0].equals("kill-server")) {
                throw new IOException("tmux " + String.join(" ", args) + " failed (" + p.exitValue() + "): " + out);
            }
            return out;
        }

        private static String quote(String s) {
            return "'" + s.replace("'", "'\\''") + "'";
        }
    }
}
