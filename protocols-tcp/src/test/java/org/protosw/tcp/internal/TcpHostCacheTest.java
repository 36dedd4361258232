package org.protosw.tcp.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.concurrent.atomic.AtomicLong;

import org.junit.jupiter.api.Test;
import org.protosw.socket.InAddr;

class TcpHostCacheTest {
    private static final int HOST = InAddr.parse("198.51.100.7").bits();
    private static final long SECOND = 1_000_000_000L;

    private final AtomicLong now = new AtomicLong(5 * SECOND);
    private final TcpHostCache hc = new TcpHostCache(() -> 600, now::get);

    @Test
    void anEstimateHoldsUntilItExpires() {
        assertThat(hc.mtu(HOST)).isZero();
        long expires = hc.updateMtu(HOST, 1280);
        assertThat(expires).isEqualTo(605 * SECOND);
        now.addAndGet(599 * SECOND);
        assertThat(hc.mtu(HOST)).isEqualTo(1280);
        assertThat(hc.expires(HOST)).isEqualTo(expires);
        now.addAndGet(SECOND);
        assertThat(hc.mtu(HOST)).isZero();
        assertThat(hc.expires(HOST)).isZero();
        assertThat(hc.list()).isEmpty();
    }

    @Test
    void aLiveEstimateOnlyGoesDownButAnUpdateRenewsIt() {
        hc.updateMtu(HOST, 1280);
        now.addAndGet(300 * SECOND);
        // a stale error quoting a larger packet must not raise it (RFC 1191 §6.3)
        long renewed = hc.updateMtu(HOST, 1400);
        assertThat(hc.mtu(HOST)).isEqualTo(1280);
        assertThat(renewed).isEqualTo(905 * SECOND);
        hc.updateMtu(HOST, 1006);
        assertThat(hc.mtu(HOST)).isEqualTo(1006);
        // once expired, a new estimate starts afresh
        now.addAndGet(601 * SECOND);
        hc.updateMtu(HOST, 1400);
        assertThat(hc.mtu(HOST)).isEqualTo(1400);
    }

    @Test
    void theCacheKeepsTheMostRecentlyUpdatedHostsWithinItsLimit() {
        for (int i = 0; i < TcpHostCache.CACHE_LIMIT + 10; i++) {
            now.addAndGet(1000);
            hc.updateMtu(0x0a000000 + i, 1400);
        }
        assertThat(hc.list()).hasSize(TcpHostCache.CACHE_LIMIT);
        assertThat(hc.mtu(0x0a000000)).as("the oldest made room").isZero();
        assertThat(hc.mtu(0x0a000000 + TcpHostCache.CACHE_LIMIT + 9)).isEqualTo(1400);
    }
}
