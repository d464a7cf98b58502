package dev.ember.config;

import com.fasterxml.jackson.annotation.JsonProperty;

/** PATCH {@code /hotplug/memory}: the size the guest should plug, in MiB. */
public record MemoryHotplugSizeUpdate(@JsonProperty("requested_size_mib") Long requestedSizeMib) {
    public void validate() throws ConfigException {
        Check.range(requestedSizeMib, 0, MemoryHotplugConfig.MAX_MIB, "requested_size_mib");
    }
}
