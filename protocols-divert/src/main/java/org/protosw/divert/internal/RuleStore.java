package org.protosw.divert.internal;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Where rules outlive the bundle: one entry a rule, {@code rule.NUMBER} for the default
 * instance and {@code rule.VNET.NUMBER} for another, the value the rule's words
 * ({@code divert 8668 udp from any to any in}).
 */
public interface RuleStore {
    /** The PID under which Configuration Admin keeps the rules. */
    String PID = "org.protosw.divert.rules";

    Map<String, String> load();

    void save(Map<String, String> rules);

    /** A store in memory (when Configuration Admin is not there, and for tests). */
    static RuleStore inMemory() {
        Map<String, String> saved = new ConcurrentHashMap<>();
        return new RuleStore() {
            @Override
            public Map<String, String> load() {
                return Map.copyOf(saved);
            }

            @Override
            public void save(Map<String, String> rules) {
                saved.clear();
                saved.putAll(rules);
            }
        };
    }
}
