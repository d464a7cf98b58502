package dev.ember.config;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.core.JsonGenerator;
import java.util.List;
import java.io.IOException;

/**
 * A token bucket: {@code size} tokens refilled over {@code refill_time} ms, plus an initial
 * {@code one_time_burst}. A size or refill time of 0 disables the bucket (Firecracker).
 */
public record TokenBucketConfig(
        @JsonProperty("size") Long size,
        @JsonProperty("one_time_burst") @JsonInclude(JsonInclude.Include.ALWAYS) Long oneTimeBurst,
        @JsonProperty("refill_time") Long refillTime) implements StrictWriter.Writable {

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

    /** As {@link StrictJson#write} writes it. */
    @Override
    public void write(JsonGenerator out) throws IOException {
        out.writeStartObject();
        StrictWriter.number(out, "size", size);
        StrictWriter.numberOrNull(out, "one_time_burst", oneTimeBurst);
        StrictWriter.number(out, "refill_time", refillTime);
        out.writeEndObject();
    }

    static final List<String> FIELDS = List.of("size", "one_time_burst", "refill_time");

    /** With the parser on the object's start. */
    static TokenBucketConfig read(StrictReader in, String path) throws IOException, ConfigException {
        Long size = null, oneTimeBurst = null, refillTime = null;
        for (String f; (f = in.field(path, FIELDS)) != null; ) {
            String at = path + "." + f;
            switch (f) {
                case "size" -> size = in.longValue(at);
                case "one_time_burst" -> oneTimeBurst = in.longValue(at);
                default -> refillTime = in.longValue(at); // refill_time, the last of FIELDS
            }
        }
        return new TokenBucketConfig(size, oneTimeBurst, refillTime);
    }
}
