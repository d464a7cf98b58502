package dev.ember.config;

import com.fasterxml.jackson.annotation.JsonProperty;

/** GET {@code /hotplug/memory}: the device's sizes and how far the guest has got (Firecracker's fields, MiB). */
public record MemoryHotplugStatus(
        @JsonProperty("total_size_mib") long totalSizeMib,
        @JsonProperty("block_size_mib") long blockSizeMib,
        @JsonProperty("slot_size_mib") long slotSizeMib,
        @JsonProperty("plugged_size_mib") long pluggedSizeMib,
        @JsonProperty("requested_size_mib") long requestedSizeMib) {}
