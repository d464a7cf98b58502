package dev.ember.config;

import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.List;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * One entry of {@code pmem} / the body of PUT {@code /pmem/{id}}: a virtio-pmem device backed by
 * {@code path_on_host}, mapped into the guest; {@code root_device} boots from it
 * ({@code root=/dev/pmemN}), {@code read_only} maps it read-only. {@code rate_limiter} bounds
 * the guest's flushes (one operation and the file's size in bytes each).
 */
public record PmemConfig(
        @JsonProperty(value = "id", required = true) String id,
        @JsonProperty(value = "path_on_host", required = true) String pathOnHost,
        @JsonProperty("root_device") Boolean rootDevice,
        @JsonProperty("read_only") Boolean readOnly,
        @JsonProperty("rate_limiter") RateLimiterConfig rateLimiter) {

    public PmemConfig {
        rootDevice = rootDevice != null && rootDevice;
        readOnly = readOnly != null && readOnly;
    }

    public static PmemConfig of(String id, String pathOnHost, boolean rootDevice, boolean readOnly) {
        return new PmemConfig(id, pathOnHost, rootDevice, readOnly, null);
    }

    public boolean root() {
        return rootDevice;
    }

    public boolean isReadOnly() {
        return readOnly;
    }

    void validate() throws ConfigException {
        Check.resourceId(id, "pmem.id");
        String where = "pmem[" + id + "]";
        Check.readableFile(pathOnHost, where + ".path_on_host");
        Path p = Path.of(pathOnHost);
        if (!readOnly && !Files.isWritable(p)) {
            throw new ConfigException(ConfigException.Reason.FILE, where + ".path_on_host: " + pathOnHost
                    + " is not writable by this process; fix its permissions or set read_only to true");
        }
        long size;
        try {
            size = Files.size(p);
        } catch (java.io.IOException e) {
            throw new ConfigException(ConfigException.Reason.FILE, where + ".path_on_host: cannot read the size of " + pathOnHost + ": " + e.getMessage());
        }
        if (size == 0) {
            throw new ConfigException(ConfigException.Reason.FILE, "Unable to create the virtio-pmem device: Error backing file size is 0 ("
                    + where + ".path_on_host " + pathOnHost + " is empty; give a file holding the bytes the guest should see)");
        }
        RateLimiterConfig.validate(rateLimiter, where + ".rate_limiter");
    }

    /** serde's non-Option fields of Firecracker's struct, in its order: refused while binding when absent. */

    static final List<String> REQUIRED = List.of("id", "path_on_host");

    static final List<String> FIELDS = List.of("id", "path_on_host", "root_device", "read_only", "rate_limiter");

    /** The body of PUT /pmem/{id}, bound with {@link StrictReader}: errors as {@link StrictJson#parse} words them. */
    public static PmemConfig read(byte[] json, String where) throws ConfigException {
        return StrictReader.read(json, where, (in, path) -> in.object(path) ? read(in, path) : null);
    }

    /** With the parser on the object's start. */
    static PmemConfig read(StrictReader in, String path) throws IOException, ConfigException {
        String id = null, pathOnHost = null;
        Boolean rootDevice = null, readOnly = null;
        RateLimiterConfig rateLimiter = null;
        for (String f; (f = in.field(path, FIELDS, REQUIRED)) != null; ) {
            String at = path + "." + f;
            switch (f) {
                case "id" -> id = in.string(at);
                case "path_on_host" -> pathOnHost = in.string(at);
                case "root_device" -> rootDevice = in.bool(at);
                case "read_only" -> readOnly = in.bool(at);
                default -> rateLimiter = in.object(at) ? RateLimiterConfig.read(in, at) : null; // rate_limiter, the last of FIELDS
            }
        }
        return new PmemConfig(id, pathOnHost, rootDevice, readOnly, rateLimiter);
    }
}
