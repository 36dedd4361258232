package org.protosw.divert.internal;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.atomic.LongAdder;

import org.protosw.socket.SocketException;

/** {@code struct divstat}: the counters behind {@code netstat -s -p divert}. */
final class DivertStats {
    final LongAdder divertedIn = new LongAdder();
    final LongAdder divertedOut = new LongAdder();
    final LongAdder teed = new LongAdder();
    final LongAdder noport = new LongAdder();
    final LongAdder fullsock = new LongAdder();
    final LongAdder reinjectedIn = new LongAdder();
    final LongAdder reinjectedOut = new LongAdder();
    final LongAdder badsum = new LongAdder();
    /** Packets dropped because processing them failed unexpectedly (a bug, not bad input). */
    final LongAdder errors = new LongAdder();

    Map<String, Long> snapshot() {
        Map<String, Long> m = new LinkedHashMap<>();
        m.put("packets diverted inbound", divertedIn.sum());
        m.put("packets diverted outbound", divertedOut.sum());
        m.put("packets tee'd", teed.sum());
        m.put("dropped due to no socket", noport.sum());
        m.put("dropped due to full socket buffers", fullsock.sum());
        m.put("packets reinjected inbound", reinjectedIn.sum());
        m.put("packets reinjected outbound", reinjectedOut.sum());
        m.put("reinjected with bad header checksum", badsum.sum());
        long e = errors.sum();
        if (e != 0) {
            m.put("dropped due to internal errors", e);
        }
        return m;
    }

    /** Each counter by the name it has in a snapshot ({@link DivertTransfer}). */
    private Map<String, LongAdder> byName() {
        Map<String, LongAdder> m = new LinkedHashMap<>();
        m.put("divertedIn", divertedIn);
        m.put("divertedOut", divertedOut);
        m.put("teed", teed);
        m.put("noport", noport);
        m.put("fullsock", fullsock);
        m.put("reinjectedIn", reinjectedIn);
        m.put("reinjectedOut", reinjectedOut);
        m.put("badsum", badsum);
        m.put("errors", errors);
        return m;
    }

    /** The counters for the next revision. */
    Map<String, Object> exportState() {
        Map<String, Object> m = new LinkedHashMap<>();
        byName().forEach((k, v) -> m.put(k, v.sum()));
        return m;
    }

    /**
     * Adds exported counters to these (a new instance's, all zero until its hook runs).
     * Every counter of the format must be there as a count; a missing or wrong one is named
     * and nothing is added.
     */
    void restore(Map<String, Object> m) throws SocketException {
        Map<String, LongAdder> counters = byName();
        Map<String, Long> values = new LinkedHashMap<>();
        for (String k : counters.keySet()) {
            long n = DivertTransfer.longValue(m, k, "stats");
            if (n < 0) {
                throw DivertTransfer.bad("stats." + k + " (" + n + ", a negative count)");
            }
            values.put(k, n);
        }
        values.forEach((k, n) -> counters.get(k).add(n));
    }
}
