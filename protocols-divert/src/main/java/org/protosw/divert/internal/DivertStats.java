package org.protosw.divert.internal;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.atomic.LongAdder;

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
}
