package org.protosw.udp.internal;


import static org.assertj.core.api.Assertions.assertThat;
import static org.protosw.udp.internal.Datagrams.datagram;
import static org.protosw.udp.internal.FakeContext.EM0_ADDR;
import static org.protosw.udp.internal.FakeContext.PEER;

import java.util.concurrent.atomic.AtomicLong;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.protosw.spi.PpsRateCheck;
import org.slf4j.LoggerFactory;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;

class LogInVainTest extends UdpTestbed {
    private final ListAppender<ILoggingEvent> appender = new ListAppender<>();
    private Logger logger;
    private Level savedLevel;

    @BeforeEach
    void captureLog() {
        logger = (Logger) LoggerFactory.getLogger(UdpProtocol.class);
        savedLevel = logger.getLevel();
        logger.setLevel(Level.INFO);
        logger.setAdditive(false);
        appender.start();
        logger.addAppender(appender);
    }

    @AfterEach
    void releaseLog() {
        logger.detachAppender(appender);
        appender.stop();
        logger.setLevel(savedLevel);
        logger.setAdditive(true);
    }

    @Test
    void offByDefault() {
        ctx.inject(datagram(PEER, 1234, EM0_ADDR, 9, new byte[1]));
        assertThat(appender.list).isEmpty();
    }

    @Test
    void logsDatagramsToClosedPortsAtARateLimit() {
        tunable("net.inet.udp.log_in_vain", 1);
        for (int i = 0; i < 50; i++) {
            ctx.inject(datagram(PEER, 1234, EM0_ADDR, 9, new byte[1]));
        }
        assertThat(appender.list).isNotEmpty().hasSizeLessThanOrEqualTo(20);
        ILoggingEvent e = appender.list.get(0);
        assertThat(e.getLevel()).isEqualTo(Level.INFO);
        assertThat(e.getFormattedMessage()).isEqualTo("Connection attempt to UDP 192.0.2.1:9 from 192.0.2.7:1234");
        assertThat(stat("dropped due to no socket")).isEqualTo(50);
    }

    @Test
    void ppsRateCheckAllowsTheLimitEachSecond() {
        AtomicLong now = new AtomicLong(5_000_000_000L);
        PpsRateCheck check = new PpsRateCheck(() -> 3, now::get);
        int allowed = 0;
        for (int i = 0; i < 10; i++) {
            allowed += check.check() ? 1 : 0;
        }
        assertThat(allowed).isEqualTo(3);
        now.addAndGet(999_000_000L);
        assertThat(check.check()).as("same second").isFalse();
        now.addAndGet(1_000_000L);
        assertThat(check.check()).as("next second").isTrue();
    }
}
