package dev.ember.config;

import com.fasterxml.jackson.annotation.JsonProperty;

/**
 * A token bucket: {@code size} tokens refilled over {@code refill_time} ms, plus an initial
 * {@code one_time_burst}. A size or refill time of 0 disables the bucket (Firecracker).
 */
public record TokenBucketConfig(
        @JsonProperty("size") Long size,
        @JsonProperty("one_time_burst") Long oneTimeBurst,
        @JsonProperty("refill_time") Long refillTime) {

    public boolean enabled() {
        return size != null && size > 0 && refillTime != null && refillTime > 0;
    }

    void validate(String field) throws ConfigException {
        Check.range(size, 0, Long.MAX_VALUE, field + ".size");
        Check.range(refillTime, 0, Long.MAX_VALUE, field + ".refill_time");
        if (oneTimeBurst != null) { // optional: absent stays absent, as GET /vm/config shows it (null)
            Check.range(oneTimeBurst, 0, Long.MAX_VALUE, field + ".one_time_burst");
        }
    }
}
