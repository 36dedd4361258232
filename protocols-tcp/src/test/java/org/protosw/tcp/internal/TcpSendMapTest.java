package org.protosw.tcp.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Map;

import org.junit.jupiter.api.Test;
import org.protosw.socket.SocketException;

/** The send map RACK reasons over: entries, splits, the SACKed and lost totals, and its snapshot. */
class TcpSendMapTest {
    /** Near the top of the sequence space, so that every test also crosses 2^32. */
    private static final int BASE = -2500;

    private static TcpSendMap threeSegments() {
        TcpSendMap m = new TcpSendMap();
        m.sent(BASE, BASE + 1000, 10);
        m.sent(BASE + 1000, BASE + 2000, 20);
        m.sent(BASE + 2000, BASE + 3000, 30);
        return m;
    }

    @Test
    void newDataAppendsAndAResendSplitsAndStampsOnlyWhatWentAgain() {
        TcpSendMap m = threeSegments();
        assertThat(m.size()).isEqualTo(3);
        m.sent(BASE + 1500, BASE + 2000, 99);
        assertThat(m.size()).isEqualTo(4);
        assertThat(m.start(1)).isEqualTo(BASE + 1000);
        assertThat(m.end(1)).isEqualTo(BASE + 1500);
        assertThat(m.sentAt(1)).isEqualTo(20);
        assertThat(m.has(1, TcpSendMap.RETRANS)).isFalse();
        assertThat(m.start(2)).isEqualTo(BASE + 1500);
        assertThat(m.sentAt(2)).isEqualTo(99);
        assertThat(m.has(2, TcpSendMap.RETRANS)).isTrue();
        // the original's first transmission is remembered for its D-SACK
        assertThat(m.firstSentAt(BASE + 1500, BASE + 2000)).isEqualTo(20);
        m.forgetFirst(20);
        assertThat(m.firstSentAt(BASE + 1500, BASE + 2000)).isEqualTo(-1);
    }

    @Test
    void sackedAndLostTotalsFollowMarksResendsAndTheCumulativeAck() {
        TcpSendMap m = threeSegments();
        m.markSacked(1);
        m.markLost(0);
        m.markLost(1); // SACKed data is never lost
        assertThat(m.sackedBytes()).isEqualTo(1000);
        assertThat(m.lostBytes()).isEqualTo(1000);
        m.sent(BASE, BASE + 1000, 40); // the lost one is resent: in flight again
        assertThat(m.lostBytes()).isZero();
        m.markLost(2);
        m.ackedTo(BASE + 1500); // half of the SACKed entry is acknowledged
        assertThat(m.size()).isEqualTo(2);
        assertThat(m.start(0)).isEqualTo(BASE + 1500);
        assertThat(m.sackedBytes()).isEqualTo(500);
        assertThat(m.lostBytes()).isEqualTo(1000);
        m.forgetSacks();
        assertThat(m.sackedBytes()).isZero();
        m.ackedTo(BASE + 3000);
        assertThat(m.isEmpty()).isTrue();
        assertThat(m.lostBytes()).isZero();
    }

    @Test
    void splitAtAnEdgeInsideAnEntryKeepsItsTimeAndFlags() {
        TcpSendMap m = threeSegments();
        m.markLost(2);
        int i = m.splitAt(BASE + 2400);
        assertThat(i).isEqualTo(3);
        assertThat(m.size()).isEqualTo(4);
        assertThat(m.has(2, TcpSendMap.LOST)).isTrue();
        assertThat(m.has(3, TcpSendMap.LOST)).isTrue();
        assertThat(m.sentAt(3)).isEqualTo(30);
        assertThat(m.lostBytes()).isEqualTo(1000);
        assertThat(m.splitAt(BASE + 1000)).isEqualTo(1); // already an edge
        assertThat(m.size()).isEqualTo(4);
    }

    @Test
    void aMapGrownLargeIsCompactedAndGivenBackWhenEmptied() {
        TcpSendMap m = new TcpSendMap();
        for (int k = 0; k < 1000; k++) {
            m.sent(BASE + 100 * k, BASE + 100 * (k + 1), k);
            if (k % 2 == 1) {
                m.ackedTo(BASE + 100 * (k - 1));
            }
        }
        assertThat(m.size()).isEqualTo(2);
        assertThat(m.start(0)).isEqualTo(BASE + 100 * 998);
        m.ackedTo(BASE + 100_000);
        assertThat(m.isEmpty()).isTrue();
    }

    @Test
    void theSnapshotRoundTripsAndABrokenOneIsRefused() throws SocketException {
        TcpSendMap m = threeSegments();
        m.markSacked(1);
        m.markLost(0);
        m.sent(BASE + 2000, BASE + 3000, 50);
        Map<String, Object> snap = m.exportState();
        TcpSendMap n = new TcpSendMap();
        n.restore(snap);
        assertThat(n.size()).isEqualTo(3);
        assertThat(n.sackedBytes()).isEqualTo(1000);
        assertThat(n.lostBytes()).isEqualTo(1000);
        assertThat(n.has(2, TcpSendMap.RETRANS)).isTrue();
        assertThat(n.sentAt(2)).isEqualTo(50);

        Map<String, Object> gap = new java.util.LinkedHashMap<>(snap);
        gap.put("start", java.util.List.of(BASE, BASE + 1001, BASE + 2000));
        assertThatThrownBy(() -> new TcpSendMap().restore(gap)).isInstanceOf(SocketException.class)
                .hasMessageContaining("send map entry 1");
    }
}
