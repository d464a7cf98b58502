package dev.ember.config;

import com.fasterxml.jackson.annotation.JsonProperty;

/** Independent bytes/s ({@code bandwidth}) and operations/s ({@code ops}) buckets. */
public record RateLimiterConfig(
        @JsonProperty("bandwidth") TokenBucketConfig bandwidth,
        @JsonProperty("ops") TokenBucketConfig ops) {

    static void validate(RateLimiterConfig limiter, String field) throws ConfigException {
        if (limiter == null) {
            return;
        }
        if (limiter.bandwidth != null) {
            limiter.bandwidth.validate(field + ".bandwidth");
        }
        if (limiter.ops != null) {
            limiter.ops.validate(field + ".ops");
        }
    }
}
