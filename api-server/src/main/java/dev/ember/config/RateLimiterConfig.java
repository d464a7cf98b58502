package dev.ember.config;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.core.JsonGenerator;
import java.util.List;
import java.io.IOException;

/**
 * Independent bytes/s ({@code bandwidth}) and operations/s ({@code ops}) buckets; an absent one
 * is written as null, as Firecracker's GET /vm/config shows it.
 */
public record RateLimiterConfig(
        @JsonProperty("bandwidth") @JsonInclude(JsonInclude.Include.ALWAYS) TokenBucketConfig bandwidth,
        @JsonProperty("ops") @JsonInclude(JsonInclude.Include.ALWAYS) TokenBucketConfig ops) implements StrictWriter.Writable {

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

    /** As {@link StrictJson#write} writes it. */
    @Override
    public void write(JsonGenerator out) throws IOException {
        out.writeStartObject();
        StrictWriter.objectOrNull(out, "bandwidth", bandwidth);
        StrictWriter.objectOrNull(out, "ops", ops);
        out.writeEndObject();
    }

    static final List<String> FIELDS = List.of("bandwidth", "ops");

    /** With the parser on the object's start. */
    static RateLimiterConfig read(StrictReader in, String path) throws IOException, ConfigException {
        TokenBucketConfig bandwidth = null, ops = null;
        for (String f; (f = in.field(path, FIELDS)) != null; ) {
            String at = path + "." + f;
            switch (f) {
                case "bandwidth" -> bandwidth = in.object(at) ? TokenBucketConfig.read(in, at) : null;
                default -> ops = in.object(at) ? TokenBucketConfig.read(in, at) : null; // ops, the last of FIELDS
            }
        }
        return new RateLimiterConfig(bandwidth, ops);
    }
}
