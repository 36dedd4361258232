package org.protosw.inetd.internal;

/**
 * A service could not be started or found. The message is one line saying what was wrong;
 * the shell prints it without a stack trace.
 */
public final class InetdException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public InetdException(String message) {
        super(message, null, false, false);
    }

    /** Gogo prints exceptions with toString(): the user sees the message alone. */
    @Override
    public String toString() {
        return getMessage();
    }
}
