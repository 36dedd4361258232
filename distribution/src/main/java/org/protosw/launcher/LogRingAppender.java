package org.protosw.launcher;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.PatternLayout;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.spi.LoggerContextListener;
import ch.qos.logback.core.AppenderBase;
import org.slf4j.ILoggerFactory;
import org.slf4j.LoggerFactory;

/**
 * Copies every entry the runtime logs (the same entries, in the same words, as
 * {@code data/log/protosw.log}) into a {@link LogRing}. Attached to logback's root logger by the
 * launcher rather than named in {@code etc/logback.xml}, so an edited configuration cannot lose
 * it: logback drops its appenders when it rereads the file, and a reset-resistant listener
 * attaches this one again.
 */
final class LogRingAppender extends AppenderBase<ILoggingEvent> {
    static final String NAME = "PROTOSW_LOG_RING";
    static final String PATTERN = "%d{yyyy-MM-dd HH:mm:ss.SSS} %-5level [%thread] %logger{36} - %msg%n%ex{12}";

    private final LogRing ring;
    private final PatternLayout layout = new PatternLayout();

    LogRingAppender(LogRing ring) {
        this.ring = ring;
        setName(NAME);
    }

    @Override
    public void start() {
        layout.setContext(getContext());
        layout.setPattern(PATTERN);
        layout.start();
        super.start();
    }

    @Override
    protected void append(ILoggingEvent event) {
        String text = layout.doLayout(event);
        ring.add(event.getLevel(), text.endsWith("\n") ? text.substring(0, text.length() - 1) : text);
    }

    /** Attaches a ring appender to the root logger of slf4j's logback context; false when slf4j is not backed by logback. */
    static boolean install(LogRing ring) {
        ILoggerFactory f = LoggerFactory.getILoggerFactory();
        if (!(f instanceof LoggerContext ctx)) {
            return false;
        }
        attach(ctx, ring);
        ctx.addListener(new LoggerContextListener() {
            @Override
            public boolean isResetResistant() {
                return true;
            }

            @Override
            public void onStart(LoggerContext context) {
            }

            @Override
            public void onReset(LoggerContext context) {
                attach(context, ring);
            }

            @Override
            public void onStop(LoggerContext context) {
            }

            @Override
            public void onLevelChange(Logger logger, ch.qos.logback.classic.Level level) {
            }
        });
        return true;
    }

    private static void attach(LoggerContext ctx, LogRing ring) {
        Logger root = ctx.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
        if (root.getAppender(NAME) != null) {
            return;
        }
        LogRingAppender a = new LogRingAppender(ring);
        a.setContext(ctx);
        a.start();
        root.addAppender(a);
    }
}
