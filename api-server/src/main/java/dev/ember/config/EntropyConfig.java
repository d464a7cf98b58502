package dev.ember.config;

import com.fasterxml.jackson.annotation.JsonProperty;

/** {@code entropy}: a virtio-rng device, optionally rate limited. */
public record EntropyConfig(@JsonProperty("rate_limiter") RateLimiterConfig rateLimiter) {
    void validate() throws ConfigException {
        RateLimiterConfig.validate(rateLimiter, "entropy.rate_limiter");
    }
}
