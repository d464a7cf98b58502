package dev.ember.devices.virtio;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.ember.testing.CProbe;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Our offsets and constants against the kernel's uapi headers (compiled with gcc). */
class VirtioLayoutTest {
    @Test
    void iovecMatchesSysUio() throws Exception {
        Map<String, String> e = new LinkedHashMap<>();
        e.put("size", "sizeof(struct iovec)");
        e.put("base", "offsetof(struct iovec, iov_base)");
        e.put("len", "offsetof(struct iovec, iov_len)");
        Map<String, Long> v = CProbe.evaluate(List.of("sys/uio.h"), e);
        assertEquals(IoVecArray.IOVEC_SIZE, v.get("size"));
        assertEquals(IoVecArray.OFFSET_BASE, v.get("base"));
        assertEquals(IoVecArray.OFFSET_LEN, v.get("len"));
    }

    @Test
    void pmemConfigAndRequestMatchLinuxHeaders() throws Exception {
        Map<String, String> e = new LinkedHashMap<>();
        e.put("config", "sizeof(struct virtio_pmem_config)");
        e.put("start", "offsetof(struct virtio_pmem_config, start)");
        e.put("size", "offsetof(struct virtio_pmem_config, size)");
        e.put("req", "sizeof(struct virtio_pmem_req)");
        e.put("resp", "sizeof(struct virtio_pmem_resp)");
        e.put("flush", "VIRTIO_PMEM_REQ_TYPE_FLUSH");
        e.put("id", "VIRTIO_ID_PMEM");
        Map<String, Long> v = CProbe.evaluate(List.of("linux/virtio_pmem.h"), e);
        assertEquals(dev.ember.devices.virtio.pmem.VirtioPmem.CONFIG_SIZE, v.get("config"));
        assertEquals(dev.ember.devices.virtio.pmem.VirtioPmem.CFG_START, v.get("start"));
        assertEquals(dev.ember.devices.virtio.pmem.VirtioPmem.CFG_SIZE, v.get("size"));
        assertEquals(dev.ember.devices.virtio.pmem.VirtioPmem.REQUEST_BYTES, v.get("req"));
        assertEquals(dev.ember.devices.virtio.pmem.VirtioPmem.RESPONSE_BYTES, v.get("resp"));
        assertEquals(dev.ember.devices.virtio.pmem.VirtioPmem.REQ_TYPE_FLUSH, v.get("flush"));
        assertEquals(dev.ember.devices.virtio.pmem.VirtioPmem.DEVICE_ID, v.get("id"));
    }

    @Test
    void memConfigRequestAndResponseMatchLinuxHeaders() throws Exception {
        Map<String, String> e = new LinkedHashMap<>();
        e.put("config", "sizeof(struct virtio_mem_config)");
        e.put("block_size", "offsetof(struct virtio_mem_config, block_size)");
        e.put("node_id", "offsetof(struct virtio_mem_config, node_id)");
        e.put("addr", "offsetof(struct virtio_mem_config, addr)");
        e.put("region_size", "offsetof(struct virtio_mem_config, region_size)");
        e.put("usable", "offsetof(struct virtio_mem_config, usable_region_size)");
        e.put("plugged", "offsetof(struct virtio_mem_config, plugged_size)");
        e.put("requested", "offsetof(struct virtio_mem_config, requested_size)");
        e.put("req", "sizeof(struct virtio_mem_req)");
        e.put("req_type", "offsetof(struct virtio_mem_req, type)");
        e.put("req_addr", "offsetof(struct virtio_mem_req, u.plug.addr)");
        e.put("req_nb", "offsetof(struct virtio_mem_req, u.plug.nb_blocks)");
        e.put("unplug_addr", "offsetof(struct virtio_mem_req, u.unplug.addr)");
        e.put("state_nb", "offsetof(struct virtio_mem_req, u.state.nb_blocks)");
        e.put("resp", "sizeof(struct virtio_mem_resp)");
        e.put("resp_state", "offsetof(struct virtio_mem_resp, u.state.state)");
        e.put("PLUG", "VIRTIO_MEM_REQ_PLUG");
        e.put("UNPLUG", "VIRTIO_MEM_REQ_UNPLUG");
        e.put("UNPLUG_ALL", "VIRTIO_MEM_REQ_UNPLUG_ALL");
        e.put("STATE", "VIRTIO_MEM_REQ_STATE");
        e.put("ACK", "VIRTIO_MEM_RESP_ACK");
        e.put("NACK", "VIRTIO_MEM_RESP_NACK");
        e.put("BUSY", "VIRTIO_MEM_RESP_BUSY");
        e.put("ERROR", "VIRTIO_MEM_RESP_ERROR");
        e.put("S_PLUGGED", "VIRTIO_MEM_STATE_PLUGGED");
        e.put("S_UNPLUGGED", "VIRTIO_MEM_STATE_UNPLUGGED");
        e.put("S_MIXED", "VIRTIO_MEM_STATE_MIXED");
        e.put("F_ACPI_PXM", "VIRTIO_MEM_F_ACPI_PXM");
        e.put("F_UNPLUGGED_INACCESSIBLE", "VIRTIO_MEM_F_UNPLUGGED_INACCESSIBLE");
        e.put("id", "VIRTIO_ID_MEM");
        Map<String, Long> v = CProbe.evaluate(List.of("linux/virtio_mem.h"), e);
        Class<?> c = dev.ember.devices.virtio.mem.VirtioMem.class;
        assertEquals(dev.ember.devices.virtio.mem.VirtioMem.CONFIG_SIZE, v.get("config"));
        assertEquals(dev.ember.devices.virtio.mem.VirtioMem.CFG_BLOCK_SIZE, v.get("block_size"));
        assertEquals(dev.ember.devices.virtio.mem.VirtioMem.CFG_NODE_ID, v.get("node_id"));
        assertEquals(dev.ember.devices.virtio.mem.VirtioMem.CFG_ADDR, v.get("addr"));
        assertEquals(dev.ember.devices.virtio.mem.VirtioMem.CFG_REGION_SIZE, v.get("region_size"));
        assertEquals(dev.ember.devices.virtio.mem.VirtioMem.CFG_USABLE_REGION_SIZE, v.get("usable"));
        assertEquals(dev.ember.devices.virtio.mem.VirtioMem.CFG_PLUGGED_SIZE, v.get("plugged"));
        assertEquals(dev.ember.devices.virtio.mem.VirtioMem.CFG_REQUESTED_SIZE, v.get("requested"));
        assertEquals(dev.ember.devices.virtio.mem.VirtioMem.REQUEST_BYTES, v.get("req"));
        assertEquals(dev.ember.devices.virtio.mem.VirtioMem.REQ_TYPE, v.get("req_type"));
        assertEquals(dev.ember.devices.virtio.mem.VirtioMem.REQ_ADDR, v.get("req_addr"));
        assertEquals(dev.ember.devices.virtio.mem.VirtioMem.REQ_NB_BLOCKS, v.get("req_nb"));
        assertEquals(v.get("req_addr"), v.get("unplug_addr"), "plug, unplug and state share one layout");
        assertEquals(v.get("req_nb"), v.get("state_nb"));
        assertEquals(dev.ember.devices.virtio.mem.VirtioMem.RESPONSE_BYTES, v.get("resp"));
        assertEquals(dev.ember.devices.virtio.mem.VirtioMem.RESP_STATE, v.get("resp_state"));
        for (String name : List.of("PLUG", "UNPLUG", "UNPLUG_ALL", "STATE")) {
            assertEquals(v.get(name), c.getField("REQ_" + name).getLong(null), name);
        }
        for (String name : List.of("ACK", "NACK", "BUSY", "ERROR")) {
            assertEquals(v.get(name), c.getField("RESP_" + name).getLong(null), name);
        }
        for (String name : List.of("PLUGGED", "UNPLUGGED", "MIXED")) {
            assertEquals(v.get("S_" + name), c.getField("STATE_" + name).getLong(null), name);
        }
        assertEquals(dev.ember.devices.virtio.mem.VirtioMem.F_ACPI_PXM, v.get("F_ACPI_PXM"));
        assertEquals(dev.ember.devices.virtio.mem.VirtioMem.F_UNPLUGGED_INACCESSIBLE, v.get("F_UNPLUGGED_INACCESSIBLE"));
        assertEquals(dev.ember.devices.virtio.mem.VirtioMem.DEVICE_ID, v.get("id"));
    }

    @Test
    void virtioConstantsMatchLinuxHeaders() throws Exception {
        Map<String, String> e = new LinkedHashMap<>();
        e.put("cap", "offsetof(struct virtio_blk_config, capacity)");
        e.put("size_max", "offsetof(struct virtio_blk_config, size_max)");
        e.put("seg_max", "offsetof(struct virtio_blk_config, seg_max)");
        e.put("max_discard_sectors", "offsetof(struct virtio_blk_config, max_discard_sectors)");
        e.put("max_discard_seg", "offsetof(struct virtio_blk_config, max_discard_seg)");
        e.put("discard_sector_alignment", "offsetof(struct virtio_blk_config, discard_sector_alignment)");
        e.put("max_write_zeroes_sectors", "offsetof(struct virtio_blk_config, max_write_zeroes_sectors)");
        e.put("max_write_zeroes_seg", "offsetof(struct virtio_blk_config, max_write_zeroes_seg)");
        e.put("write_zeroes_may_unmap", "offsetof(struct virtio_blk_config, write_zeroes_may_unmap)");
        e.put("outhdr", "sizeof(struct virtio_blk_outhdr)");
        e.put("dwz", "sizeof(struct virtio_blk_discard_write_zeroes)");
        e.put("desc", "sizeof(struct vring_desc)");
        e.put("used_elem", "sizeof(struct vring_used_elem)");
        e.put("F_SIZE_MAX", "VIRTIO_BLK_F_SIZE_MAX");
        e.put("F_SEG_MAX", "VIRTIO_BLK_F_SEG_MAX");
        e.put("F_RO", "VIRTIO_BLK_F_RO");
        e.put("F_FLUSH", "VIRTIO_BLK_F_FLUSH");
        e.put("F_DISCARD", "VIRTIO_BLK_F_DISCARD");
        e.put("F_WRITE_ZEROES", "VIRTIO_BLK_F_WRITE_ZEROES");
        e.put("T_IN", "VIRTIO_BLK_T_IN");
        e.put("T_OUT", "VIRTIO_BLK_T_OUT");
        e.put("T_FLUSH", "VIRTIO_BLK_T_FLUSH");
        e.put("T_GET_ID", "VIRTIO_BLK_T_GET_ID");
        e.put("T_DISCARD", "VIRTIO_BLK_T_DISCARD");
        e.put("T_WRITE_ZEROES", "VIRTIO_BLK_T_WRITE_ZEROES");
        e.put("ID_BYTES", "VIRTIO_BLK_ID_BYTES");
        e.put("INDIRECT", "VIRTIO_RING_F_INDIRECT_DESC");
        e.put("EVENT_IDX", "VIRTIO_RING_F_EVENT_IDX");
        e.put("VERSION_1", "VIRTIO_F_VERSION_1");
        e.put("NEEDS_RESET", "VIRTIO_CONFIG_S_NEEDS_RESET");
        e.put("MMIO_NOTIFY", "VIRTIO_MMIO_QUEUE_NOTIFY");
        e.put("MMIO_STATUS", "VIRTIO_MMIO_STATUS");
        e.put("MMIO_DEVICE_HIGH", "VIRTIO_MMIO_QUEUE_USED_HIGH");
        e.put("MMIO_GEN", "VIRTIO_MMIO_CONFIG_GENERATION");
        e.put("MMIO_CONFIG", "VIRTIO_MMIO_CONFIG");
        e.put("MMIO_SHM_BASE_HIGH", "VIRTIO_MMIO_SHM_BASE_HIGH");
        Map<String, Long> v = CProbe.evaluate(List.of("linux/virtio_blk.h", "linux/virtio_ring.h",
                "linux/virtio_config.h", "linux/virtio_mmio.h"), e);
        assertEquals(VirtioBlock.CFG_CAPACITY, v.get("cap"));
        assertEquals(VirtioBlock.CFG_SIZE_MAX, v.get("size_max"));
        assertEquals(VirtioBlock.CFG_SEG_MAX, v.get("seg_max"));
        assertEquals(VirtioBlock.CFG_MAX_DISCARD_SECTORS, v.get("max_discard_sectors"));
        assertEquals(VirtioBlock.CFG_MAX_DISCARD_SEG, v.get("max_discard_seg"));
        assertEquals(VirtioBlock.CFG_DISCARD_SECTOR_ALIGNMENT, v.get("discard_sector_alignment"));
        assertEquals(VirtioBlock.CFG_MAX_WRITE_ZEROES_SECTORS, v.get("max_write_zeroes_sectors"));
        assertEquals(VirtioBlock.CFG_MAX_WRITE_ZEROES_SEG, v.get("max_write_zeroes_seg"));
        assertEquals(VirtioBlock.CFG_WRITE_ZEROES_MAY_UNMAP, v.get("write_zeroes_may_unmap"));
        assertEquals(16, v.get("outhdr"));
        assertEquals(16, v.get("dwz"));
        assertEquals(Virtio.DESC_SIZE, v.get("desc"));
        assertEquals(8, v.get("used_elem"));
        assertEquals(VirtioBlock.F_SIZE_MAX, v.get("F_SIZE_MAX"));
        assertEquals(VirtioBlock.F_SEG_MAX, v.get("F_SEG_MAX"));
        assertEquals(VirtioBlock.F_RO, v.get("F_RO"));
        assertEquals(VirtioBlock.F_FLUSH, v.get("F_FLUSH"));
        assertEquals(VirtioBlock.F_DISCARD, v.get("F_DISCARD"));
        assertEquals(VirtioBlock.F_WRITE_ZEROES, v.get("F_WRITE_ZEROES"));
        assertEquals(VirtioBlock.T_IN, v.get("T_IN"));
        assertEquals(VirtioBlock.T_OUT, v.get("T_OUT"));
        assertEquals(VirtioBlock.T_FLUSH, v.get("T_FLUSH"));
        assertEquals(VirtioBlock.T_GET_ID, v.get("T_GET_ID"));
        assertEquals(VirtioBlock.T_DISCARD, v.get("T_DISCARD"));
        assertEquals(VirtioBlock.T_WRITE_ZEROES, v.get("T_WRITE_ZEROES"));
        assertEquals(VirtioBlock.ID_BYTES, v.get("ID_BYTES"));
        assertEquals(Virtio.F_RING_INDIRECT_DESC, v.get("INDIRECT"));
        assertEquals(Virtio.F_RING_EVENT_IDX, v.get("EVENT_IDX"));
        assertEquals(Virtio.F_VERSION_1, v.get("VERSION_1"));
        assertEquals(Virtio.STATUS_DEVICE_NEEDS_RESET, v.get("NEEDS_RESET"));
        assertEquals(VirtioMmioDevice.REG_QUEUE_NOTIFY, v.get("MMIO_NOTIFY"));
        assertEquals(VirtioMmioDevice.REG_STATUS, v.get("MMIO_STATUS"));
        assertEquals(VirtioMmioDevice.REG_QUEUE_DEVICE_HIGH, v.get("MMIO_DEVICE_HIGH"));
        assertEquals(VirtioMmioDevice.REG_CONFIG_GENERATION, v.get("MMIO_GEN"));
        assertEquals(VirtioMmioDevice.REG_CONFIG, v.get("MMIO_CONFIG"));
        assertEquals(VirtioMmioDevice.REG_SHM_BASE_HIGH, v.get("MMIO_SHM_BASE_HIGH"));
    }
}
