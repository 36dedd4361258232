package org.protosw.launcher.gogo;

import java.io.IOException;
import java.io.OutputStream;
import java.lang.reflect.Field;
import java.nio.ByteBuffer;
import java.nio.channels.AsynchronousCloseException;
import java.nio.channels.Channel;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.WritableByteChannel;
import java.nio.channels.spi.AbstractInterruptibleChannel;
import org.apache.felix.service.command.CommandSession;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Makes a Gogo session's stdout and stderr survive Ctrl-C.
 *
 * <p>Gogo's runtime turns the streams a session is created with into channels once, with
 * {@link java.nio.channels.Channels#newChannel(OutputStream)}, and every command of the session
 * writes through them. That JDK channel is an interruptible one: a thread interrupted while it
 * writes (or that writes with its interrupt flag set) closes it for good. Ctrl-C interrupts the
 * foreground job, so a Ctrl-C that lands while a command prints (ping writing a reply or its
 * summary) closed the session's output: the rest of the summary was lost, and every later
 * command, the prompt included, printed nothing. Gogo wraps the channel per command in one of
 * its own so that an interrupt closes only the wrapper, but the JDK channel inside it still sees
 * the interrupt and closes itself.
 *
 * <p>So each session's output channels are replaced by ones that write to the same streams and
 * ignore interrupts. The streams themselves never block on an interrupt: an attached session's
 * go to its connection's writer queue, the local one's to the terminal's file descriptor.
 *
 * <p>That keeps the session; keeping the rest of the interrupted command's output (ping's
 * summary after a reply line that Ctrl-C landed on) needs Gogo's per-command wrapper kept open
 * too. A thread's interrupt closes only the channel it is blocked on, the one whose
 * {@code begin()} ran last, so while our channel writes, the thread is "blocked on" a channel
 * that is closed already ({@link InterruptShield}), whose close does nothing: the interrupt sets
 * the thread's flag, as the command expects, and closes nothing. Left: an interrupt in the few
 * instructions between Gogo's {@code begin()} and ours still closes the wrapper (the command's
 * remaining output is lost, the session keeps printing), and a command that writes with its
 * interrupt flag still set closes it at once (ping clears the flag before its summary).
 */
final class SessionOutputs {

    private static final Logger LOG = LoggerFactory.getLogger(SessionOutputs.class);
    private static final int STDOUT = 1;
    private static final int STDERR = 2;

    private SessionOutputs() {
    }

    /**
     * Replaces {@code session}'s stdout and stderr channels by uninterruptible ones over
     * {@code out} and {@code err} (the streams the session was created with).
     *
     * @return false when the session is not one of the Gogo runtime this was written for (no
     *     {@code channels} field): it keeps Gogo's own channels, and a warning says so
     */
    static boolean keepOpenOnInterrupt(CommandSession session, OutputStream out, OutputStream err) {
        Channel[] channels = channelsOf(session);
        if (channels == null || channels.length <= STDERR) {
            LOG.warn("the Gogo runtime's session ({}) has no channels to replace: a Ctrl-C while a command prints "
                    + "can silence the session", session.getClass().getName());
            return false;
        }
        WritableByteChannel stdout = new StreamChannel(out);
        channels[STDOUT] = stdout;
        channels[STDERR] = err == out ? stdout : new StreamChannel(err);
        return true;
    }

    private static Channel[] channelsOf(CommandSession session) {
        for (Class<?> type = session.getClass(); type != null; type = type.getSuperclass()) {
            try {
                Field field = type.getDeclaredField("channels");
                field.setAccessible(true);
                return field.get(session) instanceof Channel[] channels ? channels : null;
            } catch (NoSuchFieldException e) {
                // look in the superclass
            } catch (ReflectiveOperationException | RuntimeException e) {
                LOG.debug("reading the channels of {}", type.getName(), e);
                return null;
            }
        }
        return null;
    }

    /**
     * A channel over an output stream that an interrupt does not close. Closing it does not close
     * the stream: the session's owner does.
     */
    static final class StreamChannel implements WritableByteChannel {
        private static final int CHUNK = 8192;
        private final OutputStream out;
        private volatile boolean open = true;

        StreamChannel(OutputStream out) {
            this.out = out;
        }

        @Override
        public int write(ByteBuffer src) throws IOException {
            if (!open) {
                throw new ClosedChannelException();
            }
            InterruptShield.SHIELD.enter();
            try {
                return copy(src);
            } finally {
                InterruptShield.SHIELD.leave();
            }
        }

        private int copy(ByteBuffer src) throws IOException {
            int n = src.remaining();
            if (src.hasArray()) {
                out.write(src.array(), src.arrayOffset() + src.position(), n);
                src.position(src.limit());
            } else {
                byte[] chunk = new byte[Math.min(n, CHUNK)];
                while (src.hasRemaining()) {
                    int length = Math.min(chunk.length, src.remaining());
                    src.get(chunk, 0, length);
                    out.write(chunk, 0, length);
                }
            }
            return n;
        }

        @Override
        public boolean isOpen() {
            return open;
        }

        @Override
        public void close() {
            open = false;
        }
    }

    /**
     * A channel closed from birth, for threads to be "blocked on" while they write: an interrupt
     * then finds its close already done and closes nothing else. Shared: its state never changes
     * after construction, and begin/end act on the calling thread only.
     */
    static final class InterruptShield extends AbstractInterruptibleChannel {
        static final InterruptShield SHIELD = new InterruptShield();

        private InterruptShield() {
            try {
                close();
            } catch (IOException e) {
                throw new IllegalStateException(e);
            }
        }

        void enter() {
            begin();
        }

        void leave() throws AsynchronousCloseException {
            // completed=true and never interrupted through us: this throws nothing
            end(true);
        }

        @Override
        protected void implCloseChannel() {
            // nothing to release
        }
    }
}
