package org.protosw.internal.sw;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.protosw.internal.socket.TestDgramProto;
import org.slf4j.LoggerFactory;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;

/** The per-protocol fault counter and its rate-limited log line (issue 13). */
class ProtoFaultsTest {
    private final ListAppender<ILoggingEvent> log = new ListAppender<>();
    private final Logger logger = (Logger) LoggerFactory.getLogger(ProtoFaults.class);
    private final AtomicLong now = new AtomicLong(1_000_000_000_000L);
    private final ProtoFaults faults;

    ProtoFaultsTest() throws Exception {
        ProtoEntry e = new ProtoEntry(ProtoDescriptor.parse(TestDgramProto.props("tudp", 17)), "org.example.udp [12] 1.2.3",
                new TestDgramProto(), TestDgramProto.props("tudp", 17));
        faults = new ProtoFaults(e, now::get);
        log.start();
        logger.addAppender(log);
    }

    @AfterEach
    void tearDown() {
        logger.detachAppender(log);
    }

    private List<String> lines() {
        return log.list.stream().map(ILoggingEvent::getFormattedMessage).toList();
    }

    @Test
    void oneLineASecondNamingTheBundleAndTheNextSaysHowManyWereLeftOut() {
        for (int i = 0; i < 5; i++) {
            faults.report(ProtoFaults.Where.REQUEST, "send", "tudp socket #1 in vnet default", new IllegalStateException("bug " + i));
        }
        assertThat(lines()).singleElement().asString()
                .isEqualTo("tudp socket #1 in vnet default: protocol tudp from org.example.udp [12] 1.2.3 failed in send: "
                        + "java.lang.IllegalStateException: bug 0");
        assertThat(log.list.get(0).getThrowableProxy()).as("with its stack").isNotNull();
        assertThat(faults.suppressed()).isEqualTo(4);

        now.addAndGet(1_000_000_000L);
        faults.report(ProtoFaults.Where.INPUT, "input of IP protocol 17", "vnet default", new IllegalStateException("bad packet"));
        assertThat(lines()).hasSize(2);
        assertThat(lines().get(1)).startsWith("vnet default: protocol tudp from org.example.udp [12] 1.2.3 failed in input")
                .endsWith("(4 more failure(s) of tudp not logged since the last line)");
        assertThat(faults.suppressed()).isZero();
        assertThat(faults.total()).as("every failure counted, logged or not").isEqualTo(6);
        assertThat(faults.count(ProtoFaults.Where.REQUEST)).isEqualTo(5);
        assertThat(faults).hasToString("requests 5, input 1");
    }

    @Test
    void noFailuresReadNone() {
        assertThat(faults.total()).isZero();
        assertThat(faults).hasToString("none");
    }
}
