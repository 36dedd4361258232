package org.protosw.divert.internal.shell;

import java.util.ArrayList;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;

import org.protosw.socket.NetStack;

/**
 * The words of one divert command line, consumed front to back, with errors that name the
 * command, the bad word and what it accepts. {@code -j vnet} in front picks the stack
 * instance, as it does for the {@code net:} commands.
 */
final class Words {
    private final String command;
    private final String usage;
    private final Deque<String> words = new ArrayDeque<>();
    private String vnet = NetStack.DEFAULT_VNET;

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
        while (words.peekFirst() != null && words.peekFirst().startsWith("-")) {
            String w = words.removeFirst();
            if (!w.equals("-j")) {
                throw fail("unknown option '" + w + "' (accepted: -j vnet)");
            }
            vnet = next("vnet name after -j");
        }
    }

    String vnet() {
        return vnet;
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

    boolean isEmpty() {
        return words.isEmpty();
    }

    List<String> rest() {
        List<String> r = new ArrayList<>(words);
        words.clear();
        return r;
    }

    void end() {
        if (!words.isEmpty()) {
            throw fail("unexpected '" + words.peekFirst() + "'");
        }
    }

    int port(String w) {
        long v;
        try {
            v = Long.parseLong(w);
        } catch (NumberFormatException e) {
            throw fail("'" + w + "' is not a divert port (accepted: 1 to 65535)");
        }
        if (v < 1 || v > 65535) {
            throw fail("divert port " + v + " is out of range (accepted: 1 to 65535)");
        }
        return (int) v;
    }

    CommandException fail(String problem) {
        return CommandException.usage(command, problem, usage);
    }
}
