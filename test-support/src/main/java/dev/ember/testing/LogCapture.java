package dev.ember.testing;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Predicate;
import java.util.logging.Handler;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

/**
 * The messages one class's logger publishes while the capture is open (System.Logger goes to
 * java.util.logging in the tests), kept when they match: for tests that count log lines a peer
 * caused, e.g. that a flood of one event is logged a bounded number of times.
 */
public final class LogCapture extends Handler implements AutoCloseable {
    private final Logger logger;
    private final Predicate<String> wanted;
    private final List<String> lines = new ArrayList<>();

    private LogCapture(Class<?> source, Predicate<String> wanted) {
        this.logger = Logger.getLogger(source.getName());
        this.wanted = wanted;
        logger.addHandler(this);
    }

    /** Captures the messages of {@code source}'s logger that {@code wanted} accepts. */
    public static LogCapture of(Class<?> source, Predicate<String> wanted) {
        return new LogCapture(source, wanted);
    }

    /** The messages captured so far. */
    public synchronized List<String> lines() {
        return List.copyOf(lines);
    }

    @Override
    public synchronized void publish(LogRecord r) {
        if (r.getMessage() != null && wanted.test(r.getMessage())) {
            lines.add(r.getMessage());
        }
    }

    @Override
    public void flush() {}

    @Override
    public void close() {
        logger.removeHandler(this);
    }
}
