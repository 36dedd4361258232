package org.protosw.launcher.gogo;

import java.lang.reflect.Field;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.AbstractExecutorService;
import java.util.concurrent.Callable;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.felix.service.command.CommandSession;
import org.apache.felix.service.command.Job;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Makes Ctrl-C in a Gogo session interrupt the running command and wait for it, as a shell's
 * SIGINT reaches the foreground process group and the shell waits for it to exit.
 *
 * <p>Gogo's runtime runs a job on a thread of the session's executor, and that thread runs the
 * job's commands (its pipes) on more threads of the same executor with {@code invokeAll}. On
 * SIGINT the shell calls {@link Job#interrupt()}, which cancels the job's future: the job thread
 * is interrupted, {@code invokeAll} gives up at once, and the shell draws its prompt while the
 * interrupted command (ping writing its summary) is still running. Its last lines then land
 * after the prompt, and the line editor's redraw of the prompt can erase them.
 *
 * <p>So the session's executor is replaced by one whose job futures, when cancelled, interrupt
 * the threads running that job's commands instead: the command stops as it does on an
 * interrupt, writes what it writes, returns, and only then does the job end and the prompt come
 * back. A command that ignores the interrupt is not waited for forever: the second Ctrl-C
 * cancels the job as Gogo does.
 */
final class CommandInterrupts {

    private static final Logger LOG = LoggerFactory.getLogger(CommandInterrupts.class);

    private CommandInterrupts() {
    }

    /**
     * Replaces {@code session}'s executor.
     *
     * @return false when the session is not one of the Gogo runtime this was written for (no
     *     {@code executor} field): Ctrl-C then works as Gogo's own, and a warning says so
     */
    static boolean waitForInterruptedCommands(CommandSession session) {
        for (Class<?> type = session.getClass(); type != null; type = type.getSuperclass()) {
            try {
                Field field = type.getDeclaredField("executor");
                field.setAccessible(true);
                if (!(field.get(session) instanceof ExecutorService gogo)) {
                    break;
                }
                field.set(session, new JobExecutor(gogo));
                return true;
            } catch (NoSuchFieldException e) {
                // look in the superclass
            } catch (ReflectiveOperationException | RuntimeException e) {
                LOG.debug("replacing the executor of {}", type.getName(), e);
                break;
            }
        }
        LOG.warn("the Gogo runtime's session ({}) has no executor to replace: after Ctrl-C the prompt may come back "
                + "before the interrupted command has written its last lines", session.getClass().getName());
        return false;
    }

    /**
     * Delegates to Gogo's executor, noting which threads run each job's commands: a command is
     * a task of an {@code invokeAll} made by the job's thread.
     */
    static final class JobExecutor extends AbstractExecutorService {
        private final ExecutorService gogo;
        /** The threads running commands, by the job thread that started them. */
        private final Map<Thread, Set<Thread>> commands = new ConcurrentHashMap<>();

        JobExecutor(ExecutorService gogo) {
            this.gogo = gogo;
        }

        @Override
        public Future<?> submit(Runnable task) {
            if (!(task instanceof Job)) {
                return gogo.submit(task);
            }
            JobRun run = new JobRun(task);
            run.future = gogo.submit(run);
            return run;
        }

        @Override
        public <T> List<Future<T>> invokeAll(Collection<? extends Callable<T>> tasks) throws InterruptedException {
            Thread job = Thread.currentThread();
            Set<Thread> running = commands.computeIfAbsent(job, t -> ConcurrentHashMap.newKeySet());
            List<Callable<T>> noted = new ArrayList<>(tasks.size());
            for (Callable<T> task : tasks) {
                noted.add(() -> {
                    Thread self = Thread.currentThread();
                    running.add(self);
                    try {
                        return task.call();
                    } finally {
                        running.remove(self);
                    }
                });
            }
            try {
                return gogo.invokeAll(noted);
            } finally {
                commands.remove(job, running);
            }
        }

        /** Interrupts the commands {@code job} runs; false when it runs none (yet, or any more). */
        private boolean interruptCommands(Thread job) {
            Set<Thread> running = job == null ? null : commands.get(job);
            if (running == null || running.isEmpty()) {
                return false;
            }
            for (Thread t : running) {
                t.interrupt();
            }
            return true;
        }

        @Override
        public void execute(Runnable command) {
            gogo.execute(command);
        }

        @Override
        public void shutdown() {
            gogo.shutdown();
        }

        @Override
        public List<Runnable> shutdownNow() {
            return gogo.shutdownNow();
        }

        @Override
        public boolean isShutdown() {
            return gogo.isShutdown();
        }

        @Override
        public boolean isTerminated() {
            return gogo.isTerminated();
        }

        @Override
        public boolean awaitTermination(long timeout, TimeUnit unit) throws InterruptedException {
            return gogo.awaitTermination(timeout, unit);
        }

        /** A job on its thread, whose cancel interrupts its commands the first time. */
        private final class JobRun implements Runnable, Future<Object> {
            private final Runnable job;
            private final AtomicBoolean commandsInterrupted = new AtomicBoolean();
            private volatile Thread thread;
            volatile Future<?> future;

            JobRun(Runnable job) {
                this.job = job;
            }

            @Override
            public void run() {
                thread = Thread.currentThread();
                try {
                    job.run();
                } finally {
                    thread = null;
                }
            }

            @Override
            public boolean cancel(boolean mayInterruptIfRunning) {
                if (mayInterruptIfRunning && !commandsInterrupted.getAndSet(true) && interruptCommands(thread)) {
                    // the job ends when its commands return; the caller's cancel is answered
                    return true;
                }
                return future.cancel(mayInterruptIfRunning);
            }

            @Override
            public boolean isCancelled() {
                return future.isCancelled();
            }

            @Override
            public boolean isDone() {
                return future.isDone();
            }

            @Override
            public Object get() throws InterruptedException, ExecutionException {
                return future.get();
            }

            @Override
            public Object get(long timeout, TimeUnit unit) throws InterruptedException, ExecutionException, TimeoutException {
                return future.get(timeout, unit);
            }
        }
    }
}
