package dev.ember.log;

/**
 * Where the process's log lines go (api-server's Logging installs one with {@link Log#install}):
 * it decides what is logged and writes the line, on the thread that logged it.
 */
public interface LogSink {
    /** Whether a line of {@code level} from the logger named {@code logger} would be written. */
    boolean isLoggable(String logger, System.Logger.Level level);

    /** Writes one line already admitted by {@link #isLoggable}; {@code thrown} may be null. */
    void publish(String logger, System.Logger.Level level, String message, Throwable thrown);
}
