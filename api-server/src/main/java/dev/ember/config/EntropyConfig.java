package dev.ember.config;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.List;
import java.io.IOException;

/** {@code entropy}: a virtio-rng device, optionally rate limited. */
public record EntropyConfig(@JsonProperty("rate_limiter") @JsonInclude(JsonInclude.Include.ALWAYS) RateLimiterConfig rateLimiter) {
    void validate() throws ConfigException {
        RateLimiterConfig.validate(rateLimiter, "entropy.rate_limiter");
    }

    static final List<String> FIELDS = List.of("rate_limiter");

    /** The body of PUT /entropy, bound with {@link StrictReader}: errors as {@link StrictJson#parse} words them. */
    public static EntropyConfig read(byte[] json, String where) throws ConfigException {
        return StrictReader.read(json, where, (in, path) -> in.object(path) ? read(in, path) : null);
    }

    /** With the parser on the object's start. */
    static EntropyConfig read(StrictReader in, String path) throws IOException, ConfigException {
        RateLimiterConfig rateLimiter = null;
        while (in.field(path, FIELDS) != null) {
            rateLimiter = in.object(path + ".rate_limiter") ? RateLimiterConfig.read(in, path + ".rate_limiter") : null;
        }
        return new EntropyConfig(rateLimiter);
    }
}
