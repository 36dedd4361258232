package org.protosw.launcher;

import java.util.Arrays;
import java.util.IllegalFormatException;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.ServiceFactory;
import org.osgi.framework.ServiceReference;
import org.osgi.framework.ServiceRegistration;
import org.osgi.service.log.FormatterLogger;
import org.osgi.service.log.LogService;
import org.osgi.service.log.Logger;
import org.osgi.service.log.LoggerConsumer;
import org.osgi.service.log.LoggerFactory;
import org.slf4j.event.Level;
import org.slf4j.helpers.FormattingTuple;
import org.slf4j.helpers.MessageFormatter;

/**
 * The OSGi log service ({@link LogService}, {@link LoggerFactory}), served by the system bundle
 * and written to slf4j. SCR and Config Admin log through it when it is there; without it they
 * print to stderr, stack traces included: a component whose activate method throws would dump
 * its trace over the shell. Errors are also shown to the user, one line each.
 *
 * <p>A service factory: each bundle gets a log bound to it, so entries name their bundle when
 * they have no logger name of their own.
 */
final class OsgiLogBridge implements ServiceFactory<LogService> {

    private final Console console;

    OsgiLogBridge(Console console) {
        this.console = console;
    }

    ServiceRegistration<?> register(BundleContext context) {
        return context.registerService(new String[] {LogService.class.getName(), LoggerFactory.class.getName()},
                this, null);
    }

    @Override
    public LogService getService(Bundle bundle, ServiceRegistration<LogService> registration) {
        return new BundleLog(bundle);
    }

    @Override
    public void ungetService(Bundle bundle, ServiceRegistration<LogService> registration, LogService service) {
    }

    private final class BundleLog implements LogService {

        private final Bundle bundle;

        BundleLog(Bundle bundle) {
            this.bundle = bundle;
        }

        @Override
        public Logger getLogger(String name) {
            return getLogger(bundle, name, Logger.class);
        }

        @Override
        public Logger getLogger(Class<?> clazz) {
            return getLogger(bundle, clazz.getName(), Logger.class);
        }

        @Override
        public <L extends Logger> L getLogger(String name, Class<L> loggerType) {
            return getLogger(bundle, name, loggerType);
        }

        @Override
        public <L extends Logger> L getLogger(Class<?> clazz, Class<L> loggerType) {
            return getLogger(bundle, clazz.getName(), loggerType);
        }

        /** Extenders such as SCR log on behalf of the bundles they manage. */
        @Override
        public <L extends Logger> L getLogger(Bundle onBehalfOf, String name, Class<L> loggerType) {
            boolean printf;
            if (loggerType == Logger.class) {
                printf = false;
            } else if (loggerType == FormatterLogger.class) {
                printf = true;
            } else {
                throw new IllegalArgumentException("unsupported logger type " + loggerType.getName());
            }
            return loggerType.cast(new BridgedLogger(onBehalfOf == null ? bundle : onBehalfOf, name, printf));
        }

        @Override
        @SuppressWarnings("deprecation")
        public void log(int level, String message) {
            log(null, level, message, null);
        }

        @Override
        @SuppressWarnings("deprecation")
        public void log(int level, String message, Throwable exception) {
            log(null, level, message, exception);
        }

        @Override
        @SuppressWarnings("deprecation")
        public void log(ServiceReference<?> sr, int level, String message) {
            log(sr, level, message, null);
        }

        @Override
        @SuppressWarnings("deprecation")
        public void log(ServiceReference<?> sr, int level, String message, Throwable exception) {
            Level slf4jLevel = switch (level) {
                case LOG_ERROR -> Level.ERROR;
                case LOG_WARNING -> Level.WARN;
                case LOG_INFO -> Level.INFO;
                default -> Level.DEBUG;
            };
            new BridgedLogger(bundle, null, false).emit(slf4jLevel, message, exception);
        }
    }

    /** One OSGi logger: "{}" placeholders as slf4j, or printf formats for a FormatterLogger. */
    private final class BridgedLogger implements FormatterLogger {

        private final Bundle bundle;
        private final String name;
        private final org.slf4j.Logger target;
        private final boolean printf;

        BridgedLogger(Bundle bundle, String name, boolean printf) {
            this.bundle = bundle;
            this.name = name == null || name.isEmpty() || ROOT_LOGGER_NAME.equals(name) ? bundleName(bundle) : name;
            this.target = org.slf4j.LoggerFactory.getLogger(this.name);
            this.printf = printf;
        }

        void emit(Level level, String message, Throwable thrown) {
            if (!target.isEnabledForLevel(level)) {
                return;
            }
            target.atLevel(level).setCause(thrown).log(message);
            if (level == Level.ERROR) {
                String text = ErrorLines.flatten(message);
                String who = bundleName(bundle);
                // SCR's messages name the bundle already
                console.report((text.contains(who) ? "" : who + ": ") + text
                        + (thrown == null ? "" : ": " + ErrorLines.oneLine(thrown)) + " (details in the log)");
            }
        }

        /** The OSGi rules: a trailing ServiceReference and a trailing Throwable are not format arguments. */
        private void format(Level level, String format, Object... args) {
            if (!target.isEnabledForLevel(level)) {
                return;
            }
            Object[] values = args == null ? new Object[0] : args;
            Throwable thrown = null;
            int count = values.length;
            while (count > 0 && (values[count - 1] instanceof ServiceReference<?>
                    || (thrown == null && values[count - 1] instanceof Throwable))) {
                if (values[count - 1] instanceof Throwable t) {
                    thrown = t;
                }
                count--;
            }
            Object[] formatArgs = Arrays.copyOf(values, count);
            String message;
            if (printf) {
                try {
                    message = String.format(format, formatArgs);
                } catch (IllegalFormatException e) {
                    message = format + " " + Arrays.toString(formatArgs);
                }
            } else {
                FormattingTuple tuple = MessageFormatter.arrayFormat(format, formatArgs);
                message = tuple.getMessage();
            }
            emit(level, message, thrown);
        }

        @Override
        public String getName() {
            return name;
        }

        @Override
        public boolean isTraceEnabled() {
            return target.isTraceEnabled();
        }

        @Override
        public void trace(String message) {
            format(Level.TRACE, message);
        }

        @Override
        public void trace(String format, Object arg) {
            format(Level.TRACE, format, arg);
        }

        @Override
        public void trace(String format, Object arg1, Object arg2) {
            format(Level.TRACE, format, arg1, arg2);
        }

        @Override
        public void trace(String format, Object... arguments) {
            format(Level.TRACE, format, arguments);
        }

        @Override
        public <E extends Exception> void trace(LoggerConsumer<E> consumer) throws E {
            if (isTraceEnabled()) {
                consumer.accept(this);
            }
        }

        @Override
        public boolean isDebugEnabled() {
            return target.isDebugEnabled();
        }

        @Override
        public void debug(String message) {
            format(Level.DEBUG, message);
        }

        @Override
        public void debug(String format, Object arg) {
            format(Level.DEBUG, format, arg);
        }

        @Override
        public void debug(String format, Object arg1, Object arg2) {
            format(Level.DEBUG, format, arg1, arg2);
        }

        @Override
        public void debug(String format, Object... arguments) {
            format(Level.DEBUG, format, arguments);
        }

        @Override
        public <E extends Exception> void debug(LoggerConsumer<E> consumer) throws E {
            if (isDebugEnabled()) {
                consumer.accept(this);
            }
        }

        @Override
        public boolean isInfoEnabled() {
            return target.isInfoEnabled();
        }

        @Override
        public void info(String message) {
            format(Level.INFO, message);
        }

        @Override
        public void info(String format, Object arg) {
            format(Level.INFO, format, arg);
        }

        @Override
        public void info(String format, Object arg1, Object arg2) {
            format(Level.INFO, format, arg1, arg2);
        }

        @Override
        public void info(String format, Object... arguments) {
            format(Level.INFO, format, arguments);
        }

        @Override
        public <E extends Exception> void info(LoggerConsumer<E> consumer) throws E {
            if (isInfoEnabled()) {
                consumer.accept(this);
            }
        }

        @Override
        public boolean isWarnEnabled() {
            return target.isWarnEnabled();
        }

        @Override
        public void warn(String message) {
            format(Level.WARN, message);
        }

        @Override
        public void warn(String format, Object arg) {
            format(Level.WARN, format, arg);
        }

        @Override
        public void warn(String format, Object arg1, Object arg2) {
            format(Level.WARN, format, arg1, arg2);
        }

        @Override
        public void warn(String format, Object... arguments) {
            format(Level.WARN, format, arguments);
        }

        @Override
        public <E extends Exception> void warn(LoggerConsumer<E> consumer) throws E {
            if (isWarnEnabled()) {
                consumer.accept(this);
            }
        }

        @Override
        public boolean isErrorEnabled() {
            return target.isErrorEnabled();
        }

        @Override
        public void error(String message) {
            format(Level.ERROR, message);
        }

        @Override
        public void error(String format, Object arg) {
            format(Level.ERROR, format, arg);
        }

        @Override
        public void error(String format, Object arg1, Object arg2) {
            format(Level.ERROR, format, arg1, arg2);
        }

        @Override
        public void error(String format, Object... arguments) {
            format(Level.ERROR, format, arguments);
        }

        @Override
        public <E extends Exception> void error(LoggerConsumer<E> consumer) throws E {
            if (isErrorEnabled()) {
                consumer.accept(this);
            }
        }

        // audit entries are always recorded, whatever the level; INFO is always on in the shipped logback.xml
        @Override
        public void audit(String message) {
            format(Level.INFO, message);
        }

        @Override
        public void audit(String format, Object arg) {
            format(Level.INFO, format, arg);
        }

        @Override
        public void audit(String format, Object arg1, Object arg2) {
            format(Level.INFO, format, arg1, arg2);
        }

        @Override
        public void audit(String format, Object... arguments) {
            format(Level.INFO, format, arguments);
        }
    }

    private static String bundleName(Bundle bundle) {
        if (bundle == null) {
            return "osgi";
        }
        String name = bundle.getSymbolicName();
        return name == null ? "bundle " + bundle.getBundleId() : name;
    }
}
