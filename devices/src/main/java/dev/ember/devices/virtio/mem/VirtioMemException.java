package dev.ember.devices.virtio.mem;

import dev.ember.devices.DeviceException;

/** What the host asked of the virtio-mem device that it cannot do; {@link #reason()} says why. */
public final class VirtioMemException extends DeviceException {
    public enum Reason {
        /** The guest's driver has not taken the device (no DRIVER_OK, or reset since). */
        NOT_ACTIVE,
        /** A requested size that is not a multiple of the block size, or larger than the region. */
        INVALID_SIZE,
        /** The host could not reserve address space for the region. */
        MAP,
        /** A snapshot's memory file could not be read into the region. */
        READ
    }

    public VirtioMemException(Reason reason, String message) {
        super(reason, message);
    }
}
