package org.protosw.launcher;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.PrintStream;
import java.lang.reflect.Proxy;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;
import org.osgi.framework.Bundle;
import org.osgi.framework.ServiceReference;
import org.osgi.service.log.FormatterLogger;
import org.osgi.service.log.LogService;
import org.osgi.service.log.Logger;

class OsgiLogBridgeTest {

    private final ByteArrayOutputStream err = new ByteArrayOutputStream();
    private final Console console = Console.of(InputStream.nullInputStream(),
            new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8),
            new PrintStream(err, true, StandardCharsets.UTF_8));
    private final Bundle bundle = fake(Bundle.class, "test.bundle", 7L);
    private final LogService log = new OsgiLogBridge(console).getService(bundle, null);

    @Test
    void errorIsReportedOnOneLineWithItsCause() {
        Logger logger = log.getLogger("org.example.Thing");
        logger.error("cannot bind {}", "port 53", new IllegalStateException("EADDRINUSE"));
        assertThat(reported()).isEqualTo(
                "protosw: test.bundle: cannot bind port 53: IllegalStateException: EADDRINUSE (details in the log)\n");
    }

    @Test
    void messageNamingTheBundleIsNotPrefixedTwice() {
        log.getLogger(bundle, "y.Comp", Logger.class).error("bundle test.bundle:1.0.0 (7)[y.Comp(0)] : activate failed");
        assertThat(reported()).isEqualTo("protosw: bundle test.bundle:1.0.0 (7)[y.Comp(0)] : activate failed (details in the log)\n");
    }

    @Test
    void formatterLoggerUsesPrintfAndDropsATrailingServiceReference() {
        FormatterLogger logger = log.getLogger("x", FormatterLogger.class);
        logger.error("%d packets dropped on %s", 3, "lo0", fake(ServiceReference.class, null, 0L));
        assertThat(reported()).isEqualTo("protosw: test.bundle: 3 packets dropped on lo0 (details in the log)\n");
    }

    @Test
    @SuppressWarnings("deprecation")
    void oldLogServiceErrorsAreReportedToo() {
        log.log(LogService.LOG_ERROR, "configuration store unreadable");
        assertThat(reported()).isEqualTo("protosw: test.bundle: configuration store unreadable (details in the log)\n");
    }

    @Test
    @SuppressWarnings("deprecation")
    void lowerLevelsAreNotShownToTheUser() {
        log.getLogger("x").info("started");
        log.getLogger("x").warn("slow");
        log.log(LogService.LOG_WARNING, "retrying");
        assertThat(reported()).isEmpty();
    }

    @Test
    void rootLoggerTakesTheBundleName() {
        assertThat(log.getLogger(Logger.ROOT_LOGGER_NAME).getName()).isEqualTo("test.bundle");
        assertThat(log.getLogger(OsgiLogBridgeTest.class).getName()).isEqualTo(OsgiLogBridgeTest.class.getName());
    }

    @Test
    void otherLoggerTypesAreRefused() {
        interface Custom extends Logger {
        }
        assertThatThrownBy(() -> log.getLogger("x", Custom.class)).isInstanceOf(IllegalArgumentException.class);
    }

    private String reported() {
        return err.toString(StandardCharsets.UTF_8);
    }

    /** A Bundle (or other interface) answering only its symbolic name and id. */
    private static <T> T fake(Class<T> type, String symbolicName, long id) {
        return type.cast(Proxy.newProxyInstance(type.getClassLoader(), new Class<?>[] {type}, (proxy, method, args) ->
                switch (method.getName()) {
                    case "getSymbolicName" -> symbolicName;
                    case "getBundleId" -> id;
                    case "hashCode" -> System.identityHashCode(proxy);
                    case "equals" -> proxy == args[0];
                    case "toString" -> type.getSimpleName() + " " + symbolicName;
                    default -> throw new UnsupportedOperationException(method.getName());
                }));
    }
}
