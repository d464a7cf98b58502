package dev.ember.config;

import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.List;
import java.io.IOException;

/** PUT {@code /snapshot/create}. */
public record SnapshotCreateParams(
        @JsonProperty("snapshot_type") SnapshotType snapshotType,
        @JsonProperty(value = "snapshot_path", required = true) String snapshotPath,
        @JsonProperty(value = "mem_file_path", required = true) String memFilePath) {

    public void validate() throws ConfigException {
        Check.path(snapshotPath, "snapshot_path");
        Check.path(memFilePath, "mem_file_path");
    }

    /** serde's non-Option fields of Firecracker's struct, in its order: refused while binding when absent. */

    static final List<String> REQUIRED = List.of("snapshot_path", "mem_file_path");

    static final List<String> FIELDS = List.of("snapshot_type", "snapshot_path", "mem_file_path");

    /** The body of PUT /snapshot/create, bound with {@link StrictReader}: errors as {@link StrictJson#parse} words them. */
    public static SnapshotCreateParams read(byte[] json, String where) throws ConfigException {
        return StrictReader.read(json, where, SnapshotCreateParams::read);
    }

    private static SnapshotCreateParams read(StrictReader in, String path) throws IOException, ConfigException {
        in.object(path);
        SnapshotType snapshotType = null;
        String snapshotPath = null, memFilePath = null;
        for (String f; (f = in.field(path, FIELDS, REQUIRED)) != null; ) {
            String at = path + "." + f;
            switch (f) {
                case "snapshot_type" -> snapshotType = in.enumValue(at, SnapshotType.class);
                case "snapshot_path" -> snapshotPath = in.string(at);
                default -> memFilePath = in.string(at); // mem_file_path, the last of FIELDS
            }
        }
        return new SnapshotCreateParams(snapshotType, snapshotPath, memFilePath);
    }
}
