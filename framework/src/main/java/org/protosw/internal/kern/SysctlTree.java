package org.protosw.internal.kern;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

import org.protosw.spi.StringTunable;
import org.protosw.spi.Sysctls;
import org.protosw.spi.Tunable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The tunables of one stack instance. Saved values come from (and changes go to) a
 * {@link Store}, which the OSGi side backs with Configuration Admin.
 */
public final class SysctlTree implements Sysctls {
    /** Where values are kept between runs. */
    public interface Store {
        /** The saved value of a tunable as text, or null. */
        String load(String name);

        void save(String name, String value);

        Store NONE = new Store() {
            @Override
            public String load(String name) {
                return null;
            }

            @Override
            public void save(String name, String value) {
            }
        };
    }

    private static final Logger LOG = LoggerFactory.getLogger(SysctlTree.class);
    private static final String NAME_FORM = "[a-z][a-z0-9_]*(\\.[a-z0-9_]+)+";

    private final Map<String, Node> nodes = new ConcurrentHashMap<>();
    private final Map<String, WordNode> words = new ConcurrentHashMap<>();
    private volatile Store store;

    public SysctlTree(Store store) {
        this.store = store;
    }

    public SysctlTree() {
        this(Store.NONE);
    }

    public void setStore(Store store) {
        this.store = store;
        for (Node n : nodes.values()) {
            Long saved = savedLong(n.name);
            if (saved != null && saved >= n.min && saved <= n.max) {
                n.value = saved;
            }
        }
        for (WordNode n : words.values()) {
            String saved = savedWord(n.name);
            if (saved != null) {
                n.value = saved;
            }
        }
    }

    private Long savedLong(String name) {
        String v = store.load(name);
        if (v == null) {
            return null;
        }
        try {
            return Long.parseLong(v.trim());
        } catch (NumberFormatException e) {
            LOG.warn("saved value '{}' of sysctl {} is not an integer; using the default", v, name);
            return null;
        }
    }

    private String savedWord(String name) {
        String v = store.load(name);
        return v == null || v.isBlank() ? null : v.trim();
    }

    private static void checkName(String name) {
        if (name == null || !name.matches(NAME_FORM)) {
            throw new IllegalArgumentException("bad sysctl name '" + name + "' (expected dotted lower-case words, e.g. net.inet.udp.recvspace)");
        }
    }

    private boolean taken(String name) {
        return nodes.containsKey(name) || words.containsKey(name);
    }

    @Override
    public Tunable register(String name, long defaultValue, long min, long max, String description) {
        return register(name, defaultValue, min, max, description, null);
    }

    @Override
    public Tunable register(String name, long defaultValue, long min, long max, String description,
            java.util.function.LongConsumer onSet) {
        checkName(name);
        if (min > max || defaultValue < min || defaultValue > max) {
            throw new IllegalArgumentException("sysctl " + name + ": default " + defaultValue + " outside [" + min + ", " + max + "]");
        }
        Node node = new Node(name, defaultValue, min, max, description, onSet);
        Long saved = savedLong(name);
        if (saved != null && saved >= min && saved <= max) {
            node.value = saved;
        }
        synchronized (this) {
            if (taken(name)) {
                throw new IllegalArgumentException("sysctl " + name + " is already registered");
            }
            nodes.put(name, node);
        }
        return node;
    }

    @Override
    public StringTunable registerString(String name, String defaultValue, StringTunable.Check check, String description) {
        checkName(name);
        if (defaultValue == null || defaultValue.isBlank()) {
            throw new IllegalArgumentException("sysctl " + name + ": the default must not be empty");
        }
        WordNode node = new WordNode(name, defaultValue.trim(), check, description);
        String saved = savedWord(name);
        if (saved != null) {
            node.value = saved;
        }
        synchronized (this) {
            if (taken(name)) {
                throw new IllegalArgumentException("sysctl " + name + " is already registered");
            }
            words.put(name, node);
        }
        return node;
    }

    @Override
    public Tunable find(String name) {
        return nodes.get(name);
    }

    @Override
    public StringTunable findString(String name) {
        return words.get(name);
    }

    /** All integer tunables sorted by name. */
    public List<Tunable> list() {
        List<Tunable> all = new ArrayList<>(nodes.values());
        all.sort(Comparator.comparing(Tunable::name));
        return all;
    }

    /** All word tunables sorted by name. */
    public List<StringTunable> strings() {
        List<StringTunable> all = new ArrayList<>(words.values());
        all.sort(Comparator.comparing(StringTunable::name));
        return all;
    }

    /** What every tunable has, integer or word: its name and what it is for. */
    private abstract static class Oid {
        final String name;
        final String description;

        Oid(String name, String description) {
            this.name = name;
            this.description = description == null ? "" : description;
        }

        public String name() {
            return name;
        }

        public String description() {
            return description;
        }
    }

    private final class Node extends Oid implements Tunable {
        final long defaultValue;
        final long min;
        final long max;
        final java.util.function.LongConsumer onSet;
        volatile long value;

        Node(String name, long defaultValue, long min, long max, String description, java.util.function.LongConsumer onSet) {
            super(name, description);
            this.onSet = onSet;
            this.defaultValue = defaultValue;
            this.min = min;
            this.max = max;
            this.value = defaultValue;
        }

        @Override
        public long get() {
            return value;
        }

        @Override
        public long min() {
            return min;
        }

        @Override
        public long max() {
            return max;
        }

        @Override
        public long defaultValue() {
            return defaultValue;
        }

        @Override
        public void set(long v) {
            if (v < min || v > max) {
                throw new IllegalArgumentException(name + ": " + v + " is out of range (accepted: " + min + " to " + max + ")");
            }
            value = v;
            store.save(name, Long.toString(v));
            if (onSet != null) {
                onSet.accept(v);
            }
        }

        @Override
        public void close() {
            nodes.remove(name, this);
        }
    }

    private final class WordNode extends Oid implements StringTunable {
        final String defaultValue;
        final Check check;
        volatile String value;

        WordNode(String name, String defaultValue, Check check, String description) {
            super(name, description);
            this.defaultValue = defaultValue;
            this.check = check;
            this.value = defaultValue;
        }

        @Override
        public String get() {
            return value;
        }

        @Override
        public String defaultValue() {
            return defaultValue;
        }

        @Override
        public String refuse(String v) {
            String word = v == null ? "" : v.trim();
            if (word.isEmpty()) {
                return "the value must not be empty";
            }
            return check == null ? null : check.refuse(word);
        }

        @Override
        public void set(String v) {
            String refused = refuse(v);
            if (refused != null) {
                throw new IllegalArgumentException(name + ": " + refused);
            }
            String word = v.trim();
            value = word;
            store.save(name, word);
        }

        @Override
        public void close() {
            words.remove(name, this);
        }
    }
}
