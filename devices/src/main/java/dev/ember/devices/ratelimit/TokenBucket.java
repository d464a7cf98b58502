package dev.ember.devices.ratelimit;

/**
 * A token bucket with continuous refill (Firecracker's semantics). Not thread-safe: owned by
 * the event-loop thread. Time is passed in (monotonic nanoseconds) so tests and callers share
 * one clock reading per decision; nothing allocates.
 *
 * <p>A request larger than the whole bucket is admitted when the bucket is full and leaves the
 * budget negative (a debt), so huge requests still pass at the configured average rate instead
 * of stalling forever.
 */
public final class TokenBucket {
    private final long size;
    private final long refillNanos;
    private long oneTimeBurst;
    private long budget;
    private long lastRefill;

    public TokenBucket(TokenBucketConfig config, long nowNanos) {
        if (!config.enabled()) {
            throw new IllegalArgumentException("token bucket needs size > 0 and refill_time > 0");
        }
        this.size = config.size();
        // Saturate: a refill time past ~292 years would overflow and turn the arithmetic negative.
        long ms = config.refillTimeMs();
        this.refillNanos = ms > Long.MAX_VALUE / 1_000_000L ? Long.MAX_VALUE : ms * 1_000_000L;
        this.oneTimeBurst = config.oneTimeBurst();
        this.budget = size;
        this.lastRefill = nowNanos;
    }

    private void refill(long now) {
        long elapsed = now - lastRefill;
        if (elapsed <= 0) {
            return;
        }
        if (elapsed >= refillNanos) {
            long periods = elapsed / refillNanos;
            long add = periods >= Long.MAX_VALUE / size ? Long.MAX_VALUE : periods * size;
            budget = add >= size - budget ? size : budget + add;
            elapsed %= refillNanos;
            lastRefill = now - elapsed;
            if (budget == size) {
                lastRefill = now;
                return;
            }
        }
        long tokens = (long) ((double) elapsed * size / refillNanos);
        if (tokens > 0) {
            budget = Math.min(size, budget + tokens);
            // Advance only by the time those tokens cost, so fractions accumulate.
            lastRefill += (long) ((double) tokens * refillNanos / size);
            if (budget == size) {
                lastRefill = now;
            }
        }
    }

    /** Whether {@code tokens} could be taken now (refills first). */
    public boolean canConsume(long tokens, long now) {
        refill(now);
        if (tokens <= oneTimeBurst + budget) {
            return true;
        }
        return tokens > size && budget == size; // oversize request against a full bucket
    }

    /** Takes {@code tokens}; call only after {@link #canConsume} said yes at the same instant. */
    public void consume(long tokens) {
        long fromBurst = Math.min(oneTimeBurst, tokens);
        oneTimeBurst -= fromBurst;
        budget -= tokens - fromBurst;
    }

    /** Nanoseconds until {@code tokens} can be taken (0 if now). */
    public long nanosUntil(long tokens, long now) {
        refill(now);
        long need = Math.min(tokens, size) - oneTimeBurst;
        long deficit = need - budget;
        if (deficit <= 0) {
            return 0;
        }
        return (long) Math.ceil((double) deficit * refillNanos / size);
    }

    public long budget() {
        return budget;
    }

    public long oneTimeBurst() {
        return oneTimeBurst;
    }

    public long size() {
        return size;
    }
}
