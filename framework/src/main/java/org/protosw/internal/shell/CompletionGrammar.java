package org.protosw.internal.shell;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The completion grammar a command of another bundle declares in its service property
 * {@value #PROPERTY} (a string or an array of strings), so that {@code net:complete} can offer
 * its options and words without the core knowing the command: protocol bundles' commands
 * ({@code tcp:cc}, {@code divert:rule}, {@code ib:stats}) and tools ({@code tcp:plot}) come and
 * go with their bundles. Each entry is one rule:
 *
 * <ul>
 *   <li>{@code -z}: a flag;
 *   <li>{@code -j=vnets} or {@code -t=svg|png|both}: an option and what its value can be;
 *   <li>{@code 1=list|set|unload|load}: what the first word that is not an option can be;
 *   <li>{@code after:set=default}: what can follow the word {@code set}.
 * </ul>
 *
 * <p>A value is a list of words separated by {@code |}; a word {@code @KIND} stands for the
 * live names of one kind (interfaces, vnets, protocols, sysctls, sockets, pipes, captures,
 * addresses, levels), and {@code @value} for a value the user makes up (nothing offered).
 */
record CompletionGrammar(String command, Map<String, List<String>> options, Map<Integer, List<String>> byPosition,
        Map<String, List<String>> byPrevious) {

    static final String PROPERTY = "protosw.complete";

    /** The rules in {@code entries} for {@code command}; an entry it cannot read is named in the exception. */
    static CompletionGrammar parse(String command, Object entries) {
        List<String> rules = new ArrayList<>();
        if (entries instanceof String s) {
            rules.add(s);
        } else if (entries instanceof String[] array) {
            rules.addAll(List.of(array));
        } else if (entries instanceof java.util.Collection<?> c) {
            c.forEach(e -> rules.add(String.valueOf(e)));
        } else {
            throw new IllegalArgumentException(PROPERTY + " of " + command + " must be strings, not " + entries);
        }
        Map<String, List<String>> options = new LinkedHashMap<>();
        Map<Integer, List<String>> byPosition = new LinkedHashMap<>();
        Map<String, List<String>> byPrevious = new LinkedHashMap<>();
        for (String rule : rules) {
            String r = rule.strip();
            int eq = r.indexOf('=');
            String key = eq < 0 ? r : r.substring(0, eq);
            List<String> words = eq < 0 ? null : words(command, rule, r.substring(eq + 1));
            if (key.startsWith("-") && key.length() > 1) {
                options.put(key, words);
            } else if (key.startsWith("after:") && key.length() > 6 && words != null) {
                byPrevious.put(key.substring(6), words);
            } else if (!key.isEmpty() && key.chars().allMatch(Character::isDigit) && words != null) {
                byPosition.put(Integer.parseInt(key), words);
            } else {
                throw new IllegalArgumentException(PROPERTY + " of " + command + ": cannot read '" + rule
                        + "' (accepted: -x, -x=WORDS, N=WORDS, after:WORD=WORDS; WORDS as a|b|@kind)");
            }
        }
        return new CompletionGrammar(command, options, byPosition, byPrevious);
    }

    private static List<String> words(String command, String rule, String value) {
        List<String> out = new ArrayList<>();
        for (String w : value.split("\\|")) {
            String word = w.strip();
            if (word.startsWith("@")) {
                // checked now, so that a misspelt kind is named when the bundle's command appears
                kind(command, rule, word);
            }
            if (!word.isEmpty()) {
                out.add(word);
            }
        }
        return out;
    }

    private static CompleteCommand.Kind kind(String command, String rule, String word) {
        try {
            return CompleteCommand.Kind.valueOf(word.substring(1).toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(PROPERTY + " of " + command + ": unknown kind '" + word + "' in '" + rule
                    + "' (known: @interfaces, @vnets, @protocols, @sysctls, @sockets, @pipes, @captures, @addresses,"
                    + " @levels, @value)");
        }
    }

    /** The option names, as {@code net:complete options} gives them. */
    List<String> optionNames() {
        return new ArrayList<>(options.keySet());
    }

    /** Whether {@code word} is an option that takes a value. */
    boolean takesValue(String word) {
        return options.get(word) != null;
    }

    boolean isOption(String word) {
        return options.containsKey(word);
    }

    /** The words of a rule's value, each {@code @kind} replaced by its live names. */
    List<String> expand(List<String> words, java.util.function.Function<CompleteCommand.Kind, List<String>> names) {
        List<String> out = new ArrayList<>();
        for (String w : words) {
            if (w.startsWith("@")) {
                out.addAll(names.apply(kind(command, w, w)));
            } else {
                out.add(w);
            }
        }
        return out;
    }

    /** The candidates after the option {@code option}. */
    List<String> optionValue(String option, java.util.function.Function<CompleteCommand.Kind, List<String>> names) {
        List<String> words = options.get(option);
        return words == null ? List.of() : expand(words, names);
    }

    /** The candidates for the next word that is not an option, given those before it. */
    List<String> positional(List<String> before, java.util.function.Function<CompleteCommand.Kind, List<String>> names) {
        if (!before.isEmpty()) {
            List<String> after = byPrevious.get(before.get(before.size() - 1));
            if (after != null) {
                return expand(after, names);
            }
        }
        List<String> at = byPosition.get(before.size() + 1);
        return at == null ? List.of() : expand(at, names);
    }
}
