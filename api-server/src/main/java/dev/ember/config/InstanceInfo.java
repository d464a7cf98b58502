package dev.ember.config;

import com.fasterxml.jackson.annotation.JsonProperty;

/** GET {@code /}: who and what this process is. {@code state} is "Not started", "Running" or "Paused". */
public record InstanceInfo(
        @JsonProperty("id") String id,
        @JsonProperty("state") String state,
        @JsonProperty("vmm_version") String vmmVersion,
        @JsonProperty("app_name") String appName) {
}
