package org.protosw.internal.shell;

/**
 * A shell command failed for a reason the user can act on. The message is one line: what
 * was wrong and what is accepted. Gogo prints it without a stack trace.
 */
public final class CommandException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public CommandException(String message) {
        super(oneLine(message), null, false, false);
    }

    /**
     * The message with control characters written as escapes: a word the user typed may hold
     * a newline (a quoted argument), and echoed as it is it would break the one-line promise
     * and let a word forge lines in a terminal or a log (found by ArgsFuzzTest).
     */
    static String oneLine(String message) {
        if (message == null) {
            return null;
        }
        StringBuilder b = null;
        for (int i = 0; i < message.length(); i++) {
            char c = message.charAt(i);
            if (c >= 0x20 && c != 0x7f && c != '\u2028' && c != '\u2029' && c != 0x85) {
                if (b != null) {
                    b.append(c);
                }
                continue;
            }
            if (b == null) {
                b = new StringBuilder(message.length() + 8).append(message, 0, i);
            }
            switch (c) {
                case '\n' -> b.append("\\n");
                case '\r' -> b.append("\\r");
                case '\t' -> b.append("\\t");
                default -> b.append(String.format("\\u%04x", (int) c));
            }
        }
        return b == null ? message : b.toString();
    }

    /** The shell prints exceptions with toString(): the user sees the message alone. */
    @Override
    public String toString() {
        return getMessage();
    }

    public static CommandException usage(String command, String problem, String usage) {
        return new CommandException(command + ": " + problem + " (usage: " + usage + ")");
    }
}
