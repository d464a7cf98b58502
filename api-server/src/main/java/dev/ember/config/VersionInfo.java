package dev.ember.config;

import com.fasterxml.jackson.annotation.JsonProperty;

/** GET {@code /version}: the VMM's version under Firecracker's field name. */
public record VersionInfo(@JsonProperty("firecracker_version") String firecrackerVersion) {
}
