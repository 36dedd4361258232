package org.protosw.divert.internal;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;

import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;
import org.osgi.service.component.annotations.ReferencePolicyOption;
import org.protosw.socket.NetStack;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The divert rules of every stack instance (ipfw's rule chain, holding only divert and tee
 * rules), kept in a {@link RuleStore} when one is there so they come back when the bundle
 * is loaded again. The protocol's instances read their vnet's {@link RuleTable} on every
 * packet; the shell changes it here.
 */
@Component(service = DivertRules.class)
public final class DivertRules {
    private static final Logger LOG = LoggerFactory.getLogger(DivertRules.class);
    private static final String KEY = "rule.";

    private final Map<String, RuleTable> tables = new ConcurrentHashMap<>();
    /** The instances divert runs in (rules may be added only there). */
    private final Set<String> running = ConcurrentHashMap.newKeySet();
    private volatile RuleStore store;
    /** Names this rule set (its counters) in a live-upgrade snapshot: a new bundle revision has a new one. */
    private final String id = java.util.UUID.randomUUID().toString();

    /** Without a store until Declarative Services binds one. */
    public DivertRules() {
    }

    /** With a store (without OSGi): its rules are loaded now. */
    public DivertRules(RuleStore store) {
        bindStore(store);
    }

    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC,
            policyOption = ReferencePolicyOption.GREEDY)
    void bindStore(RuleStore s) {
        store = s;
        load(s);
    }

    void unbindStore(RuleStore s) {
        if (store == s) {
            store = null;
        }
    }

    String id() {
        return id;
    }

    /** The protocol started in {@code vnet}: its rule table (with the rules kept for it). */
    RuleTable attach(String vnet) {
        running.add(vnet);
        return table(vnet);
    }

    /** The protocol left {@code vnet} (the instance went away or the protocol is unloaded). */
    void detach(String vnet) {
        running.remove(vnet);
    }

    /** A rule number as the shell takes it; IllegalArgumentException names the accepted range. */
    public static int ruleNumber(String word) {
        return RuleParser.number(word);
    }

    public Set<String> vnets() {
        return Set.copyOf(running);
    }

    RuleTable table(String vnet) {
        return tables.computeIfAbsent(vnet, RuleTable::new);
    }

    /**
     * {@code ipfw add}: parses and adds a rule to {@code vnet} and saves the rule set.
     *
     * @throws IllegalArgumentException a one-line reason: a bad word, a taken number, an
     *         instance where divert does not run
     */
    public String add(String vnet, int number, List<String> words) {
        requireRunning(vnet);
        Rule r = RuleParser.parse(number, words);
        if (!table(vnet).add(r)) {
            throw new IllegalArgumentException("rule " + number + " exists in vnet " + vnet + " (delete it first or pick another number)");
        }
        save();
        return r.toString();
    }

    /** {@code ipfw delete}. */
    public void delete(String vnet, int number) {
        requireRunning(vnet);
        if (!table(vnet).delete(number)) {
            throw new IllegalArgumentException("no rule " + number + " in vnet " + vnet);
        }
        save();
    }

    /** A rule's counters: {packets, bytes}; null when there is no such rule. */
    public long[] counters(String vnet, int number) {
        for (Rule r : list(vnet)) {
            if (r.number == number) {
                return new long[] {r.packets.sum(), r.bytes.sum()};
            }
        }
        return null;
    }

    List<Rule> list(String vnet) {
        RuleTable t = tables.get(vnet);
        return t == null ? List.of() : t.list();
    }

    /** {@code ipfw -a list}: aligned columns with the counters. */
    public String format(String vnet) {
        List<Rule> rules = list(vnet);
        if (rules.isEmpty()) {
            return "no divert rules in vnet " + vnet + "\n";
        }
        int pw = 7;
        int bw = 5;
        for (Rule r : rules) {
            pw = Math.max(pw, Long.toString(r.packets.sum()).length());
            bw = Math.max(bw, Long.toString(r.bytes.sum()).length());
        }
        StringBuilder sb = new StringBuilder();
        sb.append(String.format("%-5s %" + pw + "s %" + bw + "s %s%n", "rule", "packets", "bytes", "action"));
        for (Rule r : rules) {
            sb.append(String.format("%05d %" + pw + "d %" + bw + "d %s%n", r.number, r.packets.sum(), r.bytes.sum(), r.body()));
        }
        return sb.toString();
    }

    private void requireRunning(String vnet) {
        if (!running.contains(vnet)) {
            List<String> names = new ArrayList<>(running);
            names.sort(null);
            throw new IllegalArgumentException("divert does not run in vnet '" + vnet + "' (vnets: " + String.join(", ", names) + ")");
        }
    }

    private void save() {
        RuleStore s = store;
        if (s == null) {
            return;
        }
        Map<String, String> out = new TreeMap<>();
        for (RuleTable t : tables.values()) {
            String prefix = t.vnet().equals(NetStack.DEFAULT_VNET) ? KEY : KEY + t.vnet() + ".";
            for (Rule r : t.rules()) {
                out.put(prefix + r.number, r.body());
            }
        }
        try {
            s.save(out);
        } catch (RuntimeException e) {
            LOG.warn("divert rules could not be saved", e);
        }
    }

    /** Adds the rules a store kept that are not here yet; a rule that no longer parses is logged and skipped. */
    private void load(RuleStore s) {
        Map<String, String> saved;
        try {
            saved = s.load();
        } catch (RuntimeException e) {
            LOG.warn("divert rules could not be loaded", e);
            return;
        }
        for (Map.Entry<String, String> e : saved.entrySet()) {
            String key = e.getKey();
            if (!key.startsWith(KEY)) {
                continue;
            }
            int dot = key.lastIndexOf('.');
            String vnet = dot == KEY.length() - 1 ? NetStack.DEFAULT_VNET : key.substring(KEY.length(), dot);
            try {
                int number = RuleParser.number(key.substring(dot + 1));
                table(vnet).add(RuleParser.parse(number, Arrays.asList(e.getValue().trim().split("\\s+"))));
            } catch (IllegalArgumentException x) {
                LOG.warn("divert rule {} = '{}' skipped: {}", key, e.getValue(), x.getMessage());
            }
        }
    }
}
