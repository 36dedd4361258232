package org.protosw.launcher;

import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.UndeclaredThrowableException;
import java.util.IdentityHashMap;
import java.util.Map;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import org.osgi.framework.BundleException;

/**
 * Turns an exception into the one line a user reads on stderr. The full stack trace goes to
 * the log file; the user gets the most telling message of the cause chain.
 */
final class ErrorLines {

    private ErrorLines() {
    }

    /**
     * The exception of the chain whose message says what went wrong: wrappers added by
     * reflection, futures and the framework's "activator failed" are skipped, and so is any
     * exception whose message only repeats its cause.
     */
    static Throwable mostTelling(Throwable thrown) {
        Map<Throwable, Boolean> seen = new IdentityHashMap<>();
        Throwable current = thrown;
        while (current.getCause() != null && seen.put(current, Boolean.TRUE) == null) {
            Throwable cause = current.getCause();
            if (isWrapper(current) || saysNothing(current) || repeats(current, cause)) {
                current = cause;
            } else {
                break;
            }
        }
        return current;
    }

    /** {@code SimpleName: message} of {@link #mostTelling}, on one line. */
    static String oneLine(Throwable thrown) {
        Throwable telling = mostTelling(thrown);
        String message = telling.getMessage();
        String name = telling.getClass().getSimpleName();
        if (name.isEmpty()) {
            name = telling.getClass().getName();
        }
        return message == null || message.isBlank() ? name : name + ": " + flatten(message);
    }

    /**
     * Whether the exception is a command's own error for the user: the shell commands'
     * exceptions override {@code toString()} to be their message alone (what was wrong and
     * what is accepted, already naming the command), so no class name belongs in front.
     */
    static boolean forTheUser(Throwable thrown) {
        Throwable telling = mostTelling(thrown);
        try {
            return telling.getClass().getMethod("toString").getDeclaringClass() != Throwable.class
                    && telling.getMessage() != null && !telling.getMessage().isBlank();
        } catch (NoSuchMethodException e) {
            return false;
        }
    }

    /**
     * The line for a failed shell command: a command's own error as its message alone (as
     * sysctl(8) would print it), anything else as {@code othersPrefix} and {@link #oneLine}.
     */
    static String commandFailure(Throwable thrown, String othersPrefix) {
        return forTheUser(thrown) ? message(thrown) : othersPrefix + oneLine(thrown);
    }

    /** The message alone (no class name) of {@link #mostTelling}, on one line. */
    static String message(Throwable thrown) {
        Throwable telling = mostTelling(thrown);
        String message = telling.getMessage();
        return message == null || message.isBlank() ? oneLine(telling) : flatten(message);
    }

    static String flatten(String text) {
        return text.strip().replaceAll("\\s*[\\r\\n]+\\s*", "; ");
    }

    private static boolean isWrapper(Throwable t) {
        return t instanceof InvocationTargetException
                || t instanceof UndeclaredThrowableException
                || t instanceof ExecutionException
                || t instanceof CompletionException
                || (t instanceof BundleException be && be.getType() == BundleException.ACTIVATOR_ERROR);
    }

    private static boolean saysNothing(Throwable t) {
        return t.getMessage() == null || t.getMessage().isBlank();
    }

    /** {@code new RuntimeException(cause)} gets the message {@code cause.toString()}. */
    private static boolean repeats(Throwable t, Throwable cause) {
        String message = t.getMessage();
        return message.equals(cause.toString()) || message.equals(cause.getMessage());
    }
}
