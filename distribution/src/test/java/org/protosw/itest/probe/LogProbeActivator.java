package org.protosw.itest.probe;

import org.osgi.framework.BundleActivator;
import org.osgi.framework.BundleContext;
import org.slf4j.LoggerFactory;

/**
 * Activator of the small bundle {@code DistributionIT} builds and installs into the assembled
 * runtime: it logs its bundle's {@code X-Log-Probe} header through slf4j, which must come out
 * in the runtime's log file.
 */
public class LogProbeActivator implements BundleActivator {

    public static final String HEADER = "X-Log-Probe";

    @Override
    public void start(BundleContext context) {
        LoggerFactory.getLogger(LogProbeActivator.class).info("log probe {}", context.getBundle().getHeaders().get(HEADER));
    }

    @Override
    public void stop(BundleContext context) {
    }
}
