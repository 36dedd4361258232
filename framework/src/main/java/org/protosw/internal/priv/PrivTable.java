package org.protosw.internal.priv;

import java.util.EnumMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.protosw.socket.Errno;
import org.protosw.socket.SocketException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Which bundles hold which {@link Priv}, and the check ({@code priv_check}). A grant names a
 * bundle symbolic name, or a prefix ending in {@code *} ({@code PAXEXAM-PROBE-*}).
 *
 * <p>The core's own code (its shell commands, its protocols) is the kernel and is never
 * checked; the check applies to what other bundles ask through their NetStack service and
 * their protocol context. Until a configuration arrives the grants are {@link #defaults()}:
 * what {@code etc/org.protosw.priv.cfg} ships with.
 */
public final class PrivTable {
    /** The configuration that grants the rights. */
    public static final String PID = "org.protosw.priv";

    private static final Logger LOG = LoggerFactory.getLogger(PrivTable.class);

    private volatile Map<Priv, List<String>> grants = defaults();

    /** The rights of a fresh installation: the divert bundle its sockets and hook, the IB demo its hook. */
    public static Map<Priv, List<String>> defaults() {
        Map<Priv, List<String>> m = new EnumMap<>(Priv.class);
        m.put(Priv.NETINET_RAW, List.of());
        m.put(Priv.NETINET_DIVERT, List.of("org.protosw.divert"));
        m.put(Priv.NET_PFIL, List.of("org.protosw.divert", "org.protosw.ib.demo"));
        return m;
    }

    /**
     * Replaces the grants with a configuration's: for each right, its key's value, a list of
     * bundle names separated by commas or blanks; a right whose key is absent is held by
     * nobody. Null (the configuration was deleted) restores {@link #defaults()}.
     */
    public void configure(Map<String, ?> properties) {
        if (properties == null) {
            grants = defaults();
            LOG.info("configuration {} removed: the default rights apply ({})", PID, describe(grants));
            return;
        }
        Map<Priv, List<String>> m = new EnumMap<>(Priv.class);
        for (Priv p : Priv.values()) {
            Object v = properties.get(p.key());
            m.put(p, v == null ? List.of() : parse(v));
        }
        grants = m;
        LOG.info("rights from configuration {}: {}", PID, describe(m));
    }

    private static List<String> parse(Object value) {
        Set<String> names = new LinkedHashSet<>();
        Iterable<?> items = value instanceof Iterable<?> it ? it
                : value instanceof Object[] a ? List.of(a) : List.of(value);
        for (Object item : items) {
            for (String w : String.valueOf(item).split("[,\\s]+")) {
                if (!w.isEmpty()) {
                    names.add(w);
                }
            }
        }
        return List.copyOf(names);
    }

    private static String describe(Map<Priv, List<String>> m) {
        StringBuilder sb = new StringBuilder();
        for (Priv p : Priv.values()) {
            if (!sb.isEmpty()) {
                sb.append("; ");
            }
            List<String> who = m.get(p);
            sb.append(p.key()).append(": ").append(who.isEmpty() ? "nobody" : String.join(", ", who));
        }
        return sb.toString();
    }

    /** The bundles (and prefixes) holding {@code p} now. */
    public List<String> holders(Priv p) {
        return grants.get(p);
    }

    /** Whether {@code bundle} (a symbolic name) holds {@code p}. */
    public boolean holds(String bundle, Priv p) {
        for (String g : grants.get(p)) {
            if (g.endsWith("*") ? bundle.startsWith(g.substring(0, g.length() - 1)) : g.equals(bundle)) {
                return true;
            }
        }
        return false;
    }

    /**
     * {@code priv_check}: returns when {@code cred} holds {@code p}; else logs one line naming
     * the bundle and throws EPERM saying which right is missing and where it is granted.
     */
    public void check(Cred cred, Priv p, String request) throws SocketException {
        if (cred.isKernel() || holds(cred.bundle(), p)) {
            return;
        }
        String message = request + ": bundle " + cred.bundle() + " may not open " + p.what() + " (it lacks the right '"
                + p.key() + "', granted in configuration " + PID + ")";
        LOG.warn("refused: {}", message);
        throw new SocketException(Errno.EPERM, message);
    }
}
