package dev.ember.devices.virtio;

import dev.ember.devices.DeviceException;

/**
 * A drive's backing file could not be opened or used. The message names the drive and the fix;
 * it reaches the user as the API's fault message. {@link #reason()} says which step failed,
 * {@link #errno()} why.
 */
public final class BlockDeviceException extends DeviceException {
    public enum Reason {
        /** open(2) of path_on_host failed (missing, permissions, read-write on a read-only file). */
        OPEN,
        /** The file opened but its size could not be read. */
        SIZE,
        /** io_engine Async on a host whose kernel has no usable io_uring. */
        IO_ENGINE
    }

    private final int errno;

    public BlockDeviceException(Reason reason, int errno, String message) {
        super(reason, message);
        this.errno = errno;
    }

    /** The errno of the failed call. */
    public int errno() {
        return errno;
    }
}
