package dev.ember.config;

import com.fasterxml.jackson.annotation.JsonProperty;

/** PATCH {@code /pmem/{id}} (post-boot): new rate limiter buckets for the device's flushes (Firecracker). */
public record PmemUpdate(
        @JsonProperty("id") String id,
        @JsonProperty("rate_limiter") RateLimiterConfig rateLimiter) {

    void validate() throws ConfigException {
        Check.resourceId(id, "pmem.id");
        if (rateLimiter == null) {
            throw new ConfigException(ConfigException.Reason.MISSING_FIELD,
                    "Please specify at least one property to patch: rate_limiter.");
        }
        RateLimiterConfig.validate(rateLimiter, "pmem[" + id + "].rate_limiter");
    }
}
