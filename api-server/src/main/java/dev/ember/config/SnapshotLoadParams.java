package dev.ember.config;

import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.List;

/** PUT {@code /snapshot/load}. Exactly one of {@code mem_file_path} and {@code mem_backend}. */
public record SnapshotLoadParams(
        @JsonProperty("snapshot_path") String snapshotPath,
        @JsonProperty("mem_file_path") String memFilePath,
        @JsonProperty("mem_backend") MemoryBackend memBackend,
        @JsonProperty("enable_diff_snapshots") Boolean enableDiffSnapshots,
        @JsonProperty("track_dirty_pages") Boolean trackDirtyPages,
        @JsonProperty("resume_vm") Boolean resumeVm,
        @JsonProperty("network_overrides") List<NetworkOverride> networkOverrides,
        @JsonProperty("vsock_override") VsockOverride vsockOverride,
        @JsonProperty("clock_realtime") Boolean clockRealtime) {

    public enum BackendType { File, Uffd }

    public record MemoryBackend(
            @JsonProperty("backend_type") BackendType backendType,
            @JsonProperty("backend_path") String backendPath) {}

    public record NetworkOverride(
            @JsonProperty("iface_id") String ifaceId,
            @JsonProperty("host_dev_name") String hostDevName) {}

    public record VsockOverride(@JsonProperty("uds_path") String udsPath) {}

    public void validate() throws ConfigException {
        Check.path(snapshotPath, "snapshot_path");
        if ((memFilePath == null) == (memBackend == null)) {
            throw new ConfigException(ConfigException.Reason.INVALID_VALUE, "give exactly one of mem_file_path and mem_backend");
        }
        if (memFilePath != null) {
            Check.path(memFilePath, "mem_file_path");
        }
        if (memBackend != null) {
            Check.required(memBackend.backendType, "mem_backend.backend_type");
            Check.path(memBackend.backendPath, "mem_backend.backend_path");
        }
        if (vsockOverride != null && vsockOverride.udsPath != null) {
            Check.path(vsockOverride.udsPath, "vsock_override.uds_path");
        }
    }
}
