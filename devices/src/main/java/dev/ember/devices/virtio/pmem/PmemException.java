package dev.ember.devices.virtio.pmem;

import dev.ember.devices.DeviceException;

/** A pmem backing file that cannot back a device; {@link #reason()} says why. */
public final class PmemException extends DeviceException {
    public enum Reason {
        /** open(2) failed: missing, a directory, no permission. */
        OPEN,
        /** The file holds no bytes: there is nothing to map. */
        EMPTY,
        /** mmap(2) of the file (or of the 2 MiB padding) failed. */
        MAP
    }

    public PmemException(Reason reason, String message) {
        super(reason, message);
    }
}
