package dev.ember.log;

/**
 * Tests only ({@link Log#ALSO_JUL}): lines also handed to java.util.logging's logger of the same
 * name when it has handlers of its own, which is how test-support's LogCapture listens. A class
 * of its own so that a VMM never loads java.util.logging through it.
 */
final class JulTee {
    private JulTee() {}

    static boolean wants(String name, System.Logger.Level level) {
        java.util.logging.Logger jul = java.util.logging.Logger.getLogger(name);
        return jul.getHandlers().length > 0 && jul.isLoggable(julLevel(level));
    }

    static void log(String name, System.Logger.Level level, String msg, Throwable thrown) {
        java.util.logging.Logger.getLogger(name).log(julLevel(level), msg, thrown);
    }

    static java.util.logging.Level julLevel(System.Logger.Level level) {
        return switch (level) {
            case ERROR -> java.util.logging.Level.SEVERE;
            case WARNING -> java.util.logging.Level.WARNING;
            case INFO -> java.util.logging.Level.INFO;
            case DEBUG -> java.util.logging.Level.FINE;
            case TRACE -> java.util.logging.Level.FINER;
            case ALL -> java.util.logging.Level.ALL;
            case OFF -> java.util.logging.Level.OFF;
        };
    }
}
