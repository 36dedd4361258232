package org.protosw.internal.sw;

import java.math.BigInteger;
import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import org.protosw.spi.Snapshot;

/**
 * Walks a {@link Snapshot} before the next revision sees it: only JDK values may be inside
 * (no object, and so no class loader, of the old bundle outlives the upgrade), and returns
 * an unmodifiable copy, so the old revision cannot change what the new one reads.
 */
public final class SnapshotCheck {
    /** Deeper than this is taken for a mistake (or a cycle the identity check missed). */
    static final int MAX_DEPTH = 64;

    private static final Set<Class<?>> SCALARS = Set.of(String.class, Boolean.class, Byte.class, Short.class,
            Integer.class, Long.class, Float.class, Double.class, BigInteger.class);

    private SnapshotCheck() {
    }

    /** Thrown with the path and the offending class. */
    public static final class Rejected extends Exception {
        private static final long serialVersionUID = 1L;

        Rejected(String message) {
            super(message);
        }
    }

    /**
     * The checked copy.
     *
     * @throws Rejected naming where the first value that is not a JDK value sits, its class
     *         and the class loader it comes from
     */
    public static Snapshot check(Snapshot s) throws Rejected {
        if (s == null) {
            throw new Rejected("no snapshot (null)");
        }
        if (s.getClass() != Snapshot.class) {
            throw new Rejected("the snapshot is a " + describe(s.getClass()) + ", not " + Snapshot.class.getName());
        }
        @SuppressWarnings("unchecked")
        Map<String, Object> state = (Map<String, Object>) copy(s.state(), "state", 0, new IdentityHashMap<>());
        return new Snapshot(s.format(), s.version(), state);
    }

    private static Object copy(Object v, String path, int depth, IdentityHashMap<Object, Boolean> onPath) throws Rejected {
        if (v == null) {
            return null;
        }
        Class<?> c = v.getClass();
        if (SCALARS.contains(c)) {
            return v;
        }
        if (c == byte[].class) {
            return ((byte[]) v).clone();
        }
        if (depth >= MAX_DEPTH) {
            throw new Rejected(path + ": nested deeper than " + MAX_DEPTH + " levels");
        }
        if (v instanceof Map<?, ?> m && isJdk(c)) {
            enter(v, path, onPath);
            Map<Object, Object> out = new LinkedHashMap<>();
            for (Map.Entry<?, ?> e : m.entrySet()) {
                Object k = e.getKey();
                if (k == null || !SCALARS.contains(k.getClass())) {
                    throw new Rejected(path + ": a map key of class " + (k == null ? "null" : describe(k.getClass()))
                            + " (keys must be strings, numbers or booleans)");
                }
                out.put(k, copy(e.getValue(), path + "." + k, depth + 1, onPath));
            }
            onPath.remove(v);
            return Collections.unmodifiableMap(out);
        }
        if (v instanceof List<?> l && isJdk(c)) {
            enter(v, path, onPath);
            List<Object> out = new ArrayList<>(l.size());
            int i = 0;
            for (Object o : l) {
                out.add(copy(o, path + "[" + i++ + "]", depth + 1, onPath));
            }
            onPath.remove(v);
            return Collections.unmodifiableList(out);
        }
        throw new Rejected(path + ": " + describe(c) + " is not a JDK value (strings, numbers, booleans, byte[], "
                + "maps and lists of them)");
    }

    private static void enter(Object v, String path, IdentityHashMap<Object, Boolean> onPath) throws Rejected {
        if (onPath.put(v, Boolean.TRUE) != null) {
            throw new Rejected(path + ": the snapshot contains itself (a cycle)");
        }
    }

    /** A class of the JDK: defined by the boot or platform loader, never a bundle's. */
    private static boolean isJdk(Class<?> c) {
        ClassLoader l = c.getClassLoader();
        return l == null || l == ClassLoader.getPlatformClassLoader();
    }

    private static String describe(Class<?> c) {
        ClassLoader l = c.getClassLoader();
        return "class " + c.getName() + " (" + (l == null ? "boot class loader" : "class loader " + l) + ")";
    }
}
