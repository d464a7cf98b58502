package dev.ember.devices.virtio;

import dev.ember.devices.DeviceException;
import java.util.Locale;

/**
 * The driver laid out a queue or a descriptor chain the device cannot accept (cycle, buffer
 * outside guest RAM, nested indirect table, ...). Thrown only on error paths; the transport turns
 * it into DEVICE_NEEDS_RESET and counts it under its {@link Reason} ({@code device_errors_<reason>}
 * in the device's metrics). The message says where (queue, descriptor, address) for the log.
 */
public final class VirtqueueException extends DeviceException {

    /** What the driver got wrong; every value is something a guest can do. */
    public enum Reason {
        // Queue configuration at DRIVER_OK (or in a snapshot), checked by SplitQueue.validate.
        /** QueueNum is 0 or above QueueNumMax. */
        QUEUE_SIZE,
        /** QueueNum is not a power of two (split virtqueues need one). */
        QUEUE_SIZE_NOT_POWER_OF_TWO,
        /** The descriptor table is misaligned or not inside guest RAM. */
        DESCRIPTOR_TABLE_ADDRESS,
        /** The driver (available) ring is misaligned or not inside guest RAM. */
        DRIVER_RING_ADDRESS,
        /** The device (used) ring is misaligned or not inside guest RAM. */
        DEVICE_RING_ADDRESS,
        /** A queue the device needs was not made ready before DRIVER_OK. */
        QUEUE_NOT_READY,
        // The rings at run time.
        /** The available index ran further ahead of the device than the queue size. */
        AVAIL_INDEX_AHEAD,
        /** A descriptor index is outside its (direct or indirect) table. */
        DESCRIPTOR_INDEX,
        /** A chain is longer than the queue size: cyclic next links. */
        CHAIN_TOO_LONG,
        /** An indirect descriptor without VIRTIO_F_INDIRECT_DESC negotiated. */
        INDIRECT_NOT_NEGOTIATED,
        /** An indirect descriptor inside an indirect table. */
        NESTED_INDIRECT,
        /** A descriptor with both INDIRECT and NEXT. */
        INDIRECT_WITH_NEXT,
        /** An indirect table whose length is not a positive multiple of 16. */
        INDIRECT_TABLE_LENGTH,
        /** An indirect table not inside guest RAM. */
        INDIRECT_TABLE_ADDRESS,
        /** A buffer not inside guest RAM. */
        BUFFER_ADDRESS,
        /** A device-readable descriptor after a device-writable one. */
        READABLE_AFTER_WRITABLE,
        /** A chain whose layout contradicts the device's request format (block header, status byte, net direction). */
        REQUEST_LAYOUT,
        /** Guest memory could not be accessed while serving a request. */
        GUEST_MEMORY,
        /** The device could not start with what the driver negotiated (e.g. offloads the TAP refuses). */
        ACTIVATION;

        /** The metric counting this reason, e.g. {@code device_errors_chain_too_long}. */
        public String metricName() {
            return "device_errors_" + name().toLowerCase(Locale.ROOT);
        }
    }

    public VirtqueueException(Reason reason, String message) {
        super(reason, message);
    }

    /** Typed: the transport counts driver errors per reason. */
    @Override
    public Reason reason() {
        return (Reason) super.reason();
    }
}
