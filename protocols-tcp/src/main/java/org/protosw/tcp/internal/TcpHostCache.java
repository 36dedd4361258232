package org.protosw.tcp.internal;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.LongSupplier;

import org.protosw.socket.InAddr;

/**
 * What TCP learned about a destination that outlives one connection ({@code tcp_hostcache.c}):
 * here the path MTU from ICMP fragmentation needed (RFC 1191), so that the next connection to
 * the same host starts with segments that fit instead of losing its first flight again.
 *
 * <p>An entry is kept {@code net.inet.tcp.hostcache.expire} seconds from its last update
 * (RFC 1191 §6.3 suggests ten minutes before trying a larger MTU; FreeBSD keeps whole
 * entries an hour). Then the estimate is forgotten: connections start at the route's MTU
 * again, and the ones that were lowered raise their MSS back (see {@code TcpCb}); if the
 * path is still narrow, the next fragmentation-needed lowers them again. Only connection
 * setup and ICMP errors look here, never the per-segment path.
 */
final class TcpHostCache {
    /** Beyond this many destinations the oldest entry makes room (FreeBSD's cachelimit). */
    static final int CACHE_LIMIT = 4096;

    record Entry(InAddr host, int mtu, long updatedNanos, long expiresNanos) {
    }

    private final Map<Integer, Entry> byHost = new ConcurrentHashMap<>();
    private final LongSupplier expireSeconds;
    private final LongSupplier clock;

    TcpHostCache(LongSupplier expireSeconds) {
        this(expireSeconds, System::nanoTime);
    }

    TcpHostCache(LongSupplier expireSeconds, LongSupplier clock) {
        this.expireSeconds = expireSeconds;
        this.clock = clock;
    }

    /** The path MTU towards {@code host}, or 0 when none is known (or it has expired). */
    int mtu(int host) {
        Entry e = live(host);
        return e == null ? 0 : e.mtu();
    }

    /** When the estimate for {@code host} expires (nanoTime), or 0 when there is none. */
    long expires(int host) {
        Entry e = live(host);
        return e == null ? 0 : e.expiresNanos();
    }

    /**
     * Records a path MTU learned for {@code host}; returns when it expires (nanoTime). An ICMP
     * error only ever lowers an estimate: a larger one waits for the entry to expire.
     */
    long updateMtu(int host, int mtu) {
        long now = clock.getAsLong();
        long expires = now + expireSeconds.getAsLong() * 1_000_000_000L;
        Entry next = byHost.compute(host, (h, old) -> {
            boolean oldLive = old != null && now - old.expiresNanos() < 0;
            int m = oldLive ? Math.min(old.mtu(), mtu) : mtu;
            return new Entry(new InAddr(h), m, now, expires);
        });
        if (byHost.size() > CACHE_LIMIT) {
            trim(now);
        }
        return next.expiresNanos();
    }

    private Entry live(int host) {
        Entry e = byHost.get(host);
        if (e == null) {
            return null;
        }
        if (clock.getAsLong() - e.expiresNanos() >= 0) {
            byHost.remove(host, e);
            return null;
        }
        return e;
    }

    /** Drops expired entries, then the least recently updated ones, down to the limit. */
    private void trim(long now) {
        byHost.values().removeIf(e -> now - e.expiresNanos() >= 0);
        if (byHost.size() <= CACHE_LIMIT) {
            return;
        }
        List<Entry> all = new ArrayList<>(byHost.values());
        all.sort(Comparator.comparingLong(Entry::updatedNanos));
        for (int i = 0; i < all.size() - CACHE_LIMIT; i++) {
            byHost.remove(all.get(i).host().bits(), all.get(i));
        }
    }

    /** The live entries, by address. */
    List<Entry> list() {
        long now = clock.getAsLong();
        List<Entry> out = new ArrayList<>();
        for (Entry e : byHost.values()) {
            if (now - e.expiresNanos() < 0) {
                out.add(e);
            }
        }
        out.sort(Comparator.comparingLong(e -> Integer.toUnsignedLong(e.host().bits())));
        return out;
    }

    // ---- live upgrade (TcpTransfer) ---------------------------------------------------

    /** The live entries as (host, mtu, updated, expires); nanoTime is the JVM's, shared by the next revision. */
    java.util.List<Object> exportState() {
        java.util.List<Object> out = new java.util.ArrayList<>();
        for (Entry e : list()) {
            out.add(java.util.List.of(e.host().bits(), e.mtu(), e.updatedNanos(), e.expiresNanos()));
        }
        return out;
    }

    void restore(java.util.List<?> entries) throws org.protosw.socket.SocketException {
        for (Object o : entries) {
            if (!(o instanceof java.util.List<?> l) || l.size() != 4 || !(l.get(0) instanceof Integer host)
                    || !(l.get(1) instanceof Integer mtu) || !(l.get(2) instanceof Long updated)
                    || !(l.get(3) instanceof Long expires)) {
                throw TcpTransfer.bad("host cache entry " + o);
            }
            byHost.put(host, new Entry(new InAddr(host), mtu, updated, expires));
        }
    }
}
