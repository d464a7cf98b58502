package dev.ember.config;

import com.fasterxml.jackson.annotation.JsonProperty;
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
}
