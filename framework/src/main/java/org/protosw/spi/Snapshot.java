package org.protosw.spi;

import java.util.Map;
import java.util.Objects;

/**
 * What a protocol revision hands the next one in a live upgrade (see {@link StateTransfer}):
 * the state of one pcb, or of the protocol in one stack instance, as a named and versioned
 * format and a tree of JDK values.
 *
 * <p>The tree holds only {@code String}, {@code Boolean}, {@code Byte}, {@code Short},
 * {@code Integer}, {@code Long}, {@code Float}, {@code Double}, {@code BigInteger},
 * {@code byte[]}, null, and {@link java.util.Map}s (keys of those scalar types) and
 * {@link java.util.List}s of JDK collection classes holding the same. The core walks it
 * before the new revision sees it and refuses the upgrade, naming the path and the class,
 * when anything else is inside: no object of the old bundle may outlive it. The new
 * revision receives an unmodifiable copy.
 *
 * @param format the format's name, e.g. {@code "org.protosw.udp.pcb"}: the new revision
 *        refuses names it does not know
 * @param version the format's version (what the writing revision wrote); the new revision
 *        refuses versions it cannot read
 * @param state the values, by name
 * @since 1.3
 */
public record Snapshot(String format, int version, Map<String, Object> state) {
    public Snapshot {
        Objects.requireNonNull(format, "format");
        Objects.requireNonNull(state, "state");
    }

    /** The value named {@code key}, or null. */
    public Object get(String key) {
        return state.get(key);
    }
}
