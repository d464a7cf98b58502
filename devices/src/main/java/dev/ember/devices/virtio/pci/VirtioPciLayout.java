package dev.ember.devices.virtio.pci;

import dev.ember.devices.virtio.Virtio;

/**
 * Where a virtio-pci function (virtio 1.2, 4.1) keeps its registers: everything in one 64-bit
 * memory BAR, BAR 0 — the four virtio structures the capabilities point at, then the MSI-X table
 * and pending-bit array — each region on its own page(s), the scheme cloud-hypervisor and
 * Firecracker use. Also the offsets of {@code struct virtio_pci_cap} and
 * {@code struct virtio_pci_common_cfg} (checked against {@code <linux/virtio_pci.h>} by a test).
 */
public final class VirtioPciLayout {
    private VirtioPciLayout() {}

    /** PCI IDs (4.1.2): Red Hat's vendor ID; modern devices are 0x1040 + the virtio device ID. */
    public static final int VENDOR_ID = 0x1af4;
    public static final int DEVICE_ID_BASE = 0x1040;
    /** Revision 1: a non-transitional (modern-only) device. */
    public static final int REVISION = 1;
    /** Non-transitional devices SHOULD have a subsystem device ID of 0x40 or higher (4.1.2.1). */
    public static final int SUBSYSTEM_ID = 0x40;

    public static final int BAR_INDEX = 0;
    public static final long BAR_SIZE = 0x80000;

    public static final int COMMON_CFG_OFFSET = 0x0000;
    /** sizeof(struct virtio_pci_common_cfg): no queue_notif_config_data / queue_reset (those features are not offered). */
    public static final int COMMON_CFG_LENGTH = 0x38;
    public static final int ISR_OFFSET = 0x2000;
    public static final int ISR_LENGTH = 1;
    public static final int DEVICE_CFG_OFFSET = 0x4000;
    public static final int DEVICE_CFG_LENGTH = 0x1000;
    public static final int NOTIFY_OFFSET = 0x6000;
    public static final int NOTIFY_LENGTH = 0x1000;
    /** Each queue's notify register is 4 bytes after the previous one: queue_notify_off = queue index. */
    public static final int NOTIFY_OFF_MULTIPLIER = 4;
    public static final int MSIX_TABLE_OFFSET = 0x8000;
    public static final int MSIX_PBA_OFFSET = 0x48000;

    /** Most queues a device may have so their notify registers fit the notify region. */
    public static final int MAX_QUEUES = NOTIFY_LENGTH / NOTIFY_OFF_MULTIPLIER;

    // 4.1.4 cfg_type values
    public static final int CAP_COMMON_CFG = 1, CAP_NOTIFY_CFG = 2, CAP_ISR_CFG = 3, CAP_DEVICE_CFG = 4, CAP_PCI_CFG = 5;

    // struct virtio_pci_cap
    public static final int CAP_VNDR = 0, CAP_NEXT = 1, CAP_LEN = 2, CAP_CFG_TYPE = 3, CAP_BAR = 4, CAP_ID = 5,
            CAP_OFFSET = 8, CAP_LENGTH = 12, CAP_SIZE = 16;
    /** struct virtio_pci_notify_cap: the cap, then notify_off_multiplier. */
    public static final int NOTIFY_CAP_MULTIPLIER = 16, NOTIFY_CAP_SIZE = 20;
    /** struct virtio_pci_cfg_cap: the cap, then pci_cfg_data[4]. */
    public static final int CFG_CAP_DATA = 16, CFG_CAP_SIZE = 20;

    // struct virtio_pci_common_cfg
    public static final int DEVICE_FEATURE_SELECT = 0x00, DEVICE_FEATURE = 0x04, DRIVER_FEATURE_SELECT = 0x08,
            DRIVER_FEATURE = 0x0c, MSIX_CONFIG = 0x10, NUM_QUEUES = 0x12, DEVICE_STATUS = 0x14, CONFIG_GENERATION = 0x15,
            QUEUE_SELECT = 0x16, QUEUE_SIZE = 0x18, QUEUE_MSIX_VECTOR = 0x1a, QUEUE_ENABLE = 0x1c, QUEUE_NOTIFY_OFF = 0x1e,
            QUEUE_DESC_LO = 0x20, QUEUE_DESC_HI = 0x24, QUEUE_AVAIL_LO = 0x28, QUEUE_AVAIL_HI = 0x2c,
            QUEUE_USED_LO = 0x30, QUEUE_USED_HI = 0x34;

    /** A vector register's "no vector" value (4.1.4.3). */
    public static final int NO_VECTOR = 0xffff;

    /** The PCI class code the function reports for virtio device type {@code type}. */
    public static int classCode(int type) {
        switch (type) {
            case Virtio.DEVICE_ID_NET: return 0x020000; // network, Ethernet
            case Virtio.DEVICE_ID_BLOCK: return 0x018000; // mass storage, other
            default: return 0xff0000; // device does not fit any defined class
        }
    }
}
