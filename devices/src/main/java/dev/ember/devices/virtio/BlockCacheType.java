package dev.ember.devices.virtio;

/** Firecracker's {@code cache_type} of a drive. */
public enum BlockCacheType {
    /** FLUSH is not offered; writes reach the host page cache and are never forced out. */
    UNSAFE,
    /** VIRTIO_BLK_F_FLUSH is offered and a FLUSH request is answered with fsync. */
    WRITEBACK
}
