package dev.ember.devices.virtio.pci;

import static dev.ember.devices.virtio.pci.VirtioPciLayout.*;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.ember.testing.CProbe;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** struct virtio_pci_cap / virtio_pci_common_cfg offsets and the cfg_type values against <linux/virtio_pci.h> (gcc). */
class VirtioPciLayoutTest {
    @Test
    void capabilitiesAndCommonConfigMatchLinuxHeaders() throws Exception {
        Map<String, Long> ours = new LinkedHashMap<>();
        Map<String, String> c = new LinkedHashMap<>();
        expect(c, ours, "offsetof(struct virtio_pci_cap, cap_vndr)", CAP_VNDR);
        expect(c, ours, "offsetof(struct virtio_pci_cap, cap_next)", CAP_NEXT);
        expect(c, ours, "offsetof(struct virtio_pci_cap, cap_len)", CAP_LEN);
        expect(c, ours, "offsetof(struct virtio_pci_cap, cfg_type)", CAP_CFG_TYPE);
        expect(c, ours, "offsetof(struct virtio_pci_cap, bar)", CAP_BAR);
        expect(c, ours, "offsetof(struct virtio_pci_cap, id)", CAP_ID);
        expect(c, ours, "offsetof(struct virtio_pci_cap, offset)", CAP_OFFSET);
        expect(c, ours, "offsetof(struct virtio_pci_cap, length)", CAP_LENGTH);
        expect(c, ours, "sizeof(struct virtio_pci_cap)", CAP_SIZE);
        expect(c, ours, "offsetof(struct virtio_pci_notify_cap, notify_off_multiplier)", NOTIFY_CAP_MULTIPLIER);
        expect(c, ours, "sizeof(struct virtio_pci_notify_cap)", NOTIFY_CAP_SIZE);
        expect(c, ours, "offsetof(struct virtio_pci_cfg_cap, pci_cfg_data)", CFG_CAP_DATA);
        expect(c, ours, "sizeof(struct virtio_pci_cfg_cap)", CFG_CAP_SIZE);
        expect(c, ours, "VIRTIO_PCI_CAP_COMMON_CFG", CAP_COMMON_CFG);
        expect(c, ours, "VIRTIO_PCI_CAP_NOTIFY_CFG", CAP_NOTIFY_CFG);
        expect(c, ours, "VIRTIO_PCI_CAP_ISR_CFG", CAP_ISR_CFG);
        expect(c, ours, "VIRTIO_PCI_CAP_DEVICE_CFG", CAP_DEVICE_CFG);
        expect(c, ours, "VIRTIO_PCI_CAP_PCI_CFG", CAP_PCI_CFG);
        expect(c, ours, "VIRTIO_MSI_NO_VECTOR", NO_VECTOR);
        expect(c, ours, "offsetof(struct virtio_pci_common_cfg, device_feature_select)", DEVICE_FEATURE_SELECT);
        expect(c, ours, "offsetof(struct virtio_pci_common_cfg, device_feature)", DEVICE_FEATURE);
        expect(c, ours, "offsetof(struct virtio_pci_common_cfg, guest_feature_select)", DRIVER_FEATURE_SELECT);
        expect(c, ours, "offsetof(struct virtio_pci_common_cfg, guest_feature)", DRIVER_FEATURE);
        expect(c, ours, "offsetof(struct virtio_pci_common_cfg, msix_config)", MSIX_CONFIG);
        expect(c, ours, "offsetof(struct virtio_pci_common_cfg, num_queues)", NUM_QUEUES);
        expect(c, ours, "offsetof(struct virtio_pci_common_cfg, device_status)", DEVICE_STATUS);
        expect(c, ours, "offsetof(struct virtio_pci_common_cfg, config_generation)", CONFIG_GENERATION);
        expect(c, ours, "offsetof(struct virtio_pci_common_cfg, queue_select)", QUEUE_SELECT);
        expect(c, ours, "offsetof(struct virtio_pci_common_cfg, queue_size)", QUEUE_SIZE);
        expect(c, ours, "offsetof(struct virtio_pci_common_cfg, queue_msix_vector)", QUEUE_MSIX_VECTOR);
        expect(c, ours, "offsetof(struct virtio_pci_common_cfg, queue_enable)", QUEUE_ENABLE);
        expect(c, ours, "offsetof(struct virtio_pci_common_cfg, queue_notify_off)", QUEUE_NOTIFY_OFF);
        expect(c, ours, "offsetof(struct virtio_pci_common_cfg, queue_desc_lo)", QUEUE_DESC_LO);
        expect(c, ours, "offsetof(struct virtio_pci_common_cfg, queue_desc_hi)", QUEUE_DESC_HI);
        expect(c, ours, "offsetof(struct virtio_pci_common_cfg, queue_avail_lo)", QUEUE_AVAIL_LO);
        expect(c, ours, "offsetof(struct virtio_pci_common_cfg, queue_avail_hi)", QUEUE_AVAIL_HI);
        expect(c, ours, "offsetof(struct virtio_pci_common_cfg, queue_used_lo)", QUEUE_USED_LO);
        expect(c, ours, "offsetof(struct virtio_pci_common_cfg, queue_used_hi)", QUEUE_USED_HI);
        expect(c, ours, "sizeof(struct virtio_pci_common_cfg)", COMMON_CFG_LENGTH);
        Map<String, Long> v = CProbe.evaluate(List.of("stddef.h", "linux/virtio_pci.h"), c);
        for (Map.Entry<String, Long> e : ours.entrySet()) {
            assertEquals(e.getValue(), v.get(e.getKey()), c.get(e.getKey()));
        }
    }

    private static void expect(Map<String, String> c, Map<String, Long> ours, String expr, long value) {
        String key = "k" + c.size();
        c.put(key, expr);
        ours.put(key, value);
    }
}
