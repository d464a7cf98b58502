package dev.ember.config;

import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.List;
import java.io.IOException;

/** PATCH {@code /hotplug/memory}: the size the guest should plug, in MiB. */
public record MemoryHotplugSizeUpdate(@JsonProperty("requested_size_mib") Long requestedSizeMib) {
    public void validate() throws ConfigException {
        Check.range(requestedSizeMib, 0, MemoryHotplugConfig.MAX_MIB, "requested_size_mib");
    }

    static final List<String> FIELDS = List.of("requested_size_mib");

    /** The body of PATCH /hotplug/memory, bound with {@link StrictReader}: errors as {@link StrictJson#parse} words them. */
    public static MemoryHotplugSizeUpdate read(byte[] json, String where) throws ConfigException {
        return StrictReader.read(json, where, (in, path) -> in.object(path) ? read(in, path) : null);
    }

    /** With the parser on the object's start. */
    static MemoryHotplugSizeUpdate read(StrictReader in, String path) throws IOException, ConfigException {
        Long requestedSizeMib = null;
        while (in.field(path, FIELDS) != null) {
            requestedSizeMib = in.longValue(path + ".requested_size_mib");
        }
        return new MemoryHotplugSizeUpdate(requestedSizeMib);
    }
}
