package org.protosw.divert.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;

import org.junit.jupiter.api.Test;
import org.protosw.divert.example.Diverter;
import org.protosw.divert.example.Flow;
import org.protosw.divert.example.FlowCount;
import org.protosw.internal.kern.Vnet;
import org.protosw.socket.InetSockAddr;

/**
 * A 16 MiB TCP transfer with both of its directions (data and acknowledgements) diverted
 * through the example diverter arrives SHA-256 identical, and the rules counted exactly
 * the packets the diverter saw.
 */
class TcpPassThroughTest {
    private static final int BYTES = 16 * 1024 * 1024;
    private static final int PORT = 9100;
    private static final String TO_SERVER = "divert 8668 tcp from any to any " + PORT;
    private static final String FROM_SERVER = "divert 8668 tcp from any " + PORT + " to any";

    @Test
    void overLoopbackEverySegmentDivertedOutAndIn() throws Exception {
        try (DivertLab lab = new DivertLab()) {
            Vnet v = lab.def();
            Diverter d = diverter(lab, v);
            TcpStream ts = TcpStream.open(lab, v, v, InetSockAddr.of("127.0.0.1", PORT), BYTES, 20_000);
            ts.sendAllAndVerify(60_000);

            // the connection's last segments (FIN, ACK) may still be on their way round lo0
            quiet(lab, new End(d, v));
            assertRuleCountersMatch(lab, v, d);
            // lo0: a segment is diverted when it leaves and again when it arrives
            assertThat(lab.divertStat(v, "packets diverted outbound")).isEqualTo(lab.divertStat(v, "packets diverted inbound"));
            assertThat(lab.divertStat(v, "packets diverted outbound") * 2).isEqualTo(d.packets());
        }
    }

    @Test
    void overEpairDivertedAtBothEnds() throws Exception {
        try (DivertLab lab = new DivertLab()) {
            Vnet a = lab.vnet("a");
            Vnet b = lab.vnet("b");
            lab.link(a, "10.0.0.1", b, "10.0.0.2");
            Diverter da = diverter(lab, a);
            Diverter db = diverter(lab, b);
            TcpStream ts = TcpStream.open(lab, a, b, InetSockAddr.of("10.0.0.2", PORT), BYTES, 20_000);
            ts.sendAllAndVerify(60_000);

            quiet(lab, new End(da, a), new End(db, b));
            assertRuleCountersMatch(lab, a, da);
            assertRuleCountersMatch(lab, b, db);
            // each segment crosses one hook per end: out at its sender, in at its receiver
            assertThat(lab.divertStat(a, "packets diverted outbound")).isEqualTo(lab.divertStat(b, "packets diverted inbound"));
            assertThat(lab.divertStat(b, "packets diverted outbound")).isEqualTo(lab.divertStat(a, "packets diverted inbound"));
            assertThat(da.packets()).isEqualTo(db.packets());
            assertThat(lab.divertStat(a, "packets reinjected outbound")).isEqualTo(lab.divertStat(a, "packets diverted outbound"));
            assertThat(lab.divertStat(b, "packets reinjected inbound")).isEqualTo(lab.divertStat(b, "packets diverted inbound"));
        }
    }

    /** A vnet and the diverter running in it. */
    private record End(Diverter diverter, Vnet vnet) {
    }

    /**
     * Waits until the connection's last segments have been through: what the diverters saw
     * and what the rules and divert counted stays the same for a while, and each diverter has
     * read what its rules sent it (bounded: a packet really lost fails the assertions after).
     */
    private static void quiet(DivertLab lab, End... ends) throws InterruptedException {
        long[] last = {-1};
        long[] unchangedSince = {System.nanoTime()};
        DivertLab.await("the connection to go quiet", 10_000, () -> {
            long sum = 0;
            for (End e : ends) {
                Diverter d = e.diverter();
                Vnet v = e.vnet();
                sum = sum * 31 + d.packets();
                sum = sum * 31 + lab.rulePackets(v, 100) + lab.rulePackets(v, 200);
                sum = sum * 31 + lab.divertStat(v, "packets diverted outbound");
                sum = sum * 31 + lab.divertStat(v, "packets diverted inbound");
            }
            long now = System.nanoTime();
            // a packet a rule counted may still be on its way to the diverter's recv
            boolean seenAll = true;
            for (End e : ends) {
                seenAll &= e.diverter().packets() == lab.rulePackets(e.vnet(), 100) + lab.rulePackets(e.vnet(), 200);
            }
            if (sum != last[0] || !seenAll) {
                last[0] = sum;
                unchangedSince[0] = now;
                return false;
            }
            return now - unchangedSince[0] > 200_000_000L;
        });
    }

    /** Rules 100 (towards the server) and 200 (from it) and a flow-counting diverter on port 8668 of {@code v}. */
    private static Diverter diverter(DivertLab lab, Vnet v) throws Exception {
        // room for a whole window of segments: none is lost to a full divert socket
        DivertLab.sysctl(v, "net.inet.divert.recvspace", 16 * 1024 * 1024);
        lab.rule(v, 100, TO_SERVER);
        lab.rule(v, 200, FROM_SERVER);
        Diverter d = Diverter.open(v, 8668).countFlows();
        lab.spawn("diverter-" + v.name(), d);
        return d;
    }

    /**
     * Once the connection's last segments have been through: each rule counted what the
     * diverter saw of its direction, nothing was lost on the way.
     */
    private static void assertRuleCountersMatch(DivertLab lab, Vnet v, Diverter d) throws InterruptedException {
        assertThat(d.packets()).as("packets the diverter in " + v.name() + " saw")
                .isEqualTo(lab.rulePackets(v, 100) + lab.rulePackets(v, 200));
        long toServer = lab.rulePackets(v, 100);
        long fromServer = lab.rulePackets(v, 200);
        assertThat(toServer).as("data segments (16 MiB)").isGreaterThan(BYTES / 65536);
        assertThat(fromServer).as("acknowledgements").isPositive();
        Map<Flow, FlowCount> flows = d.flows();
        assertThat(flows).hasSize(2);
        for (Map.Entry<Flow, FlowCount> e : flows.entrySet()) {
            long expected = e.getKey().dstPort() == PORT ? toServer : fromServer;
            assertThat(e.getValue().packets()).as("packets of " + e.getKey()).isEqualTo(expected);
        }
        assertThat(d.writeErrors()).isZero();
        assertThat(lab.divertStat(v, "dropped due to full socket buffers")).isZero();
        assertThat(lab.divertStat(v, "dropped due to no socket")).isZero();
    }
}
