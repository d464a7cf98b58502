package dev.ember.logging;

import dev.ember.log.Log;
import java.text.MessageFormat;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;

/** java.util.logging's one handler in the VMM (see {@link JdkLogConfig}): records go to {@link Log}'s logger of the same name. */
public final class JdkLogHandler extends Handler {
    @Override
    public void publish(LogRecord r) {
        String name = r.getLoggerName() == null ? "" : r.getLoggerName();
        System.Logger log = Log.logger(name);
        System.Logger.Level level = level(r.getLevel());
        if (!log.isLoggable(level)) {
            return;
        }
        String msg = r.getMessage() == null ? "" : r.getMessage();
        Object[] params = r.getParameters();
        if (params != null && params.length > 0) {
            try {
                msg = MessageFormat.format(msg, params);
            } catch (IllegalArgumentException e) {
                // a malformed pattern: the text as given
            }
        }
        log.log(level, msg, r.getThrown());
    }

    static System.Logger.Level level(Level level) {
        int v = level.intValue();
        if (v >= Level.SEVERE.intValue()) {
            return System.Logger.Level.ERROR;
        }
        if (v >= Level.WARNING.intValue()) {
            return System.Logger.Level.WARNING;
        }
        if (v >= Level.INFO.intValue()) {
            return System.Logger.Level.INFO;
        }
        if (v >= Level.FINE.intValue()) {
            return System.Logger.Level.DEBUG;
        }
        return System.Logger.Level.TRACE;
    }

    @Override
    public void flush() {}

    @Override
    public void close() {}
}
