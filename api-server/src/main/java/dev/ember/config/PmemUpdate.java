package dev.ember.config;

import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.List;
import java.io.IOException;

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

    static final List<String> FIELDS = List.of("id", "rate_limiter");

    /** The body of PATCH /pmem/{id}, bound with {@link StrictReader}: errors as {@link StrictJson#parse} words them. */
    public static PmemUpdate read(byte[] json, String where) throws ConfigException {
        return StrictReader.read(json, where, (in, path) -> in.object(path) ? read(in, path) : null);
    }

    /** With the parser on the object's start. */
    static PmemUpdate read(StrictReader in, String path) throws IOException, ConfigException {
        String id = null;
        RateLimiterConfig rateLimiter = null;
        for (String f; (f = in.field(path, FIELDS)) != null; ) {
            String at = path + "." + f;
            switch (f) {
                case "id" -> id = in.string(at);
                default -> rateLimiter = in.object(at) ? RateLimiterConfig.read(in, at) : null; // rate_limiter, the last of FIELDS
            }
        }
        return new PmemUpdate(id, rateLimiter);
    }
}
