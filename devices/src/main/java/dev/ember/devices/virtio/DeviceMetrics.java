package dev.ember.devices.virtio;

import dev.ember.metrics.MetricGroup;
import dev.ember.metrics.Metrics;

/**
 * The metric groups of one device: {@code <kind>_<id>} and the aggregate {@code <kind>}.
 * Devices look their counters up once at construction; the transport uses the two counters
 * every virtio device has.
 */
public final class DeviceMetrics {
    private final MetricGroup own;
    private final MetricGroup aggregate;
    /** Driver set DRIVER_OK with a queue configuration we could not use. */
    public final DeviceCounter activateFails;
    /** Malformed descriptor chains and impossible request layouts (DEVICE_NEEDS_RESET raised). */
    public final DeviceCounter deviceErrors;
    /** Invalid accesses to the transport or config space (bad offsets, bad state). */
    public final DeviceCounter cfgFails;

    public DeviceMetrics(String kind, String id) {
        this.own = Metrics.group(kind + "_" + id);
        this.aggregate = Metrics.group(kind);
        this.activateFails = counter("activate_fails");
        this.deviceErrors = counter("device_errors");
        this.cfgFails = counter("cfg_fails");
    }

    public DeviceCounter counter(String name) {
        return new DeviceCounter(own.counter(name), aggregate.counter(name));
    }

    public MetricGroup group() {
        return own;
    }
}
