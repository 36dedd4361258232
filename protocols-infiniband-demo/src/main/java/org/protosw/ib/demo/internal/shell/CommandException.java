package org.protosw.ib.demo.internal.shell;

/**
 * An {@code ib:} command failed for a reason the user can act on. The message is one line:
 * what was wrong and what is accepted; control characters a typed word may hold are
 * written as escapes, so a word cannot break the line. Gogo prints it with toString().
 */
public final class CommandException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public CommandException(String message) {
        super(oneLine(message), null, false, false);
    }

    static String oneLine(String message) {
        if (message == null) {
            return null;
        }
        StringBuilder b = new StringBuilder(message.length());
        for (int i = 0; i < message.length(); i++) {
            char c = message.charAt(i);
            if (c >= 0x20 && c != 0x7f && c != '\u2028' && c != '\u2029' && c != 0x85) {
                b.append(c);
            } else {
                switch (c) {
                    case '\n' -> b.append("\\n");
                    case '\r' -> b.append("\\r");
                    case '\t' -> b.append("\\t");
                    default -> b.append(String.format("\\u%04x", (int) c));
                }
            }
        }
        return b.toString();
    }

    @Override
    public String toString() {
        return getMessage();
    }

    static CommandException usage(String command, String problem, String usage) {
        return new CommandException(command + ": " + problem + " (usage: " + usage + ")");
    }
}
