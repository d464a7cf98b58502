package dev.ember.config;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.core.JsonGenerator;
import java.util.List;
import java.io.IOException;
import com.fasterxml.jackson.databind.annotation.JsonDeserialize;
import com.fasterxml.jackson.databind.annotation.JsonSerialize;
import java.io.IOException;
import java.util.List;

/**
 * {@code machine-config} as sent with PUT (every optional field not given takes its default)
 * and as reported by GET. Integers are {@code Long} so that out-of-range values reach
 * {@link #validate()} and get a message naming the field.
 */
public record MachineConfig(
        @JsonProperty(value = "vcpu_count", required = true) Long vcpuCount,
        @JsonProperty(value = "mem_size_mib", required = true) @JsonDeserialize(using = UnsignedMib.Reader.class)
        @JsonSerialize(using = UnsignedMib.Writer.class) Long memSizeMib,
        @JsonProperty("smt") Boolean smt,
        @JsonProperty("track_dirty_pages") Boolean trackDirtyPages,
        @JsonProperty("cpu_template") CpuTemplate cpuTemplate,
        @JsonProperty("huge_pages") HugePages hugePages) implements StrictWriter.Writable {

    /** The fields a PUT must give (serde's non-Option fields in Firecracker), in declaration order. */
    static final List<String> REQUIRED = List.of("vcpu_count", "mem_size_mib");

    public static final int MAX_VCPUS = 32;
    public static final long DEFAULT_MEM_SIZE_MIB = 128;
    /**
     * Guest RAM must fit below the 64 TiB this VMM maps. Like Firecracker, a larger size (up to
     * 2^64−1, unsigned in {@code memSizeMib}'s bits) is accepted at PUT and refused at InstanceStart.
     */
    public static final long MAX_MEM_SIZE_MIB = 64L * 1024 * 1024;

    public static final MachineConfig DEFAULT = new MachineConfig(1L, DEFAULT_MEM_SIZE_MIB, false, false, null, HugePages.None);

    public MachineConfig {
        smt = smt != null && smt;
        trackDirtyPages = trackDirtyPages != null && trackDirtyPages;
        cpuTemplate = cpuTemplate == CpuTemplate.None ? null : cpuTemplate;
        hugePages = hugePages == null ? HugePages.None : hugePages;
    }

    public int vcpus() {
        return vcpuCount.intValue();
    }

    public long memBytes() {
        return memSizeMib << 20;
    }

    void validate() throws ConfigException {
        Check.required(vcpuCount, "machine-config.vcpu_count");
        Check.required(memSizeMib, "machine-config.mem_size_mib");
        if (vcpuCount < 1 || vcpuCount > MAX_VCPUS) {
            throw new ConfigException(ConfigException.Reason.INVALID_VALUE, "The number of vCPUs must be greater than 0, less than " + MAX_VCPUS
                    + " and must be 1 or an even number if SMT is enabled. (machine-config.vcpu_count is "
                    + vcpuCount + "; use 1 to " + MAX_VCPUS + ")");
        }
        if (smt && vcpuCount > 1 && vcpuCount % 2 == 1) {
            throw new ConfigException(ConfigException.Reason.INVALID_VALUE, "The number of vCPUs must be greater than 0, less than " + MAX_VCPUS
                    + " and must be 1 or an even number if SMT is enabled. (machine-config.vcpu_count is "
                    + vcpuCount + " with smt true; use an even count or set smt to false)");
        }
        if (cpuTemplate == CpuTemplate.V1N1) {
            throw new ConfigException(ConfigException.Reason.INVALID_VALUE, "machine-config.cpu_template is V1N1, a template for aarch64"
                    + " (Neoverse V1) hosts; this host is x86_64: use T2A on AMD, T2, T2S, T2CL or C3 on Intel, or None");
        }
        if (memSizeMib == 0) {
            throw new ConfigException(ConfigException.Reason.INVALID_VALUE, "The memory size (MiB) is either 0, or not a multiple of the configured page size."
                    + " (machine-config.mem_size_mib is 0; use 1 to " + MAX_MEM_SIZE_MIB + ")");
        }
        if (hugePages != HugePages.None && (memSizeMib & 1) != 0) {
            throw new ConfigException(ConfigException.Reason.INVALID_VALUE, "The memory size (MiB) is either 0, or not a multiple of the configured page size."
                    + " (machine-config.mem_size_mib is " + UnsignedMib.toString(memSizeMib) + " with huge_pages " + (hugePages == HugePages.Hugetlbfs2M ? "2M" : hugePages)
                    + "; use a multiple of 2)");
        }
    }

    /** Applies a PATCH: fields present in {@code u} replace ours. */
    MachineConfig apply(MachineConfigUpdate u) {
        return new MachineConfig(
                u.vcpuCount() != null ? u.vcpuCount() : vcpuCount,
                u.memSizeMib() != null ? u.memSizeMib() : memSizeMib,
                u.smt() != null ? u.smt() : smt,
                u.trackDirtyPages() != null ? u.trackDirtyPages() : trackDirtyPages,
                u.cpuTemplate() != null ? u.cpuTemplate() : cpuTemplate,
                u.hugePages() != null ? u.hugePages() : hugePages);
    }

    /** As {@link StrictJson#write} writes it (mem_size_mib unsigned, {@link UnsignedMib}): GET /machine-config, a snapshot's record. */
    @Override
    public void write(JsonGenerator out) throws IOException {
        out.writeStartObject();
        StrictWriter.number(out, "vcpu_count", vcpuCount);
        if (memSizeMib != null) {
            out.writeFieldName("mem_size_mib");
            out.writeNumber(UnsignedMib.toString(memSizeMib));
        }
        StrictWriter.bool(out, "smt", smt);
        StrictWriter.bool(out, "track_dirty_pages", trackDirtyPages);
        StrictWriter.enumValue(out, "cpu_template", cpuTemplate);
        StrictWriter.enumValue(out, "huge_pages", hugePages);
        out.writeEndObject();
    }

    static final List<String> FIELDS = MachineConfigUpdate.FIELDS;

    /**
     * The body of PUT /machine-config, bound with {@link StrictReader} (the request every boot
     * sends): errors as {@link StrictJson#parse} words them.
     */
    public static MachineConfig read(byte[] json, String where) throws ConfigException {
        return StrictReader.read(json, where, (in, path) -> in.object(path) ? read(in, path) : null);
    }

    /**
     * With the parser on the object's start; also a recorded configuration's section
     * ({@link VmConfigFile#applyStreamed}).
     */
    static MachineConfig read(StrictReader in, String path) throws IOException, ConfigException {
        MachineConfigUpdate given = MachineConfigUpdate.read(in, path, REQUIRED); // the same fields; PUT then fills in the defaults
        return new MachineConfig(given.vcpuCount(), given.memSizeMib(), given.smt(), given.trackDirtyPages(), given.cpuTemplate(),
                given.hugePages());
    }
}
