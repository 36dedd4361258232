package org.protosw.udp.internal;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.atomic.LongAdder;

/** {@code struct udpstat}: the counters behind {@code netstat -s -p udp}. */
final class UdpStats {
    final LongAdder ipackets = new LongAdder();
    final LongAdder hdrops = new LongAdder();
    final LongAdder badlen = new LongAdder();
    final LongAdder badsum = new LongAdder();
    final LongAdder nosum = new LongAdder();
    final LongAdder noport = new LongAdder();
    final LongAdder noportbcast = new LongAdder();
    final LongAdder fullsock = new LongAdder();
    /** Datagrams queued to at least one socket. */
    final LongAdder delivered = new LongAdder();
    final LongAdder opackets = new LongAdder();
    /** Datagrams handed to an in-stack tunnel (udp_set_kernel_tunneling) instead of a socket buffer. */
    final LongAdder tunneled = new LongAdder();
    /** Datagrams dropped because processing them failed unexpectedly (a bug, not bad input). */
    final LongAdder inerrors = new LongAdder();

    /** The counters in FreeBSD netstat's order and wording. */
    Map<String, Long> snapshot() {
        Map<String, Long> m = new LinkedHashMap<>();
        m.put("datagrams received", ipackets.sum());
        m.put("with incomplete header", hdrops.sum());
        m.put("with bad data length field", badlen.sum());
        m.put("with bad checksum", badsum.sum());
        m.put("with no checksum", nosum.sum());
        m.put("dropped due to no socket", noport.sum());
        m.put("broadcast/multicast datagrams undelivered", noportbcast.sum());
        m.put("dropped due to full socket buffers", fullsock.sum());
        long errors = inerrors.sum();
        if (errors != 0) {
            m.put("dropped due to internal errors", errors);
        }
        m.put("delivered", delivered.sum());
        long tun = tunneled.sum();
        if (tun != 0) {
            m.put("delivered to in-stack tunnels", tun);
        }
        m.put("datagrams output", opackets.sum());
        return m;
    }

    private java.util.Map<String, LongAdder> byName() {
        java.util.Map<String, LongAdder> m = new java.util.LinkedHashMap<>();
        m.put("ipackets", ipackets);
        m.put("hdrops", hdrops);
        m.put("badlen", badlen);
        m.put("badsum", badsum);
        m.put("nosum", nosum);
        m.put("noport", noport);
        m.put("noportbcast", noportbcast);
        m.put("fullsock", fullsock);
        m.put("delivered", delivered);
        m.put("opackets", opackets);
        m.put("tunneled", tunneled);
        m.put("inerrors", inerrors);
        return m;
    }

    /** The counters by field name, for a live upgrade. */
    java.util.Map<String, Object> export() {
        java.util.Map<String, Object> m = new java.util.LinkedHashMap<>();
        byName().forEach((k, v) -> m.put(k, v.sum()));
        return m;
    }

    /** Adds exported counters (names this revision does not know are left out). */
    void restore(java.util.Map<String, Object> m) {
        byName().forEach((k, v) -> {
            if (m.get(k) instanceof Long n) {
                v.add(n);
            }
        });
    }
}
