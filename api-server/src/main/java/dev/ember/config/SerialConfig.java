package dev.ember.config;

import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.List;
import java.io.IOException;

/** {@code serial}: where the guest's serial console output goes (stdout when not set). */
public record SerialConfig(
        @JsonProperty("serial_out_path") String serialOutPath,
        @JsonProperty("rate_limiter") TokenBucketConfig rateLimiter) {

    void validate() throws ConfigException {
        if (serialOutPath != null) {
            Check.path(serialOutPath, "serial.serial_out_path");
        }
        if (rateLimiter != null) {
            rateLimiter.validate("serial.rate_limiter");
        }
    }

    static final List<String> FIELDS = List.of("serial_out_path", "rate_limiter");

    /** The body of PUT /serial, bound with {@link StrictReader}: errors as {@link StrictJson#parse} words them. */
    public static SerialConfig read(byte[] json, String where) throws ConfigException {
        return StrictReader.read(json, where, (in, path) -> in.object(path) ? read(in, path) : null);
    }

    /** With the parser on the object's start. */
    static SerialConfig read(StrictReader in, String path) throws IOException, ConfigException {
        String serialOutPath = null;
        TokenBucketConfig rateLimiter = null;
        for (String f; (f = in.field(path, FIELDS)) != null; ) {
            String at = path + "." + f;
            switch (f) {
                case "serial_out_path" -> serialOutPath = in.string(at);
                default -> rateLimiter = in.object(at) ? TokenBucketConfig.read(in, at) : null; // rate_limiter, the last of FIELDS
            }
        }
        return new SerialConfig(serialOutPath, rateLimiter);
    }
}
