package dev.ember.logging;

import dev.ember.log.Log;
import java.text.MessageFormat;

/** One jboss-logging logger over {@link Log}'s logger of the same name (see {@link JbossLogProvider}). */
final class JbossLogger extends org.jboss.logging.Logger {
    private static final long serialVersionUID = 1L;
    private final transient System.Logger log;

    JbossLogger(String name) {
        super(name);
        this.log = Log.logger(name);
    }

    @Override
    public boolean isEnabled(Level level) {
        return log.isLoggable(level(level));
    }

    /** jboss-logging's "message" style: {0}-placeholders, as MessageFormat. */
    @Override
    protected void doLog(Level level, String loggerClassName, Object message, Object[] parameters, Throwable thrown) {
        System.Logger.Level l = level(level);
        if (log.isLoggable(l)) {
            String text = String.valueOf(message);
            if (parameters != null && parameters.length > 0) {
                try {
                    text = MessageFormat.format(text, parameters);
                } catch (IllegalArgumentException e) {
                    // a malformed pattern: the text as given
                }
            }
            log.log(l, text, thrown);
        }
    }

    /** jboss-logging's "printf" style: %-conversions, as String.format. */
    @Override
    protected void doLogf(Level level, String loggerClassName, String format, Object[] parameters, Throwable thrown) {
        System.Logger.Level l = level(level);
        if (log.isLoggable(l)) {
            String text = format;
            if (parameters != null) {
                try {
                    text = String.format(format, parameters);
                } catch (IllegalArgumentException e) {
                    // a malformed format: the text as given
                }
            }
            log.log(l, text, thrown);
        }
    }

    private static System.Logger.Level level(Level level) {
        return switch (level) {
            case FATAL, ERROR -> System.Logger.Level.ERROR;
            case WARN -> System.Logger.Level.WARNING;
            case INFO -> System.Logger.Level.INFO;
            case DEBUG -> System.Logger.Level.DEBUG;
            case TRACE -> System.Logger.Level.TRACE;
        };
    }
}
