package dev.ember.config;

import com.fasterxml.jackson.annotation.JsonProperty;

/** PATCH {@code /drives/{drive_id}} (post-boot): a new backing file and/or rate limiter. */
public record DriveUpdate(
        @JsonProperty("drive_id") String driveId,
        @JsonProperty("path_on_host") String pathOnHost,
        @JsonProperty("rate_limiter") RateLimiterConfig rateLimiter) {

    void validate() throws ConfigException {
        Check.resourceId(driveId, "drive_id");
        if (pathOnHost == null && rateLimiter == null) {
            throw new ConfigException(ConfigException.Reason.MISSING_FIELD,
                    "Please specify at least one property to patch: path_on_host, rate_limiter.");
        }
        if (pathOnHost != null) {
            Check.readableFile(pathOnHost, "drives[" + driveId + "].path_on_host");
        }
        RateLimiterConfig.validate(rateLimiter, "drives[" + driveId + "].rate_limiter");
    }
}
