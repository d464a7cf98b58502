package dev.ember.config;

import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.List;
import java.io.IOException;

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

    static final List<String> FIELDS = List.of("drive_id", "path_on_host", "rate_limiter");

    /** The body of PATCH /drives/{id}, bound with {@link StrictReader}: errors as {@link StrictJson#parse} words them. */
    public static DriveUpdate read(byte[] json, String where) throws ConfigException {
        return StrictReader.read(json, where, (in, path) -> in.object(path) ? read(in, path) : null);
    }

    /** With the parser on the object's start. */
    static DriveUpdate read(StrictReader in, String path) throws IOException, ConfigException {
        String driveId = null, pathOnHost = null;
        RateLimiterConfig rateLimiter = null;
        for (String f; (f = in.field(path, FIELDS)) != null; ) {
            String at = path + "." + f;
            switch (f) {
                case "drive_id" -> driveId = in.string(at);
                case "path_on_host" -> pathOnHost = in.string(at);
                default -> rateLimiter = in.object(at) ? RateLimiterConfig.read(in, at) : null; // rate_limiter, the last of FIELDS
            }
        }
        return new DriveUpdate(driveId, pathOnHost, rateLimiter);
    }
}
