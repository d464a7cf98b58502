package dev.ember.config;

import com.fasterxml.jackson.annotation.JsonProperty;

/** One entry of {@code drives} / the body of PUT {@code /drives/{drive_id}}. */
public record DriveConfig(
        @JsonProperty("drive_id") String driveId,
        @JsonProperty("path_on_host") String pathOnHost,
        @JsonProperty("is_root_device") Boolean isRootDevice,
        @JsonProperty("is_read_only") Boolean isReadOnly,
        @JsonProperty("partuuid") String partuuid,
        @JsonProperty("cache_type") CacheType cacheType,
        @JsonProperty("rate_limiter") RateLimiterConfig rateLimiter,
        @JsonProperty("io_engine") IoEngine ioEngine,
        @JsonProperty("socket") String socket) {

    public DriveConfig {
        isReadOnly = isReadOnly != null && isReadOnly;
        cacheType = cacheType == null ? CacheType.Unsafe : cacheType;
        ioEngine = ioEngine == null ? IoEngine.Sync : ioEngine;
    }

    /** A drive as the device helpers build it: no vhost-user socket, no rate limiter. */
    public static DriveConfig of(String driveId, String pathOnHost, boolean root, boolean readOnly) {
        return new DriveConfig(driveId, pathOnHost, root, readOnly, null, null, null, null, null);
    }

    public boolean root() {
        return Boolean.TRUE.equals(isRootDevice);
    }

    void validate() throws ConfigException {
        Check.resourceId(driveId, "drives.drive_id");
        Check.required(isRootDevice, "drives[" + driveId + "].is_root_device");
        if (socket != null) {
            throw new ConfigException(ConfigException.Reason.UNSUPPORTED, "drives[" + driveId + "].socket: vhost-user block devices are not supported by Ember;"
                    + " remove socket and give path_on_host");
        }
        String where = "drives[" + driveId + "]";
        Check.readableFile(pathOnHost, where + ".path_on_host");
        if (partuuid != null && !root()) {
            throw new ConfigException(ConfigException.Reason.CONFLICT, where + ".partuuid is only used for the root device; remove it or set is_root_device to true");
        }
        RateLimiterConfig.validate(rateLimiter, where + ".rate_limiter");
    }

    DriveConfig apply(DriveUpdate u) {
        return new DriveConfig(driveId, u.pathOnHost() != null ? u.pathOnHost() : pathOnHost, isRootDevice, isReadOnly,
                partuuid, cacheType, u.rateLimiter() != null ? u.rateLimiter() : rateLimiter, ioEngine, socket);
    }
}
