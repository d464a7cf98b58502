package dev.ember.config;

import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.List;
import java.io.IOException;

/**
 * {@code memory-hotplug} / PUT {@code /hotplug/memory}: a virtio-mem device with
 * {@code total_size_mib} of hotpluggable memory, in blocks of {@code block_size_mib} (the guest's
 * unit, default 2) and KVM slots of {@code slot_size_mib} (the host's unit of protection,
 * default 128). Firecracker's rules and texts; all sizes unplugged at boot.
 */
public record MemoryHotplugConfig(
        @JsonProperty("total_size_mib") Long totalSizeMib,
        @JsonProperty("block_size_mib") Long blockSizeMib,
        @JsonProperty("slot_size_mib") Long slotSizeMib) {

    public static final long DEFAULT_BLOCK_SIZE_MIB = 2;
    public static final long DEFAULT_SLOT_SIZE_MIB = 128;
    /** Sizes are 32-bit MiB counts: 4 PiB is beyond any host, and byte counts stay far from overflow. */
    static final long MAX_MIB = 0xFFFF_FFFFL;

    /** The defaults filled in, as Firecracker's serde defaults do (GET shows them). */
    public MemoryHotplugConfig {
        blockSizeMib = blockSizeMib == null ? DEFAULT_BLOCK_SIZE_MIB : blockSizeMib;
        slotSizeMib = slotSizeMib == null ? DEFAULT_SLOT_SIZE_MIB : slotSizeMib;
    }

    void validate() throws ConfigException {
        Check.range(totalSizeMib, 0, MAX_MIB, "total_size_mib");
        Check.range(blockSizeMib, 0, MAX_MIB, "block_size_mib");
        Check.range(slotSizeMib, 0, MAX_MIB, "slot_size_mib");
        if (blockSizeMib < DEFAULT_BLOCK_SIZE_MIB) {
            throw invalid("Block size must not be lower than " + DEFAULT_BLOCK_SIZE_MIB + " MiB", "block_size_mib is " + blockSizeMib);
        }
        if (Long.bitCount(blockSizeMib) != 1) {
            throw invalid("Block size must be a power of 2", "block_size_mib is " + blockSizeMib);
        }
        if (slotSizeMib < DEFAULT_SLOT_SIZE_MIB) {
            throw invalid("Slot size must not be lower than " + DEFAULT_SLOT_SIZE_MIB + " MiB", "slot_size_mib is " + slotSizeMib);
        }
        if (slotSizeMib % blockSizeMib != 0) {
            throw invalid("Slot size must be a multiple of block size (" + blockSizeMib + " MiB)", "slot_size_mib is " + slotSizeMib);
        }
        if (totalSizeMib < slotSizeMib) {
            throw invalid("Total size must not be lower than slot size (" + slotSizeMib + " MiB)", "total_size_mib is " + totalSizeMib);
        }
        if (totalSizeMib % slotSizeMib != 0) {
            throw invalid("Total size must be a multiple of slot size (" + slotSizeMib + " MiB)", "total_size_mib is " + totalSizeMib);
        }
    }

    /** Firecracker's text, prefixed as its VmmActionError does, then which field and value. */
    private static ConfigException invalid(String firecracker, String which) {
        return new ConfigException(ConfigException.Reason.INVALID_VALUE, "Memory hotplug config error: " + firecracker + " (" + which + ")");
    }

    static final List<String> FIELDS = List.of("total_size_mib", "block_size_mib", "slot_size_mib");

    /** The body of PUT /hotplug/memory, bound with {@link StrictReader}: errors as {@link StrictJson#parse} words them. */
    public static MemoryHotplugConfig read(byte[] json, String where) throws ConfigException {
        return StrictReader.read(json, where, (in, path) -> in.object(path) ? read(in, path) : null);
    }

    /** With the parser on the object's start. */
    static MemoryHotplugConfig read(StrictReader in, String path) throws IOException, ConfigException {
        Long totalSizeMib = null, blockSizeMib = null, slotSizeMib = null;
        for (String f; (f = in.field(path, FIELDS)) != null; ) {
            String at = path + "." + f;
            switch (f) {
                case "total_size_mib" -> totalSizeMib = in.longValue(at);
                case "block_size_mib" -> blockSizeMib = in.longValue(at);
                default -> slotSizeMib = in.longValue(at); // slot_size_mib, the last of FIELDS
            }
        }
        return new MemoryHotplugConfig(totalSizeMib, blockSizeMib, slotSizeMib);
    }
}
