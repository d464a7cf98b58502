package dev.ember.logging;

import dev.ember.log.Log;
import java.time.Instant;

/**
 * Firecracker's log line: {@code <timestamp> [<id>:<thread>(:<LEVEL>)(:<file>:<line>)] <message>},
 * e.g. {@code 2026-11-27T10:56:17.123456789 [vm1:main:INFO:dev/ember/cli/EmberRun.java:72] Running Ember}.
 */
final class LogFormat {
    private final String instanceId;
    private final boolean showLevel;
    private final boolean showOrigin;

    LogFormat(String instanceId, boolean showLevel, boolean showOrigin) {
        this.instanceId = instanceId;
        this.showLevel = showLevel;
        this.showOrigin = showOrigin;
    }

    /**
     * The line for {@code message}, logged now by the logger {@code logger} on the current
     * thread; its origin (when shown) is read from this thread's stack, so this runs on the
     * thread that logged.
     */
    String format(Instant time, System.Logger.Level level, String message, Throwable thrown, String threadName, String logger) {
        StringBuilder sb = new StringBuilder(128);
        UtcTimestamp.append(sb, time);
        sb.append(" [").append(instanceId).append(':').append(threadName);
        if (showLevel) {
            sb.append(':').append(levelName(level));
        }
        if (showOrigin) {
            sb.append(':').append(origin(Log.caller(), logger));
        }
        sb.append("] ").append(message);
        if (thrown != null) {
            // Internal errors only: user errors never carry a throwable into the log.
            sb.append(": ").append(thrown);
        }
        return sb.append('\n').toString();
    }

    /**
     * Firecracker's origin is {@code file:line}: the file of the class that logged (its outer
     * class's for a nested one) with its package as directories, and the line of the call.
     * Without the caller's frame, the logger's name.
     */
    static String origin(StackWalker.StackFrame frame, String logger) {
        if (frame == null) {
            return logger;
        }
        String file = frame.getClassName().replace('.', '/');
        int nested = file.indexOf('$');
        file = (nested < 0 ? file : file.substring(0, nested)) + ".java";
        if (frame.getLineNumber() < 0) {
            return file;
        }
        int slash = file.lastIndexOf('/');
        String dir = slash < 0 ? "" : file.substring(0, slash + 1);
        return dir + (frame.getFileName() != null ? frame.getFileName() : file.substring(slash + 1)) + ":" + frame.getLineNumber();
    }

    /** Firecracker's level names. */
    static String levelName(System.Logger.Level level) {
        int v = level.getSeverity();
        if (v >= System.Logger.Level.ERROR.getSeverity()) {
            return "ERROR";
        }
        if (v >= System.Logger.Level.WARNING.getSeverity()) {
            return "WARN";
        }
        if (v >= System.Logger.Level.INFO.getSeverity()) {
            return "INFO";
        }
        if (v >= System.Logger.Level.DEBUG.getSeverity()) {
            return "DEBUG";
        }
        return "TRACE";
    }
}
