package org.protosw.launcher;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.TimeUnit;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** log:display and log:tail over entries logged through a real logback context. */
class LogCommandsTest {
    private final LogRing ring = new LogRing(100);
    private final LogCommands commands = new LogCommands(ring);
    private Logger log;

    @BeforeEach
    void logback() {
        LoggerContext ctx = new LoggerContext();
        LogRingAppender a = new LogRingAppender(ring);
        a.setContext(ctx);
        a.start();
        Logger root = ctx.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
        root.setLevel(ch.qos.logback.classic.Level.INFO);
        root.addAppender(a);
        log = ctx.getLogger("org.protosw.test.Thing");
    }

    private static List<String> lines(ByteArrayOutputStream b) {
        return b.toString(StandardCharsets.UTF_8).lines().toList();
    }

    @Test
    void displayFiltersByLevelAndCount() {
        log.debug("not logged at INFO");
        log.info("tcp loaded");
        log.warn("pipe 1 queue full");
        log.error("deploy failed: bundle org.example.bad", new IllegalStateException("missing import org.nowhere"));
        log.info("udp loaded");

        ByteArrayOutputStream all = new ByteArrayOutputStream();
        commands.display(new PrintStream(all, true, StandardCharsets.UTF_8));
        assertThat(lines(all)).filteredOn(l -> l.contains(" - ")).hasSize(4);
        assertThat(lines(all).get(0)).matches("\\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d\\.\\d{3} INFO  \\[.*\\] org\\.protosw\\.test\\.Thing - tcp loaded");

        ByteArrayOutputStream warn = new ByteArrayOutputStream();
        commands.display(new PrintStream(warn, true, StandardCharsets.UTF_8), "-l", "WARN");
        List<String> w = lines(warn);
        assertThat(w).filteredOn(l -> l.contains(" - ")).hasSize(2);
        assertThat(w.get(0)).contains("WARN ", "pipe 1 queue full");
        assertThat(w.get(1)).contains("ERROR", "deploy failed");
        // why it failed: the exception, with its message, follows the entry
        assertThat(w).anyMatch(l -> l.contains("IllegalStateException: missing import org.nowhere"));
        assertThat(w).noneMatch(l -> l.contains("loaded"));

        ByteArrayOutputStream last = new ByteArrayOutputStream();
        commands.display(new PrintStream(last, true, StandardCharsets.UTF_8), "-l", "info", "-n", "1");
        assertThat(lines(last)).singleElement().matches(l -> l.endsWith("udp loaded"));

        assertThatThrownBy(() -> commands.display(System.out, "-l", "LOUD")).hasMessageContaining("-l takes TRACE, DEBUG, INFO, WARN or ERROR");
        assertThatThrownBy(() -> commands.display(System.out, "-x")).hasMessageContaining("unknown argument '-x'");
    }

    @Test
    void tailShowsTheLastEntriesThenFollowsUntilCount() throws Exception {
        log.info("before");
        log.warn("old warning");
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        PrintStream ps = new PrintStream(out, true, StandardCharsets.UTF_8);
        Thread t = Thread.ofPlatform().start(() -> {
            commands.tail(ps, "-l", "WARN", "-n", "3");
        });
        awaitWaiting(t);
        assertThat(lines(out)).singleElement().matches(l -> l.endsWith("old warning"));
        log.info("not a warning");
        log.warn("new warning 1");
        log.error("new error 2");
        log.warn("not shown: the count was reached");
        t.join(TimeUnit.SECONDS.toMillis(30));
        assertThat(t.isAlive()).isFalse();
        assertThat(lines(out)).hasSize(3);
        assertThat(lines(out).get(1)).endsWith("new warning 1");
        assertThat(lines(out).get(2)).endsWith("new error 2");
    }

    @Test
    void tailFollowsUntilInterrupted() throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        PrintStream ps = new PrintStream(out, true, StandardCharsets.UTF_8);
        Thread t = Thread.ofPlatform().start(() -> {
            commands.tail(ps);
        });
        awaitWaiting(t);
        log.info("followed");
        // the entry printed, then the follower waits again
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (!out.toString(StandardCharsets.UTF_8).contains("followed") && System.nanoTime() < deadline) {
            Thread.onSpinWait();
        }
        awaitWaiting(t);
        // Ctrl-C in a session interrupts its command thread
        t.interrupt();
        t.join(TimeUnit.SECONDS.toMillis(30));
        assertThat(t.isAlive()).as("tail ended on the interrupt").isFalse();
        assertThat(lines(out)).singleElement().matches(l -> l.endsWith("followed"));
    }

    /** Until {@code t} waits in the ring for an entry (so what is logged next is news to it). */
    private void awaitWaiting(Thread t) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (!ring.hasWaiter(t)) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("tail never waited for an entry; state " + t.getState());
            }
            Thread.sleep(1);
        }
    }
}
