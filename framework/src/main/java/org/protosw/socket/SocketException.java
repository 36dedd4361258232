package org.protosw.socket;

import java.io.IOException;
import java.util.Objects;

/**
 * A socket call failed with a POSIX errno. The message names the errno, its text, and
 * (when given) what failed, e.g. {@code "EADDRINUSE (Address already in use): bind 127.0.0.1:53"}.
 */
public class SocketException extends IOException {
    private static final long serialVersionUID = 1L;

    private final Errno errno;

    public SocketException(Errno errno) {
        this(errno, null);
    }

    public SocketException(Errno errno, String detail) {
        super(format(errno, detail));
        this.errno = Objects.requireNonNull(errno, "errno");
    }

    public SocketException(Errno errno, String detail, Throwable cause) {
        super(format(errno, detail), cause);
        this.errno = Objects.requireNonNull(errno, "errno");
    }

    /**
     * For errors that are part of normal control flow (EAGAIN on a non-blocking socket):
     * no stack trace is filled in, so an event loop pays nothing for it.
     */
    protected SocketException(Errno errno, String detail, boolean lightweight) {
        super(format(errno, detail), null);
        this.errno = Objects.requireNonNull(errno, "errno");
        if (lightweight) {
            setStackTrace(new StackTraceElement[0]);
        }
    }

    /** A shared-nothing EAGAIN without a stack trace, as non-blocking calls raise it often. */
    public static SocketException wouldBlock(String detail) {
        return new SocketException(Errno.EAGAIN, detail, true) {
            private static final long serialVersionUID = 1L;

            @Override
            public synchronized Throwable fillInStackTrace() {
                return this;
            }
        };
    }

    public Errno errno() {
        return errno;
    }

    private static String format(Errno errno, String detail) {
        String base = errno.name() + " (" + errno.text() + ")";
        return detail == null || detail.isEmpty() ? base : base + ": " + detail;
    }
}
