package dev.ember.logging;

import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.logging.Level;
import java.util.logging.LogRecord;

/**
 * Firecracker's log line: {@code <timestamp> [<id>:<thread>(:<LEVEL>)(:<file>:<line>)] <message>},
 * e.g. {@code 2026-11-27T10:56:17.123456789 [vm1:main:INFO:dev/ember/cli/EmberRun.java:72] Running Ember}.
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
            sb.append(':').append(origin(r));
        }
        sb.append("] ").append(message(r));
        if (r.getThrown() != null) {
            // Internal errors only: user errors never carry a throwable into the log.
            sb.append(": ").append(r.getThrown());
        }
        return sb.append('\n').toString();
    }

    private static final StackWalker WALKER = StackWalker.getInstance();

    /**
     * Firecracker's origin is {@code file:line}. A record carries the class and method that
     * logged it; the frame of that call is still on this thread's stack (handlers publish on
     * the logging thread), so its file and line are read from there. Only with --show-log-origin.
     */
    static String origin(LogRecord r) {
        String cls = r.getSourceClassName();
        String method = r.getSourceMethodName();
        if (cls == null) {
            return r.getLoggerName();
        }
        StackWalker.StackFrame frame = WALKER.walk(frames -> frames
                .filter(f -> f.getClassName().equals(cls) && (method == null || f.getMethodName().equals(method)))
                .findFirst()).orElse(null);
        String file = cls.replace('.', '/');
        int nested = file.indexOf('$');
        file = (nested < 0 ? file : file.substring(0, nested)) + ".java";
        if (frame == null || frame.getLineNumber() < 0) {
            return file; // published later than logged (not the case for Ember's handler): no line
        }
        int slash = file.lastIndexOf('/');
        String dir = slash < 0 ? "" : file.substring(0, slash + 1);
        return dir + (frame.getFileName() != null ? frame.getFileName() : file.substring(slash + 1)) + ":" + frame.getLineNumber();
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
