package dev.ember.config;

import com.fasterxml.jackson.annotation.JsonProperty;
import java.io.IOException;
import java.util.List;

/**
 * PUT {@code /snapshot/load}. Exactly one of {@code mem_file_path} and {@code mem_backend}.
 * Bound with {@link StrictReader} ({@link #read}): the load is the request a fresh process is
 * started for, and databind's first binding of a type would be most of its time.
 */
public record SnapshotLoadParams(
        @JsonProperty(value = "snapshot_path", required = true) String snapshotPath,
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
            @JsonProperty(value = "backend_type", required = true) BackendType backendType,
            @JsonProperty(value = "backend_path", required = true) String backendPath) {
        private static final List<String> FIELDS = List.of("backend_type", "backend_path");

        /** With the parser on the object's start. */
        static MemoryBackend read(StrictReader in, String path) throws IOException, ConfigException {
            BackendType type = null;
            String backendPath = null;
            for (String f; (f = in.field(path, FIELDS, FIELDS)) != null; ) { // both required, as serde's non-Option fields
                if (f.equals("backend_type")) {
                    type = in.enumValue(path + "." + f, BackendType.class);
                } else {
                    backendPath = in.string(path + "." + f);
                }
            }
            return new MemoryBackend(type, backendPath);
        }
    }

    public record NetworkOverride(
            @JsonProperty("iface_id") String ifaceId,
            @JsonProperty("host_dev_name") String hostDevName) {
        private static final List<String> FIELDS = List.of("iface_id", "host_dev_name");

        static NetworkOverride read(StrictReader in, String path) throws IOException, ConfigException {
            in.object(path);
            String ifaceId = null, hostDevName = null;
            for (String f; (f = in.field(path, FIELDS)) != null; ) {
                if (f.equals("iface_id")) {
                    ifaceId = in.string(path + "." + f);
                } else {
                    hostDevName = in.string(path + "." + f);
                }
            }
            return new NetworkOverride(ifaceId, hostDevName);
        }
    }

    public record VsockOverride(@JsonProperty("uds_path") String udsPath) {
        private static final List<String> FIELDS = List.of("uds_path");

        /** With the parser on the object's start. */
        static VsockOverride read(StrictReader in, String path) throws IOException, ConfigException {
            String udsPath = null;
            while (in.field(path, FIELDS) != null) {
                udsPath = in.string(path + ".uds_path");
            }
            return new VsockOverride(udsPath);
        }
    }

    static final List<String> FIELDS = List.of("snapshot_path", "mem_file_path", "mem_backend", "enable_diff_snapshots",
            "track_dirty_pages", "resume_vm", "network_overrides", "vsock_override", "clock_realtime");

    /** The body of PUT /snapshot/load; errors as {@link StrictJson#parse} words them, naming {@code where} and the field. */
    public static SnapshotLoadParams read(byte[] json, String where) throws ConfigException {
        return StrictReader.read(json, where, SnapshotLoadParams::read);
    }

    /**
     * PUT /snapshot/load's body as Firecracker's parser takes it: read, then refused unless it
     * names one memory source, as a body that does not deserialise.
     */
    public static SnapshotLoadParams parse(byte[] json, String where) throws ConfigException {
        SnapshotLoadParams params = read(json, where);
        params.requireOneMemorySource();
        return params;
    }

    /** serde's non-Option field of Firecracker's snapshot-load parameters. */
    private static final List<String> REQUIRED = List.of("snapshot_path");

    private static SnapshotLoadParams read(StrictReader in, String path) throws IOException, ConfigException {
        in.object(path);
        String snapshotPath = null, memFilePath = null;
        MemoryBackend memBackend = null;
        Boolean enableDiffSnapshots = null, trackDirtyPages = null, resumeVm = null, clockRealtime = null;
        List<NetworkOverride> networkOverrides = null;
        VsockOverride vsockOverride = null;
        for (String f; (f = in.field(path, FIELDS, REQUIRED)) != null; ) {
            String at = path + "." + f;
            switch (f) {
                case "snapshot_path" -> snapshotPath = in.string(at);
                case "mem_file_path" -> memFilePath = in.string(at);
                case "mem_backend" -> memBackend = in.object(at) ? MemoryBackend.read(in, at) : null;
                case "enable_diff_snapshots" -> enableDiffSnapshots = in.bool(at);
                case "track_dirty_pages" -> trackDirtyPages = in.bool(at);
                case "resume_vm" -> resumeVm = in.bool(at);
                case "network_overrides" -> networkOverrides = in.list(at, NetworkOverride::read);
                case "vsock_override" -> vsockOverride = in.object(at) ? VsockOverride.read(in, at) : null;
                default -> clockRealtime = in.bool(at); // clock_realtime, the last of FIELDS
            }
        }
        return new SnapshotLoadParams(snapshotPath, memFilePath, memBackend, enableDiffSnapshots, trackDirtyPages, resumeVm,
                networkOverrides, vsockOverride, clockRealtime);
    }

    /**
     * Firecracker's texts (its own tests look for them), which its parser raises as serde errors
     * of its own making: led as a body that does not deserialise, without a position.
     */
    private void requireOneMemorySource() throws ConfigException {
        if (memFilePath == null && memBackend == null) {
            throw new ConfigException(ConfigException.Reason.MALFORMED_JSON,
                    "missing field: either `mem_backend` or `mem_file_path` is required.");
        }
        if (memFilePath != null && memBackend != null) {
            throw new ConfigException(ConfigException.Reason.MALFORMED_JSON,
                    "too many fields: either `mem_backend` or `mem_file_path` exclusively is required.");
        }
    }

    public void validate() throws ConfigException {
        Check.path(snapshotPath, "snapshot_path");
        requireOneMemorySource();
        if (memFilePath != null) {
            Check.path(memFilePath, "mem_file_path");
        }
        if (memBackend != null) {
            Check.required(memBackend.backendType, "mem_backend.backend_type");
            Check.path(memBackend.backendPath, "mem_backend.backend_path");
        }
        if (networkOverrides != null) {
            for (int i = 0; i < networkOverrides.size(); i++) {
                NetworkOverride o = networkOverrides.get(i);
                String at = "network_overrides[" + i + "]";
                if (o == null) {
                    throw new ConfigException(ConfigException.Reason.MISSING_FIELD, at + " is null; give an object with iface_id"
                            + " and host_dev_name");
                }
                Check.required(o.ifaceId, at + ".iface_id");
                Check.required(o.hostDevName, at + ".host_dev_name");
            }
        }
        if (vsockOverride != null && vsockOverride.udsPath != null) {
            Check.path(vsockOverride.udsPath, "vsock_override.uds_path");
        }
    }
}
