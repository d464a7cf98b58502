package dev.ember.log;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.util.ArrayList;
import java.util.List;
import java.util.ResourceBundle;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class RateLimitedLogTest {
    /** A System.Logger that keeps what it is given. */
    static final class Recording implements System.Logger {
        final List<String> lines = new ArrayList<>();

        @Override
        public String getName() {
            return "recording";
        }

        @Override
        public boolean isLoggable(Level level) {
            return true;
        }

        @Override
        public void log(Level level, ResourceBundle bundle, String msg, Throwable thrown) {
            lines.add(msg);
        }

        @Override
        public void log(Level level, ResourceBundle bundle, String format, Object... params) {
            lines.add(format);
        }
    }

    @Test
    void aBurstIsLoggedThenOneLinePerIntervalAndTheDroppedAreCounted() {
        Recording out = new Recording();
        long[] now = {0};
        RateLimitedLog log = new RateLimitedLog(out, 3, 1000, () -> now[0]);
        AtomicInteger built = new AtomicInteger();
        for (int i = 0; i < 100; i++) {
            int n = i;
            String line = log.admit(System.Logger.Level.WARNING, () -> {
                built.incrementAndGet();
                return "line " + n;
            });
            if (line != null) {
                out.lines.add(line);
            }
        }
        assertEquals(List.of("line 0", "line 1", "line 2"), out.lines);
        assertEquals(3, built.get(), "a dropped line's text is never built");
        assertEquals(97, log.suppressed());
        now[0] += 999_000_000L;
        assertNull(log.admit(System.Logger.Level.WARNING, () -> "too early"));
        now[0] += 1_000_000L;
        assertEquals("after a second (98 similar lines before this one were not logged)",
                log.admit(System.Logger.Level.WARNING, () -> "after a second"));
        assertEquals(0, log.suppressed());
        now[0] += 3600_000_000_000L; // an hour later the budget is the burst again, not an hour's worth
        int admitted = 0;
        for (int i = 0; i < 10; i++) {
            admitted += log.admit(System.Logger.Level.WARNING, () -> "later") == null ? 0 : 1;
        }
        assertEquals(3, admitted);
    }

    /**
     * A logged line reaches the installed sink with its origin the caller of {@code log} (what
     * --show-log-origin prints), read from the stack on the logging thread.
     */
    @Test
    void aLoggedLineNamesItsCallerAsOrigin() {
        List<String> origins = new ArrayList<>();
        LogSink previous = Log.sink();
        Log.install(new LogSink() {
            @Override
            public boolean isLoggable(String logger, System.Logger.Level level) {
                return true;
            }

            @Override
            public void publish(String logger, System.Logger.Level level, String message, Throwable thrown) {
                StackWalker.StackFrame f = Log.caller();
                origins.add(logger + " " + f.getClassName() + "#" + f.getMethodName() + " " + message);
            }
        });
        try {
            RateLimitedLog log = new RateLimitedLog(Log.logger("rate-limited-log-test"), 5, 1000);
            log.log(System.Logger.Level.WARNING, () -> "first");
            logFromAnotherMethod(log);
            Log.logger(RateLimitedLogTest.class).log(System.Logger.Level.INFO, "direct {0}", 1);
        } finally {
            Log.install(previous);
        }
        assertEquals(List.of("rate-limited-log-test " + RateLimitedLogTest.class.getName() + "#aLoggedLineNamesItsCallerAsOrigin first",
                "rate-limited-log-test " + RateLimitedLogTest.class.getName() + "#logFromAnotherMethod second",
                RateLimitedLogTest.class.getName() + " " + RateLimitedLogTest.class.getName() + "#aLoggedLineNamesItsCallerAsOrigin direct 1"),
                origins);
    }

    private static void logFromAnotherMethod(RateLimitedLog log) {
        log.log(System.Logger.Level.WARNING, () -> "second");
    }
}
