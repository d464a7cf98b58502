package dev.ember.devices.virtio;

import dev.ember.metrics.LatencyAggregate;

/**
 * A latency aggregate kept as Firecracker keeps a device's: min, max and sum in the device's own
 * group, only the sum in the aggregate of its kind (a minimum across devices says little). No
 * allocation.
 */
public final class DeviceLatency {
    private final LatencyAggregate own;
    private final LatencyAggregate aggregate;

    DeviceLatency(LatencyAggregate own, LatencyAggregate aggregate) {
        this.own = own;
        this.aggregate = aggregate;
    }

    /** Adds the duration since {@code startNanos} (a System.nanoTime() reading). */
    public void recordSince(long startNanos) {
        long us = (System.nanoTime() - startNanos) / 1000;
        own.record(us);
        if (aggregate != null) {
            aggregate.addToSum(us);
        }
    }
}
