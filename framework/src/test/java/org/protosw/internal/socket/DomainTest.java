package org.protosw.internal.socket;

import static org.assertj.core.api.Assertions.assertThat;
import static org.protosw.internal.socket.TestDomain.AF_TDOM;
import static org.protosw.socket.SocketConstants.AF_INET;
import static org.protosw.socket.SocketConstants.SOCK_SEQPACKET;
import static org.protosw.socket.SocketConstants.SOCK_STREAM;

import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.protosw.internal.socket.TestDomain.TAddr;
import org.protosw.internal.sw.DomainNames;
import org.protosw.internal.sw.ProtoSwInfo;
import org.protosw.internal.sw.ProtoSwRegistry;
import org.protosw.internal.sw.RegisterResult;
import org.protosw.internal.sw.Refusal;
import org.protosw.socket.Errno;
import org.protosw.socket.InetSockAddr;
import org.protosw.socket.Socket;
import org.protosw.socket.SocketException;
import org.slf4j.LoggerFactory;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;

/**
 * Domains as a third-party bundle registers them: a switch entry waits for its domain, the
 * domain's per-vnet state is shared by its entries, a taken family is refused with EEXIST and
 * a log line naming both bundles, the domain's parser and formatter serve the shell.
 */
class DomainTest {
    private final TestNet net = new TestNet();
    private final ProtoSwRegistry reg = net.registry;
    private final AtomicLong clock = new AtomicLong();
    private final ListAppender<ILoggingEvent> log = new ListAppender<>();
    private final Logger logger = (Logger) LoggerFactory.getLogger(ProtoSwRegistry.class);

    DomainTest() {
        log.start();
        logger.addAppender(log);
    }

    @AfterEach
    void tearDown() {
        logger.detachAppender(log);
        net.close();
    }

    @Test
    void anEntryWaitsForItsDomainAndStartsWhenItComes() throws Exception {
        net.dgramProto();
        TestUpperProto upper = new TestUpperProto(clock);
        RegisterResult r = net.register(upper, TestUpperProto.props("tseq", SOCK_SEQPACKET));
        assertThat(r).isInstanceOf(RegisterResult.Waiting.class);
        assertThat(reg.waiting()).singleElement().satisfies(w -> assertThat(w.toString()).contains("tseq").contains("af27"));
        assertThat(reg.list()).extracting(ProtoSwInfo::name).doesNotContain("tseq");
        assertThat(ErrnoOf.of(() -> net.layer.socket(AF_TDOM, SOCK_SEQPACKET, 0))).isEqualTo(Errno.EAFNOSUPPORT);

        TestDomain dom = new TestDomain();
        assertThat(reg.registerDomain(dom, "org.example.tdom [31] 2.0.0")).isNull();
        assertThat(reg.waiting()).isEmpty();
        assertThat(reg.list()).extracting(ProtoSwInfo::name).contains("tseq");
        assertThat(DomainNames.of(AF_TDOM)).isEqualTo("tdom");
        try (Socket s = net.layer.socket(AF_TDOM, SOCK_SEQPACKET, 0)) {
            assertThat(s.domain()).isEqualTo(AF_TDOM);
            ProtoSocketImpl so = ((SocketImpl) s).so;
            assertThat(so.domain()).isEqualTo(AF_TDOM);
        }
    }

    @Test
    void theDomainStateIsSharedByItsEntriesAndSeparatePerVnet() throws Exception {
        TestDomain dom = new TestDomain();
        reg.registerDomain(dom, "org.example.tdom [31] 2.0.0");
        TestUpperProto seq = new TestUpperProto(clock);
        TestUpperProto stream = new TestUpperProto(clock);
        assertThat(net.register(seq, TestUpperProto.props("tseq", SOCK_SEQPACKET)).accepted()).isTrue();
        assertThat(net.register(stream, TestUpperProto.props("tstr", SOCK_STREAM)).accepted()).isTrue();
        assertThat(seq.instance("default").state).isNotNull().isSameAs(stream.instance("default").state);

        try (TestNet other = new TestNet(reg, "other")) {
            assertThat(seq.instance("other").state).isSameAs(stream.instance("other").state)
                    .isNotSameAs(seq.instance("default").state);
            assertThat(dom.states).hasSize(2);
        }
        // the vnet went: its entries first, then the domain's state
        assertThat(dom.states).extracting(s -> s.vnet).containsExactly("default");
    }

    @Test
    void aTakenFamilyIsRefusedWithEexistNamingBothBundles() {
        assertThat(reg.registerDomain(new TestDomain(), "org.example.tdom [31] 2.0.0")).isNull();
        Refusal r = reg.registerDomain(new TestDomain(AF_TDOM, "other"), "org.example.rival [32] 1.0.0");
        assertThat(r).isNotNull();
        assertThat(r.errno()).isEqualTo(Errno.EEXIST);
        assertThat(reg.domainRefusals()).containsExactly(r);
        assertThat(log.list).filteredOn(e -> e.getLevel() == Level.ERROR).map(ILoggingEvent::getFormattedMessage)
                .anySatisfy(m -> assertThat(m).contains("org.example.rival [32] 1.0.0").contains("org.example.tdom [31] 2.0.0")
                        .contains("27"));
        // inet is the core's: nobody else takes it
        Refusal inet = reg.registerDomain(new TestDomain(AF_INET, "myinet"), "org.example.rival [32] 1.0.0");
        assertThat(inet.errno()).isEqualTo(Errno.EEXIST);
        assertThat(inet.message()).contains("inet").contains(ProtoSwRegistry.CORE_OWNER);
    }

    @Test
    void whenTheDomainLeavesItsEntriesAreUnloadedAndWaitAgain() throws Exception {
        TestDomain dom = new TestDomain();
        reg.registerDomain(dom, "org.example.tdom [31] 2.0.0");
        net.dgramProto();
        TestUpperProto seq = new TestUpperProto(clock);
        net.register(seq, TestUpperProto.props("tseq", SOCK_SEQPACKET));
        Socket s = net.layer.socket(AF_TDOM, SOCK_SEQPACKET, 0);
        s.connect(new TAddr(5));
        TestDomain.State st = seq.instance("default").state;

        reg.unregisterDomain(dom);
        assertThat(ErrnoOf.of(() -> s.send(java.nio.ByteBuffer.allocate(1)))).isEqualTo(Errno.ECONNABORTED);
        assertThat(st.destroyed).isTrue();
        assertThat(reg.waiting()).extracting(w -> w.descriptor().name()).containsExactly("tseq");
        // as after any unload: the type was served once, so the protocol is what is missing
        assertThat(ErrnoOf.of(() -> net.layer.socket(AF_TDOM, SOCK_SEQPACKET, 0))).isEqualTo(Errno.EPROTONOSUPPORT);

        reg.registerDomain(new TestDomain(), "org.example.tdom [33] 2.0.1");
        try (Socket again = net.layer.socket(AF_TDOM, SOCK_SEQPACKET, 0)) {
            assertThat(again.domain()).isEqualTo(AF_TDOM);
        }
        s.close();
    }

    @Test
    void addressesAreParsedAndFormattedByTheirDomain() throws Exception {
        reg.registerDomain(new TestDomain(), "org.example.tdom [31] 2.0.0");
        assertThat(net.stack.parseAddress(AF_TDOM, "tdom:42")).isEqualTo(new TAddr(42));
        assertThat(net.stack.parseAddress(AF_INET, "192.0.2.1:7")).isEqualTo(InetSockAddr.of("192.0.2.1", 7));
        assertThat(reg.formatAddress(new TAddr(42))).isEqualTo("tdom#42");
        SocketException bad = ErrnoOf.thrown(() -> net.stack.parseAddress(AF_TDOM, "tdom:x"));
        assertThat(bad.errno()).isEqualTo(Errno.EINVAL);
        assertThat(bad.getMessage()).contains("expected tdom:PORT");
        assertThat(ErrnoOf.of(() -> net.stack.parseAddress(99, "x"))).isEqualTo(Errno.EAFNOSUPPORT);
        assertThat(reg.domains()).extracting(d -> d.name()).containsExactly("inet", "tdom");
        assertThat(List.of(reg.domain(AF_TDOM).addressType())).containsExactly("TAddr");
    }
}
