package org.protosw.internal.sw;

import static org.assertj.core.api.Assertions.assertThat;
import static org.protosw.internal.socket.Errnos.assertErrno;
import static org.protosw.socket.SocketConstants.AF_DIVERT;
import static org.protosw.socket.SocketConstants.AF_INET;
import static org.protosw.socket.SocketConstants.SOCK_DGRAM;
import static org.protosw.socket.SocketConstants.SOCK_RAW;
import static org.protosw.socket.SocketConstants.SOCK_SEQPACKET;
import static org.protosw.socket.SocketConstants.SOCK_STREAM;

import java.util.HashMap;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.protosw.internal.socket.TestDgramProto;
import org.protosw.internal.socket.TestNet;
import org.protosw.internal.socket.TestStreamProto;
import org.protosw.socket.Errno;
import org.protosw.socket.Socket;
import org.protosw.spi.ProtoSwEntry;
import org.slf4j.LoggerFactory;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;

class ProtoSwRegistryTest {
    private final TestNet net = new TestNet();
    private final ProtoSwRegistry reg = net.registry;
    private final ListAppender<ILoggingEvent> log = new ListAppender<>();
    /** The registry's and the protocols' failures (ProtoFaults) alike. */
    private final Logger logger = (Logger) LoggerFactory.getLogger(ProtoSwRegistry.class.getPackageName());

    ProtoSwRegistryTest() {
        log.start();
        logger.addAppender(log);
    }

    @AfterEach
    void tearDown() {
        logger.detachAppender(log);
        net.close();
    }

    private List<String> errors() {
        return log.list.stream().filter(e -> e.getLevel() == Level.ERROR).map(ILoggingEvent::getFormattedMessage).toList();
    }

    private static Refusal refusal(RegisterResult r) {
        assertThat(r).isInstanceOf(RegisterResult.Refused.class);
        return ((RegisterResult.Refused) r).refusal();
    }

    @Test
    void missingPropertiesAreAllNamed() {
        TestDgramProto sw = new TestDgramProto();
        Refusal r = refusal(reg.register(sw, Map.of(ProtoSwEntry.TYPE, SOCK_DGRAM), "bad.bundle [9] 0.1.0"));
        assertThat(r.errno()).isEqualTo(Errno.EINVAL);
        assertThat(r.message()).contains("missing mandatory properties protosw.domain, protosw.protocol, protosw.name");
        assertThat(r.owner()).isEqualTo("bad.bundle [9] 0.1.0");
        assertThat(reg.refusals()).containsExactly(r);
        assertThat(errors()).anyMatch(m -> m.contains("bad.bundle [9] 0.1.0") && m.contains("protosw.domain"));
        assertThat(reg.list()).isEmpty();
        reg.unregister(sw);
        assertThat(reg.refusals()).isEmpty();
    }

    @Test
    void illTypedPropertiesAreRefused() {
        Map<String, Object> p = new HashMap<>(TestDgramProto.props("tudp", 17));
        p.put(ProtoSwEntry.DOMAIN, "inet");
        p.put(ProtoSwEntry.TYPE, true);
        p.put(ProtoSwEntry.PROTOCOL, -4);
        p.put(ProtoSwEntry.NAME, "two words");
        p.put(ProtoSwEntry.FLAGS, 17);
        Refusal r = refusal(reg.register(new TestDgramProto(), p, "x"));
        assertThat(r.message())
                .contains("protosw.domain must be an integer, got String 'inet'")
                .contains("protosw.type must be an integer, got Boolean true")
                .contains("protosw.protocol must be at least 0, got -4")
                .contains("protosw.name must be a short name without spaces")
                .contains("protosw.flags must be a String or String[]");
    }

    @Test
    void numbersMayBeLongOrStringAndFlagsAString() throws Exception {
        Map<String, Object> p = new HashMap<>();
        p.put(ProtoSwEntry.DOMAIN, (long) AF_INET);
        p.put(ProtoSwEntry.TYPE, "2");
        p.put(ProtoSwEntry.PROTOCOL, " 17 ");
        p.put(ProtoSwEntry.NAME, "tudp");
        p.put(ProtoSwEntry.FLAGS, "PR_ATOMIC, PR_ADDR");
        RegisterResult r = reg.register(new TestDgramProto(), p, "x");
        assertThat(r.accepted()).isTrue();
        ProtoEntry e = ((RegisterResult.Accepted) r).entry();
        assertThat(e.descriptor()).isEqualTo(new ProtoDescriptor(AF_INET, SOCK_DGRAM, 17, "tudp",
                ProtoDescriptor.PR_ATOMIC | ProtoDescriptor.PR_ADDR));
        assertThat(reg.find(AF_INET, SOCK_DGRAM, 17)).isSameAs(e);
    }

    @Test
    void unknownFlagIsRefused() {
        Map<String, Object> p = new HashMap<>(TestDgramProto.props("tudp", 17));
        p.put(ProtoSwEntry.FLAGS, new String[] {"PR_ATOMIC", "PR_RIGHTS"});
        Refusal r = refusal(reg.register(new TestDgramProto(), p, "x"));
        assertThat(r.message()).contains("unknown flag String 'PR_RIGHTS'").contains("known: PR_ATOMIC, PR_ADDR");
    }

    @Test
    void duplicateTripleIsEexistAndTheLogNamesBothOwners() {
        assertThat(reg.register(new TestDgramProto(), TestDgramProto.props("tudp", 17), "org.protosw.udp [12] 1.0.0").accepted()).isTrue();
        Refusal r = refusal(reg.register(new TestDgramProto(), TestDgramProto.props("udp2", 17), "com.example.udp [31] 2.0.0"));
        assertThat(r.errno()).isEqualTo(Errno.EEXIST);
        assertThat(r.message()).contains("inet/dgram/17").contains("tudp").contains("org.protosw.udp [12] 1.0.0");
        assertThat(errors()).anyMatch(m -> m.contains("org.protosw.udp [12] 1.0.0") && m.contains("com.example.udp [31] 2.0.0"));
        assertThat(reg.list()).hasSize(1);
    }

    @Test
    void duplicateNameIsRefused() {
        assertThat(reg.register(new TestDgramProto(), TestDgramProto.props("tudp", 17), "a").accepted()).isTrue();
        Refusal r = refusal(reg.register(new TestDgramProto(), TestDgramProto.props("tudp", 99), "b"));
        assertThat(r.errno()).isEqualTo(Errno.EEXIST);
        assertThat(r.message()).contains("name tudp");
    }

    @Test
    void theSameServiceTwiceIsRefusedAndAFixedServiceIsJudgedAfresh() {
        TestDgramProto sw = new TestDgramProto();
        assertThat(reg.register(sw, TestDgramProto.props("tudp", 17), "a").accepted()).isTrue();
        assertThat(refusal(reg.register(sw, TestDgramProto.props("tudp", 17), "a")).errno()).isEqualTo(Errno.EEXIST);
        assertThat(reg.refusals()).isEmpty();

        TestDgramProto other = new TestDgramProto();
        refusal(reg.register(other, Map.of(), "b"));
        assertThat(reg.refusals()).hasSize(1);
        assertThat(reg.register(other, TestDgramProto.props("tudp2", 18), "b").accepted()).isTrue();
        assertThat(reg.refusals()).isEmpty();
    }

    @Test
    void findAnswersAsPffindprotoDoes() throws Exception {
        assertErrno(Errno.EAFNOSUPPORT, () -> reg.find(AF_INET, SOCK_DGRAM, 0));
        ProtoEntry udp = accepted(new TestDgramProto(), TestDgramProto.props("tudp", 17));
        ProtoEntry other = accepted(new TestDgramProto(), TestDgramProto.props("tdg2", 136));
        assertErrno(Errno.EAFNOSUPPORT, () -> reg.find(AF_DIVERT, SOCK_RAW, 0));
        assertErrno(Errno.ESOCKTNOSUPPORT, () -> reg.find(AF_INET, SOCK_SEQPACKET, 0));
        assertErrno(Errno.EPROTONOSUPPORT, () -> reg.find(AF_INET, SOCK_DGRAM, 6));
        assertThat(reg.find(AF_INET, SOCK_DGRAM, 0)).as("the first registered is the default").isSameAs(udp);
        assertThat(reg.find(AF_INET, SOCK_DGRAM, 136)).isSameAs(other);

        // raw: an exact entry wins, the wildcard (protocol 0) serves every other number
        ProtoEntry icmp = accepted(new TestDgramProto(), raw("ticmp", 1));
        ProtoEntry rawip = accepted(new TestDgramProto(), raw("trawip", 0));
        assertThat(reg.find(AF_INET, SOCK_RAW, 1)).isSameAs(icmp);
        assertThat(reg.find(AF_INET, SOCK_RAW, 99)).isSameAs(rawip);
        assertThat(reg.find(AF_INET, SOCK_RAW, 0)).isSameAs(icmp);
        // the wildcard serves raw sockets only
        assertErrno(Errno.EPROTONOSUPPORT, () -> reg.find(AF_INET, SOCK_DGRAM, 99));
    }

    @Test
    void aTypeWithOnlyAProtocolZeroEntryServesProtocolZero() throws Exception {
        ProtoEntry e = accepted(new TestStreamProto(), TestStreamProto.props("tseq", 0));
        assertThat(reg.find(AF_INET, SOCK_STREAM, 0)).isSameAs(e);
        assertErrno(Errno.EPROTONOSUPPORT, () -> reg.find(AF_INET, SOCK_STREAM, 6));
    }

    private static Map<String, Object> raw(String name, int protocol) {
        Map<String, Object> p = new HashMap<>(TestDgramProto.props(name, protocol));
        p.put(ProtoSwEntry.TYPE, SOCK_RAW);
        return p;
    }

    private ProtoEntry accepted(org.protosw.spi.ProtoSw sw, Map<String, Object> props) {
        RegisterResult r = net.register(sw, props);
        assertThat(r.accepted()).as(r.toString()).isTrue();
        return ((RegisterResult.Accepted) r).entry();
    }

    @Test
    void aFailingInitLeavesOnlyThatInstanceWithoutTheProtocol() throws Exception {
        FakeVnet b = new FakeVnet("b");
        reg.addVnet(b);
        TestDgramProto sw = new TestDgramProto();
        sw.failInitIn.add("b");
        ProtoEntry e = accepted(sw, TestDgramProto.props("tudp", 17));
        assertThat(e.instance("default")).isNotNull();
        assertThat(e.instance("b")).isNull();
        assertThat(errors()).anyMatch(m -> m.contains("tudp") && m.contains("vnet b"));
        assertThat(b.contextsOf("tudp")).singleElement().satisfies(c -> assertThat(c.closed.get()).isEqualTo(1));
        assertThat(net.vnet.contextsOf("tudp")).singleElement().satisfies(c -> {
            assertThat(c.bound.get()).isEqualTo(1);
            assertThat(c.closed.get()).isZero();
        });
        try (TestNet other = new TestNet(reg, "c")) {
            // created later: the protocol runs there too
            assertThat(e.instance("c")).isNotNull();
            Socket s = other.dgram();
            s.close();
        }
        assertThat(e.instance("c")).as("removed with its vnet").isNull();
        org.protosw.internal.socket.SocketLayer bLayer = new org.protosw.internal.socket.SocketLayer("b", null, reg,
                new org.protosw.internal.kern.SysctlTree());
        assertErrno(Errno.EPROTONOSUPPORT, () -> bLayer.socket(AF_INET, SOCK_DGRAM, 0));
        reg.removeVnet("b");
    }

    @Test
    void addingAKnownVnetTwiceIsAnError() {
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> reg.addVnet(new FakeVnet("default")))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("default");
    }

    @Test
    void listShowsTheSwitchTable() throws Exception {
        net.dgramProto();
        net.streamProto();
        Socket a = net.dgram();
        Socket b = net.dgram();
        List<ProtoSwInfo> rows = reg.list();
        assertThat(rows).extracting(ProtoSwInfo::name).containsExactly("tudp", "tstream");
        ProtoSwInfo udp = rows.get(0);
        assertThat(udp.domain()).isEqualTo(AF_INET);
        assertThat(udp.type()).isEqualTo(SOCK_DGRAM);
        assertThat(udp.protocol()).isEqualTo(17);
        assertThat(udp.flags()).containsExactly("PR_ATOMIC", "PR_ADDR");
        assertThat(udp.owner()).isEqualTo("test.bundle [7] 1.0.0");
        assertThat(udp.state()).isEqualTo(ProtoState.ACTIVE);
        assertThat(udp.socketsPerVnet()).containsExactly(Map.entry("default", 2));
        assertThat(udp.sockets()).isEqualTo(2);
        assertThat(udp.callsInFlight()).isZero();
        assertThat(rows.get(1).sockets()).isZero();
        a.close();
        b.close();
        assertThat(reg.list().get(0).sockets()).isZero();
        assertThat(reg.entry("tudp").instance("default").statistics()).containsKey("datagrams delivered");
        assertThat(reg.vnets()).containsExactly("default");
    }
}
