package dev.ember.devices.ratelimit;

import static org.junit.jupiter.api.Assertions.*;

import org.junit.jupiter.api.Test;

/** Token arithmetic with explicit timestamps (no clock involved). */
class TokenBucketTest {
    static final long MS = 1_000_000L;

    @Test
    void startsFullAndRefillsProportionally() {
        TokenBucket b = new TokenBucket(new TokenBucketConfig(1000, 0, 100), 0);
        assertTrue(b.canConsume(1000, 0));
        b.consume(1000);
        assertFalse(b.canConsume(1, 0));
        assertTrue(b.canConsume(500, 50 * MS), "half the refill time restores half the bucket");
        assertFalse(b.canConsume(501, 50 * MS));
        assertTrue(b.canConsume(1000, 1000 * MS), "never more than the bucket size");
        assertEquals(1000, b.budget());
    }

    @Test
    void fractionsAccumulate() {
        TokenBucket b = new TokenBucket(new TokenBucketConfig(10, 0, 1000), 0); // 1 token per 100 ms
        b.consume(10);
        long t = 0;
        for (int i = 0; i < 10; i++) {
            t += 50 * MS;
            b.canConsume(100, t); // refill in 50 ms steps: half a token each
        }
        assertEquals(5, b.budget());
    }

    @Test
    void oneTimeBurstIsSpentFirstAndNeverRefilled() {
        TokenBucket b = new TokenBucket(new TokenBucketConfig(100, 50, 100), 0);
        assertTrue(b.canConsume(150, 0));
        b.consume(150);
        assertEquals(0, b.oneTimeBurst());
        assertEquals(0, b.budget());
        assertTrue(b.canConsume(100, 1000 * MS));
        b.consume(100);
        assertFalse(b.canConsume(1, 1000 * MS), "the burst did not come back");
    }

    @Test
    void oversizeRequestPassesOnFullBucketAndLeavesDebt() {
        TokenBucket b = new TokenBucket(new TokenBucketConfig(100, 0, 100), 0);
        assertTrue(b.canConsume(300, 0));
        b.consume(300);
        assertEquals(-200, b.budget());
        assertEquals(300 * MS, b.nanosUntil(100, 0), "the debt is repaid at the configured rate");
        assertFalse(b.canConsume(1, 200 * MS));
        assertTrue(b.canConsume(100, 300 * MS));
    }

    @Test
    void nanosUntilIsExact() {
        TokenBucket b = new TokenBucket(new TokenBucketConfig(1000, 0, 1000), 0);
        b.consume(1000);
        assertEquals(250 * MS, b.nanosUntil(250, 0));
        assertEquals(0, b.nanosUntil(250, 250 * MS));
    }

    @Test
    void configValidationNamesTheField() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new TokenBucketConfig(-1, 0, 10));
        assertTrue(e.getMessage().contains("'size'"));
        e = assertThrows(IllegalArgumentException.class, () -> new TokenBucketConfig(1, 0, -10));
        assertTrue(e.getMessage().contains("'refill_time'"));
        assertFalse(new TokenBucketConfig(0, 0, 100).enabled());
    }

    @Test
    void refillTimeBeyondTheNanosecondRangeSaturatesInsteadOfOverflowing() {
        // 1e13 ms is 1e19 ns: past Long.MAX_VALUE; the bucket must still throttle, not go negative.
        TokenBucket b = new TokenBucket(new TokenBucketConfig(1, 0, 10_000_000_000_000L), 0);
        assertTrue(b.canConsume(1, 0));
        b.consume(1);
        assertFalse(b.canConsume(1, 1000 * MS), "a bucket refilling over millennia stays empty for a second");
        assertTrue(b.nanosUntil(1, 1000 * MS) > 0, "the wait is positive");
        assertEquals(0, b.budget());
    }
}
