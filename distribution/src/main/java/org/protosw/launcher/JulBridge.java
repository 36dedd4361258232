package org.protosw.launcher;

import java.util.logging.Formatter;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogManager;
import java.util.logging.LogRecord;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Sends java.util.logging to slf4j (the log file), instead of the JDK's console handler which
 * would write over the shell. FileInstall logs here ({@code felix.fileinstall.log.default=jul});
 * its failures to install or start an artifact are also shown to the user, one line each, and
 * remembered for the readiness check.
 */
final class JulBridge extends Handler {

    static final String FILEINSTALL_LOGGER = "fileinstall";

    private final Console console;
    private final DeployFailures failures;
    private final String homePrefix;
    private final Formatter formatter = new Formatter() {
        @Override
        public String format(LogRecord record) {
            return formatMessage(record);
        }
    };

    private JulBridge(Console console, DeployFailures failures, Layout layout) {
        this.console = console;
        this.failures = failures;
        this.homePrefix = layout.home().toFile().toURI().toString();
    }

    /** Replaces the root logger's handlers with this bridge. */
    static void install(Console console, DeployFailures failures, Layout layout) {
        LogManager.getLogManager().reset();
        java.util.logging.Logger root = java.util.logging.Logger.getLogger("");
        root.setLevel(Level.INFO);
        root.addHandler(new JulBridge(console, failures, layout));
    }

    @Override
    public void publish(LogRecord record) {
        String name = record.getLoggerName() == null ? "jul" : record.getLoggerName();
        Logger logger = LoggerFactory.getLogger(name);
        String message = formatter.formatMessage(record);
        Throwable thrown = record.getThrown();
        int level = record.getLevel().intValue();
        if (level >= Level.SEVERE.intValue()) {
            logger.error(message, thrown);
        } else if (level >= Level.WARNING.intValue()) {
            logger.warn(message, thrown);
        } else if (level >= Level.INFO.intValue()) {
            logger.info(message, thrown);
        } else if (level >= Level.FINE.intValue()) {
            logger.debug(message, thrown);
        } else {
            logger.trace(message, thrown);
        }
        if (FILEINSTALL_LOGGER.equals(name) && level >= Level.WARNING.intValue() && thrown != null) {
            failures.add(message);
            console.report(shorten(message) + ": " + ErrorLines.oneLine(thrown)
                    + " (details in the log)");
        }
    }

    /** {@code file:/opt/protosw/deploy/x.jar} reads better as {@code deploy/x.jar}. */
    private String shorten(String message) {
        return message.replace(homePrefix, "");
    }

    @Override
    public void flush() {
    }

    @Override
    public void close() {
    }
}
