package org.protosw.internal.shell;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

import org.protosw.socket.InAddr;

/**
 * The words of one command line, consumed front to back, with errors that name the command,
 * the bad word and what the command accepts.
 */
final class Args {
    private final String command;
    private final String usage;
    private final Deque<String> words;

    Args(String command, String usage, String[] argv) {
        this.command = command;
        this.usage = usage;
        this.words = new ArrayDeque<>();
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

    String peek() {
        return words.peekFirst();
    }

    /** Takes the next word if it equals one of {@code options}. */
    boolean flag(String option) {
        if (option.equals(words.peekFirst())) {
            words.removeFirst();
            return true;
        }
        return false;
    }

    String next(String what) {
        if (words.isEmpty()) {
            throw fail("missing " + what);
        }
        return words.removeFirst();
    }

    String nextOr(String fallback) {
        return words.isEmpty() ? fallback : words.removeFirst();
    }

    int nextInt(String what, long min, long max) {
        String w = next(what);
        return (int) parseLong(w, what, min, max);
    }

    long parseLong(String w, String what, long min, long max) {
        long v;
        try {
            v = Long.parseLong(w);
        } catch (NumberFormatException e) {
            throw fail("'" + w + "' is not a number for " + what + " (accepted: " + min + " to " + max + ")");
        }
        if (v < min || v > max) {
            throw fail(what + " " + v + " is out of range (accepted: " + min + " to " + max + ")");
        }
        return v;
    }

    InAddr nextAddr(String what) {
        String w = next(what);
        try {
            return InAddr.parse(w);
        } catch (IllegalArgumentException e) {
            throw fail(e.getMessage());
        }
    }

    /**
     * The options before the first other word, in any order: {@code -j vnet} (FreeBSD's jail
     * option) and the single-word {@code flags} given. Another word starting with '-' there
     * fails naming the accepted options.
     */
    Options options(String... flags) {
        String vnet = null;
        Set<String> seen = new HashSet<>();
        while (words.peekFirst() != null && words.peekFirst().startsWith("-")) {
            String w = words.removeFirst();
            if (w.equals("-j")) {
                vnet = next("vnet name after -j");
            } else if (List.of(flags).contains(w)) {
                seen.add(w);
            } else {
                StringBuilder accepted = new StringBuilder("-j vnet");
                for (String f : flags) {
                    accepted.append(", ").append(f);
                }
                throw fail("unknown option '" + w + "' (accepted: " + accepted + ")");
            }
        }
        return new Options(vnet, seen);
    }

    /** The leading options of a command line; {@code vnet} is null when -j was not given. */
    record Options(String vnet, Set<String> flags) {
        boolean has(String flag) {
            return flags.contains(flag);
        }
    }

    List<String> rest() {
        List<String> r = new ArrayList<>(words);
        words.clear();
        return r;
    }

    /** Fails if words are left over. */
    void end() {
        if (!words.isEmpty()) {
            throw fail("unexpected '" + words.peekFirst() + "'");
        }
    }

    CommandException fail(String problem) {
        return CommandException.usage(command, problem, usage);
    }
}
