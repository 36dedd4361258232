package org.protosw.itest;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.UUID;
import org.junit.Test;
import org.junit.runner.RunWith;
import org.ops4j.pax.exam.junit.PaxExam;
import org.ops4j.pax.exam.spi.reactors.ExamReactorStrategy;
import org.ops4j.pax.exam.spi.reactors.PerClass;
import org.osgi.framework.Bundle;
import org.slf4j.LoggerFactory;

/** The assembled bundles start together in Felix: core, UDP and the DS runtime are active. */
@RunWith(PaxExam.class)
@ExamReactorStrategy(PerClass.class)
public class SmokeIT extends ProtoswTestSupport {

    @Test
    public void coreAndUdpBundlesAreActive() {
        assertActive(requireBundle("org.protosw.framework"));
        assertActive(requireBundle("org.protosw.udp"));
    }

    @Test
    public void declarativeServicesRuntimeIsActive() {
        assertActive(requireBundle("org.apache.felix.scr"));
        // the DS runtime's own service: SCR is not only started but serving
        waitFor("the ServiceComponentRuntime service", TIMEOUT, () -> bundleContext
                .getServiceReference("org.osgi.service.component.runtime.ServiceComponentRuntime") != null);
    }

    @Test
    public void frameworkIsTheFelixOfTheBuild() {
        Bundle system = bundleContext.getBundle(0);
        assertEquals("org.apache.felix.framework", system.getSymbolicName());
        assertEquals(System.getProperty("protosw.felix.version"), system.getVersion().toString());
    }

    @Test
    public void bundleLogLinesReachTheLogFile() throws IOException {
        // this test class runs inside a bundle (the probe): its slf4j is the system bundle's
        String token = "smoke-log-" + UUID.randomUUID();
        assertTrue("slf4j found no logback backend: " + LoggerFactory.getILoggerFactory().getClass().getName(),
                LoggerFactory.getILoggerFactory().getClass().getName().startsWith("ch.qos.logback"));
        LoggerFactory.getLogger(SmokeIT.class).info("{}", token);
        String log = Files.readString(logFile(), StandardCharsets.UTF_8);
        assertTrue("the log line did not reach " + logFile(), log.contains(token));
    }

    private static void assertActive(Bundle bundle) {
        assertEquals(bundle.getSymbolicName() + " state", Bundle.ACTIVE, bundle.getState());
    }
}
