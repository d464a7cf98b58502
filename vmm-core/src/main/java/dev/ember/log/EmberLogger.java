package dev.ember.log;

import java.text.MessageFormat;
import java.util.ResourceBundle;

/** {@link Log}'s System.Logger: hands each line to the installed sink. */
final class EmberLogger implements System.Logger {
    private final String name;
    /** System.getLogger's logger of this name, got on first use without a sink (benign race). */
    private System.Logger fallback;

    EmberLogger(String name) {
        this.name = name;
    }

    @Override
    public String getName() {
        return name;
    }

    @Override
    public boolean isLoggable(Level level) {
        LogSink s = Log.sink();
        return s != null ? s.isLoggable(name, level) || alsoJul(level) : fallback().isLoggable(level);
    }

    @Override
    public void log(Level level, ResourceBundle bundle, String msg, Throwable thrown) {
        LogSink s = Log.sink();
        if (s == null) {
            fallback().log(level, bundle, msg, thrown);
            return;
        }
        if (s.isLoggable(name, level)) {
            s.publish(name, level, msg == null ? "" : msg, thrown);
        }
        if (alsoJul(level)) {
            JulTee.log(name, level, msg, thrown);
        }
    }

    @Override
    public void log(Level level, ResourceBundle bundle, String format, Object... params) {
        LogSink s = Log.sink();
        if (s == null) {
            fallback().log(level, bundle, format, params);
            return;
        }
        boolean jul = alsoJul(level);
        if (!jul && !s.isLoggable(name, level)) {
            return;
        }
        log(level, bundle, format(format, params), (Throwable) null);
    }

    /** As java.util.logging formats a System.Logger line with parameters. */
    private static String format(String format, Object[] params) {
        if (format == null || params == null || params.length == 0) {
            return format;
        }
        try {
            return MessageFormat.format(format, params);
        } catch (IllegalArgumentException e) {
            return format;
        }
    }

    private boolean alsoJul(Level level) {
        return Log.ALSO_JUL && JulTee.wants(name, level);
    }

    private System.Logger fallback() {
        System.Logger f = fallback;
        if (f == null) {
            f = System.getLogger(name);
            fallback = f;
        }
        return f;
    }
}
