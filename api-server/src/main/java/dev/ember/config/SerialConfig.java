package dev.ember.config;

import com.fasterxml.jackson.annotation.JsonProperty;

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
}
