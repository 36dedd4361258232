package org.protosw.launcher;

import org.osgi.framework.Bundle;
import org.osgi.framework.ServiceReference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Felix's own diagnostics (handed over as {@code felix.log.logger}) go to the log file: by
 * default Felix prints them, stack traces included, on stdout, over the shell and into the
 * output of {@code -c} commands.
 */
final class FelixLog extends org.apache.felix.framework.Logger {

    private static final Logger LOG = LoggerFactory.getLogger("org.apache.felix.framework");

    @Override
    protected void doLog(Bundle bundle, ServiceReference sr, int level, String msg, Throwable throwable) {
        String text = bundle == null ? msg : msg + " [bundle " + bundle.getSymbolicName() + " " + bundle.getBundleId() + "]";
        switch (level) {
            case LOG_ERROR -> LOG.error(text, throwable);
            case LOG_WARNING -> LOG.warn(text, throwable);
            case LOG_INFO -> LOG.info(text, throwable);
            default -> LOG.debug(text, throwable);
        }
    }
}
