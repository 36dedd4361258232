package org.protosw.internal.kern;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.BiConsumer;

import org.protosw.spi.Sysctls;
import org.protosw.spi.Tunable;

/**
 * The tunables of one stack instance. Saved values come from (and changes go to) a
 * {@link Store}, which the OSGi side backs with Configuration Admin.
 */
public final class SysctlTree implements Sysctls {
    /** Where values are kept between runs. */
    public interface Store {
        /** The saved value of a tunable, or null. */
        Long load(String name);

        void save(String name, long value);

        Store NONE = new Store() {
            @Override
            public Long load(String name) {
                return null;
            }

            @Override
            public void save(String name, long value) {
            }
        };
    }

    private final Map<String, Node> nodes = new ConcurrentHashMap<>();
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
            Long saved = store.load(n.name);
            if (saved != null && saved >= n.min && saved <= n.max) {
                n.value = saved;
            }
        }
    }

    @Override
    public Tunable register(String name, long defaultValue, long min, long max, String description) {
        if (name == null || !name.matches("[a-z][a-z0-9_]*(\\.[a-z0-9_]+)+")) {
            throw new IllegalArgumentException("bad sysctl name '" + name + "' (expected dotted lower-case words, e.g. net.inet.udp.recvspace)");
        }
        if (min > max || defaultValue < min || defaultValue > max) {
            throw new IllegalArgumentException("sysctl " + name + ": default " + defaultValue + " outside [" + min + ", " + max + "]");
        }
        Node node = new Node(name, defaultValue, min, max, description);
        Long saved = store.load(name);
        if (saved != null && saved >= min && saved <= max) {
            node.value = saved;
        }
        if (nodes.putIfAbsent(name, node) != null) {
            throw new IllegalArgumentException("sysctl " + name + " is already registered");
        }
        return node;
    }

    @Override
    public Tunable find(String name) {
        return nodes.get(name);
    }

    /** All tunables sorted by name. */
    public List<Tunable> list() {
        List<Tunable> all = new ArrayList<>(nodes.values());
        all.sort(Comparator.comparing(Tunable::name));
        return all;
    }

    /** Visits name and value of each tunable, for saving. */
    public void forEach(BiConsumer<String, Long> action) {
        nodes.values().forEach(n -> action.accept(n.name, n.value));
    }

    private final class Node implements Tunable {
        final String name;
        final String description;
        final long defaultValue;
        final long min;
        final long max;
        volatile long value;

        Node(String name, long defaultValue, long min, long max, String description) {
            this.name = name;
            this.description = description == null ? "" : description;
            this.defaultValue = defaultValue;
            this.min = min;
            this.max = max;
            this.value = defaultValue;
        }

        @Override
        public String name() {
            return name;
        }

        @Override
        public String description() {
            return description;
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
            store.save(name, v);
        }

        @Override
        public void close() {
            nodes.remove(name, this);
        }
    }
}
