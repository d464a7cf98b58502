package dev.ember.devices.virtio;

/**
 * The driver laid out a queue or a descriptor chain the device cannot accept (cycle, buffer
 * outside guest RAM, nested indirect table, ...). Thrown only on error paths; the transport turns
 * it into DEVICE_NEEDS_RESET.
 */
public final class VirtqueueException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public VirtqueueException(String message) {
        super(message);
    }
}
