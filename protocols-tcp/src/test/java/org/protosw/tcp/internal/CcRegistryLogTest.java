package org.protosw.tcp.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.reflect.Proxy;
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.protosw.internal.kern.StandaloneStack;
import org.slf4j.LoggerFactory;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;

/**
 * What an operator reads when the default algorithm goes away: a warning when new connections
 * really change algorithm while TCP runs, none when TCP itself (or the runtime) is stopping
 * nor when the built-in NewReno replaces the NewReno service.
 */
class CcRegistryLogTest {
    private final ListAppender<ILoggingEvent> appender = new ListAppender<>();
    private final AtomicInteger tcpState = new AtomicInteger(Bundle.ACTIVE);
    private final AtomicInteger frameworkState = new AtomicInteger(Bundle.ACTIVE);
    private Logger logger;
    private Level savedLevel;
    private CcRegistry reg;
    private StandaloneStack stack;
    private TcpProtocol tcp;

    @BeforeEach
    void setUp() throws Exception {
        logger = (Logger) LoggerFactory.getLogger(CcRegistry.class);
        savedLevel = logger.getLevel();
        logger.setLevel(Level.INFO);
        logger.setAdditive(false);
        appender.start();
        logger.addAppender(appender);
        Bundle tcpBundle = bundle(tcpState);
        Bundle framework = bundle(frameworkState);
        BundleContext ctx = (BundleContext) Proxy.newProxyInstance(getClass().getClassLoader(),
                new Class<?>[] {BundleContext.class}, (proxy, method, args) -> switch (method.getName()) {
                    case "getBundle" -> args == null ? tcpBundle : ((Long) args[0] == 0L ? framework : null);
                    default -> throw new UnsupportedOperationException(method.getName());
                });
        reg = new CcRegistry(ctx);
        // one stack instance whose default (net.inet.tcp.cc.algorithm) is cubic
        stack = new StandaloneStack();
        TcpProtoSw sw = new TcpProtoSw(reg);
        stack.register(sw, TcpProtoSw.PROPERTIES, "org.protosw.tcp (test)");
        tcp = sw.instance(stack.stack().name());
    }

    private Bundle bundle(AtomicInteger state) {
        return (Bundle) Proxy.newProxyInstance(getClass().getClassLoader(), new Class<?>[] {Bundle.class},
                (proxy, method, args) -> switch (method.getName()) {
                    case "getState" -> state.get();
                    default -> throw new UnsupportedOperationException(method.getName());
                });
    }

    @AfterEach
    void tearDown() {
        stack.close();
        logger.detachAppender(appender);
        appender.stop();
        logger.setLevel(savedLevel);
        logger.setAdditive(true);
    }

    private long warnings() {
        return appender.list.stream().filter(e -> e.getLevel() == Level.WARN).count();
    }

    @Test
    void theDefaultLeavingWhileTcpRunsIsAWarning() {
        Cubic cubic = new Cubic();
        reg.register(Cubic.NAME, cubic, "org.protosw.tcp [7]");
        assertThat(reg.defaultFor(tcp).name()).isEqualTo("cubic");
        reg.unregister(cubic);
        assertThat(appender.list).filteredOn(e -> e.getLevel() == Level.WARN).singleElement()
                .extracting(ILoggingEvent::getFormattedMessage).asString()
                .startsWith("default congestion control algorithm cubic (org.protosw.tcp [7]) of default is going away: "
                        + "new connections there use newreno")
                .contains("until 'cubic' registers again");
        // the connections that fall back from now on do not repeat it
        for (int i = 0; i < 3; i++) {
            assertThat(reg.defaultFor(tcp).name()).isEqualTo("newreno");
        }
        assertThat(warnings()).isOne();
        reg.register(Cubic.NAME, cubic, "org.protosw.tcp [7]");
        assertThat(reg.defaultFor(tcp).name()).isEqualTo("cubic");
    }

    @Test
    void noWarningWhenTcpOrTheRuntimeStops() {
        Cubic cubic = new Cubic();
        reg.register(Cubic.NAME, cubic, "org.protosw.tcp [7]");
        tcpState.set(Bundle.STOPPING);
        reg.unregister(cubic);
        assertThat(reg.lookup(Cubic.NAME)).isNull();

        tcpState.set(Bundle.ACTIVE);
        reg.register(Cubic.NAME, cubic, "org.protosw.tcp [7]");
        frameworkState.set(Bundle.STOPPING);
        reg.unregister(cubic);
        assertThat(reg.lookup(Cubic.NAME)).isNull();
        assertThat(warnings()).isZero();
        assertThat(appender.list).extracting(ILoggingEvent::getFormattedMessage)
                .contains("default congestion control algorithm cubic (org.protosw.tcp [7]) is going away while TCP stops");
    }

    @Test
    void noWarningWhenTheBuiltInNewRenoReplacesTheService() {
        NewReno service = new NewReno();
        reg.register(NewReno.NAME, service, "org.protosw.tcp [7]");
        tcp.ccAlgorithm.set(NewReno.NAME);
        reg.unregister(service);
        assertThat(reg.defaultFor(tcp).name()).isEqualTo("newreno");
        assertThat(reg.defaultFor(tcp).provider()).contains("built in");
        assertThat(warnings()).isZero();
    }
}
