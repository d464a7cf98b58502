package dev.ember.devices.virtio;

/** A drive's backing file could not be opened or used; the message names the drive and the fix. */
public final class BlockDeviceException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public BlockDeviceException(String message) {
        super(message);
    }
}
