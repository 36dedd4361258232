package org.protosw.divert.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;

import org.junit.jupiter.api.Test;
import org.protosw.divert.example.Diverter;
import org.protosw.divert.example.Flow;
import org.protosw.divert.example.FlowCount;
import org.protosw.internal.kern.Vnet;
import org.protosw.socket.InetSockAddr;
import org.protosw.socket.Socket;

/** A 4 MiB UDP stream diverted through the example diverter arrives intact; the counters agree. */
class PassThroughTest {
    private static final int BYTES = 4 * 1024 * 1024;
    private static final int COUNT = BYTES / Stream.DATAGRAM;

    @Test
    void overLoopbackDivertedOutAndIn() throws Exception {
        try (DivertLab lab = new DivertLab()) {
            Vnet v = lab.def();
            lab.rule(v, 100, "divert 8668 udp from any to any 9000");
            Diverter d = Diverter.open(v, 8668).countFlows();
            lab.spawn("diverter", d);
            Socket rx = DivertLab.udp(v, "127.0.0.1", 9000);
            Socket tx = DivertLab.udp(v, "127.0.0.1", 0);

            Stream.transfer(lab, tx, rx, InetSockAddr.of("127.0.0.1", 9000), BYTES);

            // lo0: each datagram leaves (out) and arrives (in): both are diverted
            assertThat(d.packets()).isEqualTo(2L * COUNT);
            assertThat(lab.rulePackets(v, 100)).isEqualTo(d.packets());
            assertThat(lab.divertStat(v, "packets diverted outbound")).isEqualTo(COUNT);
            assertThat(lab.divertStat(v, "packets diverted inbound")).isEqualTo(COUNT);
            assertThat(lab.divertStat(v, "packets reinjected outbound")).isEqualTo(COUNT);
            assertThat(lab.divertStat(v, "packets reinjected inbound")).isEqualTo(COUNT);
            assertThat(d.writeErrors()).isZero();
            Map<Flow, FlowCount> flows = d.flows();
            assertThat(flows).hasSize(1);
            FlowCount c = flows.values().iterator().next();
            assertThat(c.packets()).isEqualTo(2L * COUNT);
            assertThat(flows.keySet().iterator().next().dstPort()).isEqualTo(9000);
        }
    }

    @Test
    void overEpairDivertedOutboundAtTheSenderAndInboundAtTheReceiver() throws Exception {
        try (DivertLab lab = new DivertLab()) {
            Vnet a = lab.vnet("a");
            Vnet b = lab.vnet("b");
            DivertLab.Link link = lab.link(a, "10.0.0.1", b, "10.0.0.2");
            lab.rule(a, 100, "divert 8668 udp from 10.0.0.1 to 10.0.0.2 9000 out");
            lab.rule(b, 200, "divert 8669 udp from 10.0.0.0/24 to any 9000 in via " + link.pair().b().name());
            Diverter da = Diverter.open(a, 8668).countFlows();
            Diverter db = Diverter.open(b, 8669).countFlows();
            lab.spawn("diverter-a", da);
            lab.spawn("diverter-b", db);
            Socket rx = DivertLab.udp(b, "10.0.0.2", 9000);
            Socket tx = DivertLab.udp(a, "10.0.0.1", 0);

            Stream.transfer(lab, tx, rx, InetSockAddr.of("10.0.0.2", 9000), BYTES);

            assertThat(da.packets()).isEqualTo(COUNT);
            assertThat(db.packets()).isEqualTo(COUNT);
            assertThat(lab.rulePackets(a, 100)).isEqualTo(da.packets());
            assertThat(lab.rulePackets(b, 200)).isEqualTo(db.packets());
            assertThat(lab.divertStat(a, "packets diverted outbound")).isEqualTo(COUNT);
            assertThat(lab.divertStat(a, "packets reinjected outbound")).isEqualTo(COUNT);
            assertThat(lab.divertStat(b, "packets diverted inbound")).isEqualTo(COUNT);
            assertThat(lab.divertStat(b, "packets reinjected inbound")).isEqualTo(COUNT);
            assertThat(lab.udpStat(b, "with bad checksum")).isZero();
            assertThat(db.flows().values()).containsExactly(new FlowCount(COUNT, (long) COUNT * (Stream.DATAGRAM + 28)));
        }
    }
}
