package org.protosw.divert.internal;

import java.util.Arrays;
import java.util.Comparator;
import java.util.List;

/**
 * The divert rules of one stack instance, in number order. The array is replaced on every
 * change (copy on write), so the packet path reads it without a lock.
 */
final class RuleTable {
    private static final Rule[] NONE = new Rule[0];

    private final String vnet;
    private volatile Rule[] rules = NONE;

    RuleTable(String vnet) {
        this.vnet = vnet;
    }

    String vnet() {
        return vnet;
    }

    Rule[] rules() {
        return rules;
    }

    List<Rule> list() {
        return List.of(rules);
    }

    /** Adds a rule; false when its number is taken. */
    synchronized boolean add(Rule r) {
        Rule[] cur = rules;
        for (Rule x : cur) {
            if (x.number == r.number) {
                return false;
            }
        }
        Rule[] next = Arrays.copyOf(cur, cur.length + 1);
        next[cur.length] = r;
        Arrays.sort(next, Comparator.comparingInt(x -> x.number));
        rules = next;
        return true;
    }

    /** Removes rule {@code number}; false when there is none. */
    synchronized boolean delete(int number) {
        Rule[] cur = rules;
        for (int k = 0; k < cur.length; k++) {
            if (cur[k].number == number) {
                Rule[] next = new Rule[cur.length - 1];
                System.arraycopy(cur, 0, next, 0, k);
                System.arraycopy(cur, k + 1, next, k, cur.length - k - 1);
                rules = next;
                return true;
            }
        }
        return false;
    }

    synchronized void clear() {
        rules = NONE;
    }
}
