package dev.ember.devices.ratelimit;

/**
 * One token bucket as Firecracker configures it: {@code size} tokens (bytes or operations) that
 * refill completely in {@code refillTimeMs}, plus an initial {@code oneTimeBurst} that is spent
 * first and never refilled. A size or refill time of 0 means "no limit" for this bucket.
 */
public record TokenBucketConfig(long size, long oneTimeBurst, long refillTimeMs) {
    public TokenBucketConfig {
        if (size < 0) {
            throw new IllegalArgumentException("rate limiter bucket 'size' must be >= 0 (0 disables the bucket), got " + size);
        }
        if (oneTimeBurst < 0) {
            throw new IllegalArgumentException("rate limiter bucket 'one_time_burst' must be >= 0, got " + oneTimeBurst);
        }
        if (refillTimeMs < 0) {
            throw new IllegalArgumentException("rate limiter bucket 'refill_time' (ms) must be >= 0 (0 disables the bucket), got "
                    + refillTimeMs);
        }
    }

    /** Whether this configuration limits anything. */
    public boolean enabled() {
        return size > 0 && refillTimeMs > 0;
    }
}
