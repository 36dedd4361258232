package org.protosw.ib.demo.internal.shell;

import java.util.ArrayDeque;
import java.util.Deque;

/**
 * The words of one {@code ib:} command line, consumed front to back, with errors that name
 * the command, the bad word and what is accepted. {@code -j vnet} (FreeBSD's jail option,
 * as the {@code net:} commands take it) and {@code --vnet vnet} pick the stack instance.
 */
final class Words {
    private final String command;
    private final String usage;
    private final Deque<String> words = new ArrayDeque<>();

    Words(String command, String usage, String[] argv) {
        this.command = command;
        this.usage = usage;
        if (argv != null) {
            for (String a : argv) {
                if (a != null) {
                    words.add(a);
                }
            }
        }
    }

    boolean isEmpty() {
        return words.isEmpty();
    }

    String next(String what) {
        if (words.isEmpty()) {
            throw fail("missing " + what);
        }
        return words.removeFirst();
    }

    /** A number in [min, max] after {@code option}; decimal, or hex with 0x. */
    long number(String option, String what, long min, long max) {
        String w = next(what + " after " + option);
        long v;
        try {
            v = w.startsWith("0x") || w.startsWith("0X") ? Long.parseLong(w.substring(2), 16) : Long.parseLong(w);
        } catch (NumberFormatException e) {
            throw fail("'" + w + "' is not a number for " + option + " (accepted: " + what + ", " + min + " to " + max + ")");
        }
        if (v < min || v > max) {
            throw fail(option + " " + w + " is out of range (accepted: " + what + ", " + min + " to " + max + ")");
        }
        return v;
    }

    CommandException fail(String problem) {
        return CommandException.usage(command, problem, usage);
    }

    /** The options of a command that takes only -j/--vnet and the given flags; returns the vnet or null. */
    static String vnetOnly(String command, String usage, String[] argv, java.util.Set<String> flagsSeen, String... flags) {
        Words w = new Words(command, usage, argv);
        String vnet = null;
        while (!w.isEmpty()) {
            String a = w.next("option");
            if (a.equals("-j") || a.equals("--vnet")) {
                vnet = w.next("vnet name after " + a);
            } else if (java.util.List.of(flags).contains(a)) {
                flagsSeen.add(a);
            } else {
                StringBuilder accepted = new StringBuilder("-j vnet, --vnet vnet");
                for (String f : flags) {
                    accepted.append(", ").append(f);
                }
                throw w.fail((a.startsWith("-") ? "unknown option '" : "unexpected '") + a + "' (accepted: " + accepted + ")");
            }
        }
        return vnet;
    }
}
