package dev.ember.log;

import java.util.function.Supplier;

/**
 * One log line that a peer can trigger (a hostile client, a guest), bounded: at most
 * {@code burst} lines at once and then one per {@code intervalMillis}; lines over the budget
 * are counted, not written, and the next line written says how many were dropped. One instance
 * per kind of event, so a flood of one kind cannot hide another. Thread-safe.
 */
public final class RateLimitedLog {
    private final System.Logger logger;
    private final int burst;
    private final long intervalNanos;
    private final LongSupplierNanos clock;

    // Guarded by this.
    private double tokens;
    private long last;
    private long suppressed;

    /** Clock seam for tests; production uses {@link System#nanoTime()}. */
    @FunctionalInterface
    interface LongSupplierNanos {
        long nanoTime();
    }

    public RateLimitedLog(System.Logger logger, int burst, long intervalMillis) {
        this(logger, burst, intervalMillis, System::nanoTime);
    }

    RateLimitedLog(System.Logger logger, int burst, long intervalMillis, LongSupplierNanos clock) {
        if (burst < 1 || intervalMillis < 1) {
            throw new IllegalArgumentException("burst and interval must be positive");
        }
        this.logger = logger;
        this.burst = burst;
        this.intervalNanos = intervalMillis * 1_000_000L;
        this.clock = clock;
        this.tokens = burst;
        this.last = clock.nanoTime();
    }

    /**
     * The line to log now — {@code message}'s text, with the count of lines dropped before it —
     * or null when over budget (the supplier runs only when admitted). The caller logs it
     * itself, so the log's origin (--show-log-origin) names the caller, not this class.
     */
    public String admit(System.Logger.Level level, Supplier<String> message) {
        if (!logger.isLoggable(level)) {
            return null;
        }
        long dropped;
        synchronized (this) {
            long now = clock.nanoTime();
            tokens = Math.min(burst, tokens + (double) (now - last) / intervalNanos);
            last = now;
            if (tokens < 1) {
                suppressed++;
                return null;
            }
            tokens -= 1;
            dropped = suppressed;
            suppressed = 0;
        }
        String text = message.get();
        return dropped == 0 ? text : text + " (" + dropped + " similar lines before this one were not logged)";
    }

    /**
     * {@link #admit} and log; returns whether it logged. The line's origin (--show-log-origin) is
     * this method's caller: {@link Log#caller} looks past this class's frames.
     */
    public boolean log(System.Logger.Level level, Supplier<String> message) {
        String line = admit(level, message);
        if (line == null) {
            return false;
        }
        logger.log(level, line);
        return true;
    }

    /** Lines dropped since the last one written. */
    public synchronized long suppressed() {
        return suppressed;
    }
}
