package dev.ember.config;

import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.List;
import java.io.IOException;
import com.fasterxml.jackson.databind.annotation.JsonDeserialize;
import com.fasterxml.jackson.databind.annotation.JsonSerialize;

/** PATCH {@code /machine-config}: only the fields present change. */
public record MachineConfigUpdate(
        @JsonProperty("vcpu_count") Long vcpuCount,
        @JsonProperty("mem_size_mib") @JsonDeserialize(using = UnsignedMib.Reader.class)
        @JsonSerialize(using = UnsignedMib.Writer.class) Long memSizeMib,
        @JsonProperty("smt") Boolean smt,
        @JsonProperty("track_dirty_pages") Boolean trackDirtyPages,
        @JsonProperty("cpu_template") CpuTemplate cpuTemplate,
        @JsonProperty("huge_pages") HugePages hugePages) {

    public boolean isEmpty() {
        return vcpuCount == null && memSizeMib == null && smt == null && trackDirtyPages == null
                && cpuTemplate == null && hugePages == null;
    }

    static final List<String> FIELDS = List.of("vcpu_count", "mem_size_mib", "smt", "track_dirty_pages", "cpu_template", "huge_pages");

    /** The body of PATCH /machine-config, bound with {@link StrictReader}: errors as {@link StrictJson#parse} words them. */
    public static MachineConfigUpdate read(byte[] json, String where) throws ConfigException {
        return StrictReader.read(json, where, (in, path) -> in.object(path) ? read(in, path) : null);
    }

    /** With the parser on the object's start. */
    static MachineConfigUpdate read(StrictReader in, String path) throws IOException, ConfigException {
        return read(in, path, List.of());
    }

    /** As PATCH reads it, and as PUT with its {@code required} fields ({@link MachineConfig#REQUIRED}). */
    static MachineConfigUpdate read(StrictReader in, String path, List<String> required) throws IOException, ConfigException {
        Long vcpuCount = null, memSizeMib = null;
        Boolean smt = null, trackDirtyPages = null;
        CpuTemplate cpuTemplate = null;
        HugePages hugePages = null;
        for (String f; (f = in.field(path, FIELDS, required)) != null; ) {
            String at = path + "." + f;
            switch (f) {
                case "vcpu_count" -> vcpuCount = in.longValue(at);
                case "mem_size_mib" -> memSizeMib = in.unsignedMib(at);
                case "smt" -> smt = in.bool(at);
                case "track_dirty_pages" -> trackDirtyPages = in.bool(at);
                case "cpu_template" -> cpuTemplate = in.enumValue(at, CpuTemplate.class);
                default -> hugePages = in.enumValue(at, HugePages.class); // huge_pages, the last of FIELDS
            }
        }
        return new MachineConfigUpdate(vcpuCount, memSizeMib, smt, trackDirtyPages, cpuTemplate, hugePages);
    }
}
