package dev.ember.config;

import com.fasterxml.jackson.annotation.JsonProperty;

/** PUT {@code /snapshot/create}. */
public record SnapshotCreateParams(
        @JsonProperty("snapshot_type") SnapshotType snapshotType,
        @JsonProperty("snapshot_path") String snapshotPath,
        @JsonProperty("mem_file_path") String memFilePath) {

    public void validate() throws ConfigException {
        Check.path(snapshotPath, "snapshot_path");
        Check.path(memFilePath, "mem_file_path");
    }
}
