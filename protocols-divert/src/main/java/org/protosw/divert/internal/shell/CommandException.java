package org.protosw.divert.internal.shell;

/**
 * A divert command failed for a reason the user can act on. The message is one line: what
 * was wrong and what is accepted. Gogo prints it without a stack trace.
 */
public final class CommandException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public CommandException(String message) {
        super(message, null, false, false);
    }

    /** The shell prints exceptions with toString(): the user sees the message alone. */
    @Override
    public String toString() {
        return getMessage();
    }

    static CommandException usage(String command, String problem, String usage) {
        return new CommandException(command + ": " + problem + " (usage: " + usage + ")");
    }
}
