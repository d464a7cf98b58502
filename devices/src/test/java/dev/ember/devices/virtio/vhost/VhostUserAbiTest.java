package dev.ember.devices.virtio.vhost;

import static dev.ember.devices.virtio.vhost.VhostUserAbi.*;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.ember.sys.LibC;
import dev.ember.testing.CProbe;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link VhostUserAbi} against C. The vhost-user messages are in no system header, so the
 * structs below are written here from QEMU's docs/interop/vhost-user.rst ("Message
 * specification"), field by field as the spec lists them; gcc lays them out as the back-ends
 * (C programs built with the same ABI) do. The two vring payloads are the kernel's vhost structs
 * and are checked against {@code <linux/vhost_types.h>} itself.
 */
class VhostUserAbiTest {
    private static final String SPEC_STRUCTS = """
            #define _GNU_SOURCE
            #include <stdint.h>
            #include <sys/mman.h>
            #include <linux/vhost_types.h>
            struct vu_header { uint32_t request; uint32_t flags; uint32_t size; };
            struct vu_message { struct vu_header header; uint8_t payload[]; };
            struct vu_region { uint64_t guest_address; uint64_t size; uint64_t user_address; uint64_t mmap_offset; };
            struct vu_memory { uint32_t nregions; uint32_t padding; struct vu_region regions[8]; };
            struct vu_config { uint32_t offset; uint32_t size; uint32_t flags; uint8_t payload[256]; };
            """;

    @TempDir Path dir;

    @Test
    void messageLayoutsMatchTheSpecAndTheKernel() throws Exception {
        Object[][] rows = {
                {"header_size", HEADER_SIZE, "sizeof(struct vu_header)"},
                {"hdr_request", HDR_REQUEST, "offsetof(struct vu_header, request)"},
                {"hdr_flags", HDR_FLAGS, "offsetof(struct vu_header, flags)"},
                {"hdr_size", HDR_SIZE, "offsetof(struct vu_header, size)"},
                {"payload_at", HEADER_SIZE, "offsetof(struct vu_message, payload)"},
                {"state_size", STATE_SIZE, "sizeof(struct vhost_vring_state)"},
                {"state_index", STATE_INDEX, "offsetof(struct vhost_vring_state, index)"},
                {"state_num", STATE_NUM, "offsetof(struct vhost_vring_state, num)"},
                {"addr_size", ADDR_SIZE, "sizeof(struct vhost_vring_addr)"},
                {"addr_index", ADDR_INDEX, "offsetof(struct vhost_vring_addr, index)"},
                {"addr_flags", ADDR_FLAGS, "offsetof(struct vhost_vring_addr, flags)"},
                {"addr_desc", ADDR_DESC, "offsetof(struct vhost_vring_addr, desc_user_addr)"},
                {"addr_used", ADDR_USED, "offsetof(struct vhost_vring_addr, used_user_addr)"},
                {"addr_avail", ADDR_AVAIL, "offsetof(struct vhost_vring_addr, avail_user_addr)"},
                {"addr_log", ADDR_LOG, "offsetof(struct vhost_vring_addr, log_guest_addr)"},
                {"region_size", REGION_SIZE, "sizeof(struct vu_region)"},
                {"region_guest", REGION_GUEST_ADDR, "offsetof(struct vu_region, guest_address)"},
                {"region_msize", REGION_MEMORY_SIZE, "offsetof(struct vu_region, size)"},
                {"region_user", REGION_USER_ADDR, "offsetof(struct vu_region, user_address)"},
                {"region_offset", REGION_MMAP_OFFSET, "offsetof(struct vu_region, mmap_offset)"},
                {"memory_nregions", MEMORY_NREGIONS, "offsetof(struct vu_memory, nregions)"},
                {"memory_padding", MEMORY_PADDING, "offsetof(struct vu_memory, padding)"},
                {"memory_regions", MEMORY_REGIONS, "offsetof(struct vu_memory, regions)"},
                {"memory_max", MEMORY_REGIONS + MAX_REGIONS * REGION_SIZE, "sizeof(struct vu_memory)"},
                {"config_offset", CONFIG_OFFSET, "offsetof(struct vu_config, offset)"},
                {"config_size", CONFIG_SIZE, "offsetof(struct vu_config, size)"},
                {"config_flags", CONFIG_FLAGS, "offsetof(struct vu_config, flags)"},
                {"config_payload", CONFIG_PAYLOAD, "offsetof(struct vu_config, payload)"},
                {"config_max", MAX_PAYLOAD, "sizeof(struct vu_config)"},
                {"mfd_cloexec", LibC.MFD_CLOEXEC, "MFD_CLOEXEC"},
                {"madv_remove", LibC.MADV_REMOVE, "MADV_REMOVE"},
        };
        assertEquals(List.of(), CProbe.mismatches(dir, SPEC_STRUCTS, rows));
    }
}
