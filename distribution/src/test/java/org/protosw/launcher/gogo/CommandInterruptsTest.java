package org.protosw.launcher.gogo;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.felix.gogo.runtime.CommandProcessorImpl;
import org.apache.felix.gogo.runtime.threadio.ThreadIOImpl;
import org.apache.felix.service.command.CommandSession;
import org.apache.felix.service.command.Job;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Ctrl-C (the shell's {@link Job#interrupt()}) must give the prompt back only after the
 * interrupted command has returned, with its last lines written: the real Gogo runtime and a
 * command shaped like ping, which runs until interrupted and then takes a while to write its
 * summary.
 */
@Timeout(60)
class CommandInterruptsTest {

    private static final String SUMMARY = "--- 127.0.0.1 ping statistics ---";

    private final ThreadIOImpl threadIo = new ThreadIOImpl();
    private CommandProcessorImpl processor;
    private final CountDownLatch running = new CountDownLatch(1);
    private final CountDownLatch stubbornRunning = new CountDownLatch(1);

    /** The test's commands, in scope "t". */
    public final class Commands {
        /** ping's shape: replies until interrupted, then (slowly) the summary. */
        public void ping() throws InterruptedException {
            running.countDown();
            try {
                Thread.sleep(60_000);
            } catch (InterruptedException e) {
                // Ctrl-C: stop sending, print what was seen
            }
            Thread.sleep(300);
            System.out.println(SUMMARY);
        }

        /** A command that ignores interrupts until its flag is noticed a second time. */
        public void stubborn() {
            stubbornRunning.countDown();
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            int seen = 0;
            while (seen < 2 && System.nanoTime() < deadline) {
                if (Thread.interrupted()) {
                    seen++;
                }
                Thread.onSpinWait();
            }
        }
    }

    @BeforeEach
    void start() {
        threadIo.start();
        processor = new CommandProcessorImpl(threadIo);
        Commands commands = new Commands();
        processor.addCommand("t", commands, "ping");
        processor.addCommand("t", commands, "stubborn");
    }

    @AfterEach
    void stop() {
        processor.stop();
        threadIo.stop();
    }

    /** What the shell sees when execute returns: the output so far, and what execute threw. */
    private record Returned(String output, Throwable thrown) {
    }

    private Returned interruptPing(boolean installed) throws Exception {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        PrintStream out = new PrintStream(bytes, true, StandardCharsets.UTF_8);
        CommandSession session = processor.createSession(InputStream.nullInputStream(), out, out);
        if (installed) {
            assertThat(CommandInterrupts.waitForInterruptedCommands(session)).isTrue();
        }
        AtomicReference<Returned> returned = new AtomicReference<>();
        Thread shell = Thread.ofPlatform().start(() -> {
            Throwable thrown = null;
            try {
                session.execute("t:ping");
            } catch (Exception e) {
                thrown = e;
            }
            synchronized (bytes) {
                returned.set(new Returned(bytes.toString(StandardCharsets.UTF_8), thrown));
            }
        });
        assertThat(running.await(10, TimeUnit.SECONDS)).isTrue();
        Job job = awaitForegroundJob(session);
        job.interrupt();
        shell.join(TimeUnit.SECONDS.toMillis(10));
        session.close();
        return returned.get();
    }

    @Test
    void gogoAloneReturnsBeforeTheInterruptedCommandHasWrittenItsSummary() throws Exception {
        Returned r = interruptPing(false);
        // the failure this class exists for: if Gogo ever waits by itself, it can go
        assertThat(r.output()).doesNotContain(SUMMARY);
        assertThat(r.thrown()).isInstanceOf(InterruptedException.class);
    }

    @Test
    void theShellGetsItsPromptBackAfterTheSummary() throws Exception {
        Returned r = interruptPing(true);
        assertThat(r.output()).contains(SUMMARY);
        assertThat(r.thrown()).isNull();
    }

    @Test
    void aSecondInterruptCancelsACommandThatIgnoresTheFirst() throws Exception {
        CommandSession session = processor.createSession(InputStream.nullInputStream(), System.out, System.err);
        assertThat(CommandInterrupts.waitForInterruptedCommands(session)).isTrue();
        AtomicReference<Throwable> thrown = new AtomicReference<>();
        CountDownLatch returned = new CountDownLatch(1);
        Thread.ofPlatform().start(() -> {
            try {
                session.execute("t:stubborn");
            } catch (Exception e) {
                thrown.set(e);
            }
            returned.countDown();
        });
        assertThat(stubbornRunning.await(10, TimeUnit.SECONDS)).isTrue();
        Job job = awaitForegroundJob(session);
        job.interrupt();
        // the first Ctrl-C is answered by waiting for the command, which does not stop
        assertThat(returned.await(500, TimeUnit.MILLISECONDS)).isFalse();
        job.interrupt();
        assertThat(returned.await(10, TimeUnit.SECONDS)).isTrue();
        session.close();
    }

    private static Job awaitForegroundJob(CommandSession session) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (session.foregroundJob() == null && System.nanoTime() < deadline) {
            Thread.sleep(1);
        }
        assertThat(session.foregroundJob()).isNotNull();
        return session.foregroundJob();
    }
}
