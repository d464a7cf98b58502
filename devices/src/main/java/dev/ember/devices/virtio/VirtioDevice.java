package dev.ember.devices.virtio;

/**
 * A virtio device model (block, net) independent of the transport that carries it.
 *
 * <p>Threading: {@link #readConfig}/{@link #writeConfig} run on vCPU threads and must only
 * touch config-space fields (lock-free, no I/O). {@link #activate}, {@link #onQueueNotify},
 * {@link #reset} and every other device callback run on the VMM event-loop thread, so device
 * state needs no locking.
 */
public interface VirtioDevice {
    /** Virtio device type (section 5), e.g. {@link Virtio#DEVICE_ID_BLOCK}. */
    int deviceType();

    /** Short human name for logs, e.g. {@code block rootfs}. */
    String name();

    /** Feature bits offered to the driver, including transport bits such as VERSION_1. */
    long deviceFeatures();

    int queueCount();

    /** Queue indexes the driver must make ready for the device to work: all, unless the device says otherwise. */
    default boolean queueRequired(int queueIndex) {
        return true;
    }

    /** Reads {@code size} bytes of device config space at {@code offset}; 0 beyond its end. */
    long readConfig(int offset, int size);

    /**
     * Writes device config space. Most devices have none the driver may write (no CONFIG_WCE for
     * block, the MAC only through a control queue we do not offer, vsock's guest_cid and pmem's
     * region are the host's): the write is dropped and counted as {@code cfg_fails}.
     */
    default void writeConfig(int offset, int size, long value) {
        metrics().cfgFails.inc();
    }

    /**
     * The transport was attached to the VM: register timers and host fds on {@code loop}.
     * Called once, before any other event-loop callback.
     */
    default void attach(dev.ember.eventloop.EventLoop loop) {}

    /** The driver set DRIVER_OK: queues are validated and ready. Event-loop thread. */
    void activate(VirtioTransport transport);

    /** The driver kicked queue {@code queueIndex} (or activation asks for a first pass). */
    void onQueueNotify(int queueIndex);

    /** Device reset: drop all queue state and return to the pre-activation state. */
    void reset();

    /** Counters the transport updates (activation failures, malformed queues). */
    DeviceMetrics metrics();

    /**
     * Where the transport counts an interrupt it could not raise (the line's irqfd is gone):
     * Firecracker's {@code event_fails} of the device's kind, or null where Firecracker counts none.
     */
    default DeviceCounter interruptFailures() {
        return null;
    }

    /**
     * Device state beyond the transport's (registers, rings), appended to the transport's
     * snapshot section. Event-loop thread, vCPUs paused. Most devices have none.
     */
    default void saveDeviceState(dev.ember.snapshot.StateWriter out) {}

    /**
     * Reads what {@link #saveDeviceState} wrote, before the transport re-activates the device.
     * Event-loop thread.
     */
    default void restoreDeviceState(dev.ember.snapshot.StateReader in) {}

    /**
     * Whether another process serves this device's queues (vhost-user): the transport then
     * leaves the queues' notify eventfds off the event loop, so a kick goes from KVM's ioeventfd
     * straight to that process, which raises the used-buffer interrupt itself through the line's
     * irqfd ({@link VirtioTransport#queueNotifyFd}, {@link VirtioTransport#queueInterruptFd}).
     */
    default boolean externalDataPlane() {
        return false;
    }

    /** Releases host resources (files, TAP fds, timers). Event-loop thread or after it stopped. */
    default void close() {}
}
