package dev.ember.config;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.core.JsonGenerator;
import java.util.List;
import java.io.IOException;

/**
 * One entry of {@code drives} / the body of PUT {@code /drives/{drive_id}}. The optional members
 * are written as null when absent, as Firecracker's GET /vm/config shows them.
 */
public record DriveConfig(
        @JsonProperty(value = "drive_id", required = true) String driveId,
        @JsonProperty("path_on_host") @JsonInclude(JsonInclude.Include.ALWAYS) String pathOnHost,
        @JsonProperty(value = "is_root_device", required = true) Boolean isRootDevice,
        @JsonProperty("is_read_only") @JsonInclude(JsonInclude.Include.ALWAYS) Boolean isReadOnly,
        @JsonProperty("partuuid") @JsonInclude(JsonInclude.Include.ALWAYS) String partuuid,
        @JsonProperty("cache_type") CacheType cacheType,
        @JsonProperty("rate_limiter") @JsonInclude(JsonInclude.Include.ALWAYS) RateLimiterConfig rateLimiter,
        @JsonProperty("io_engine") @JsonInclude(JsonInclude.Include.ALWAYS) IoEngine ioEngine,
        @JsonProperty("socket") @JsonInclude(JsonInclude.Include.ALWAYS) String socket) {

    public DriveConfig {
        cacheType = cacheType == null ? CacheType.Unsafe : cacheType;
        if (socket == null) {
            isReadOnly = isReadOnly != null && isReadOnly;
            ioEngine = ioEngine == null ? IoEngine.Sync : ioEngine;
        } // a vhost-user drive keeps them absent: GET /vm/config shows null, as Firecracker's
    }

    /** A drive a vhost-user back-end serves on {@link #socket()}, not a file of this host. */
    public boolean vhostUser() {
        return socket != null;
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
        String where = "drives[" + driveId + "]";
        if (socket != null) {
            // Firecracker's rule: a vhost-user drive has its socket and nothing of a file-backed one.
            if (pathOnHost != null || isReadOnly != null || rateLimiter != null || ioEngine != null) {
                throw new ConfigException(ConfigException.Reason.CONFLICT, where + ": a vhost-user drive (socket) takes none of"
                        + " path_on_host, is_read_only, rate_limiter, io_engine: the back-end serves the data and decides"
                        + " read-only; remove them, or remove socket for a file-backed drive");
            }
            if (socket.isEmpty()) {
                throw new ConfigException(ConfigException.Reason.INVALID_VALUE, where + ".socket is empty; give the path of the back-end's Unix socket");
            }
            checkPartuuid(where);
            return;
        }
        Check.readableFile(pathOnHost, where + ".path_on_host");
        checkPartuuid(where);
        RateLimiterConfig.validate(rateLimiter, where + ".rate_limiter");
    }

    private void checkPartuuid(String where) throws ConfigException {
        if (partuuid != null && !root()) {
            throw new ConfigException(ConfigException.Reason.CONFLICT, where + ".partuuid is only used for the root device; remove it or set is_root_device to true");
        }
    }

    DriveConfig apply(DriveUpdate u) {
        return new DriveConfig(driveId, u.pathOnHost() != null ? u.pathOnHost() : pathOnHost, isRootDevice, isReadOnly,
                partuuid, cacheType, u.rateLimiter() != null ? u.rateLimiter() : rateLimiter, ioEngine, socket);
    }

    /** As {@link StrictJson#write} writes it. */
    public void write(JsonGenerator out) throws IOException {
        out.writeStartObject();
        StrictWriter.string(out, "drive_id", driveId);
        StrictWriter.stringOrNull(out, "path_on_host", pathOnHost);
        StrictWriter.bool(out, "is_root_device", isRootDevice);
        StrictWriter.boolOrNull(out, "is_read_only", isReadOnly);
        StrictWriter.stringOrNull(out, "partuuid", partuuid);
        StrictWriter.enumValue(out, "cache_type", cacheType);
        StrictWriter.objectOrNull(out, "rate_limiter", rateLimiter);
        StrictWriter.enumOrNull(out, "io_engine", ioEngine);
        StrictWriter.stringOrNull(out, "socket", socket);
        out.writeEndObject();
    }

    /** serde's non-Option fields of Firecracker's struct, in its order: refused while binding when absent. */

    static final List<String> REQUIRED = List.of("drive_id", "is_root_device");

    static final List<String> FIELDS = List.of("drive_id", "path_on_host", "is_root_device", "is_read_only", "partuuid",
            "cache_type", "rate_limiter", "io_engine", "socket");

    /** The body of PUT /drives/{id}, bound with {@link StrictReader}: errors as {@link StrictJson#parse} words them. */
    public static DriveConfig read(byte[] json, String where) throws ConfigException {
        return StrictReader.read(json, where, (in, path) -> in.object(path) ? read(in, path) : null);
    }

    /** With the parser on the object's start. */
    static DriveConfig read(StrictReader in, String path) throws IOException, ConfigException {
        String driveId = null, pathOnHost = null, partuuid = null, socket = null;
        Boolean isRootDevice = null, isReadOnly = null;
        CacheType cacheType = null;
        RateLimiterConfig rateLimiter = null;
        IoEngine ioEngine = null;
        for (String f; (f = in.field(path, FIELDS, REQUIRED)) != null; ) {
            String at = path + "." + f;
            switch (f) {
                case "drive_id" -> driveId = in.string(at);
                case "path_on_host" -> pathOnHost = in.string(at);
                case "is_root_device" -> isRootDevice = in.bool(at);
                case "is_read_only" -> isReadOnly = in.bool(at);
                case "partuuid" -> partuuid = in.string(at);
                case "cache_type" -> cacheType = in.enumValue(at, CacheType.class);
                case "rate_limiter" -> rateLimiter = in.object(at) ? RateLimiterConfig.read(in, at) : null;
                case "io_engine" -> ioEngine = in.enumValue(at, IoEngine.class);
                default -> socket = in.string(at); // socket, the last of FIELDS
            }
        }
        return new DriveConfig(driveId, pathOnHost, isRootDevice, isReadOnly, partuuid, cacheType, rateLimiter, ioEngine, socket);
    }
}
