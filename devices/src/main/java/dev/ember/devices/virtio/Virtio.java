package dev.ember.devices.virtio;

/**
 * Constants of the virtio 1.2 specification shared by the transport, the virtqueue and the
 * devices (section numbers refer to the spec). Kept in one place so no magic numbers leak into
 * device code.
 */
public final class Virtio {
    private Virtio() {}

    // 5 Device Types
    public static final int DEVICE_ID_NET = 1;
    public static final int DEVICE_ID_BLOCK = 2;

    // 2.1 Device Status Field
    public static final int STATUS_ACKNOWLEDGE = 1;
    public static final int STATUS_DRIVER = 2;
    public static final int STATUS_DRIVER_OK = 4;
    public static final int STATUS_FEATURES_OK = 8;
    public static final int STATUS_DEVICE_NEEDS_RESET = 0x40;
    public static final int STATUS_FAILED = 0x80;

    // 6 Reserved Feature Bits (bit numbers)
    public static final int F_RING_INDIRECT_DESC = 28;
    public static final int F_RING_EVENT_IDX = 29;
    public static final int F_VERSION_1 = 32;

    // 2.7.5 The Virtqueue Descriptor Table
    public static final int DESC_F_NEXT = 1;
    public static final int DESC_F_WRITE = 2;
    public static final int DESC_F_INDIRECT = 4;
    public static final int DESC_SIZE = 16;

    // 2.7.6 / 2.7.8 ring flags
    public static final int AVAIL_F_NO_INTERRUPT = 1;
    public static final int USED_F_NO_NOTIFY = 1;

    // 4.2.2 MMIO interrupt status bits
    public static final int INT_USED_RING = 1;
    public static final int INT_CONFIG = 2;

    /** Largest queue a device of ours offers; also bounds every descriptor chain. */
    public static final int MAX_QUEUE_SIZE = 256;

    /**
     * What every device of ours offers: VERSION_1 (a modern device), EVENT_IDX and indirect
     * descriptors (both handled by {@link SplitQueue} and {@link DescriptorChain} for all).
     */
    public static final long RING_FEATURES = bit(F_VERSION_1) | bit(F_RING_EVENT_IDX) | bit(F_RING_INDIRECT_DESC);

    public static long bit(int feature) {
        return 1L << feature;
    }
}
