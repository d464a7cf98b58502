package dev.ember.logging;

import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.logging.Level;
import java.util.logging.LogRecord;

/**
 * Firecracker's log line: {@code <timestamp> [<id>:<thread>(:<LEVEL>)(:<origin>)] <message>},
 * e.g. {@code 2026-11-27T10:56:17.123456789 [vm1:ember-api:INFO:dev.ember.api.ApiServer.start] API ready}.
 */
final class LogFormat {
    private static final DateTimeFormatter TIME = DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss.SSSSSSSSS")
            .withZone(ZoneOffset.UTC);

    private final String instanceId;
    private final boolean showLevel;
    private final boolean showOrigin;

    LogFormat(String instanceId, boolean showLevel, boolean showOrigin) {
        this.instanceId = instanceId;
        this.showLevel = showLevel;
        this.showOrigin = showOrigin;
    }

    String format(LogRecord r, String threadName) {
        StringBuilder sb = new StringBuilder(128);
        sb.append(TIME.format(r.getInstant() != null ? r.getInstant() : Instant.now()));
        sb.append(" [").append(instanceId).append(':').append(threadName);
        if (showLevel) {
            sb.append(':').append(levelName(r.getLevel()));
        }
        if (showOrigin) {
            sb.append(':').append(r.getSourceClassName() != null ? r.getSourceClassName() : r.getLoggerName());
            if (r.getSourceMethodName() != null) {
                sb.append('.').append(r.getSourceMethodName());
            }
        }
        sb.append("] ").append(message(r));
        if (r.getThrown() != null) {
            // Internal errors only: user errors never carry a throwable into the log.
            sb.append(": ").append(r.getThrown());
        }
        return sb.append('\n').toString();
    }

    private static String message(LogRecord r) {
        String msg = r.getMessage();
        Object[] params = r.getParameters();
        if (msg != null && params != null && params.length > 0) {
            try {
                return java.text.MessageFormat.format(msg, params);
            } catch (IllegalArgumentException e) {
                return msg;
            }
        }
        return msg == null ? "" : msg;
    }

    /** Firecracker's level names. */
    static String levelName(Level level) {
        int v = level.intValue();
        if (v >= Level.SEVERE.intValue()) {
            return "ERROR";
        }
        if (v >= Level.WARNING.intValue()) {
            return "WARN";
        }
        if (v >= Level.INFO.intValue()) {
            return "INFO";
        }
        if (v >= Level.FINE.intValue()) {
            return "DEBUG";
        }
        return "TRACE";
    }
}
