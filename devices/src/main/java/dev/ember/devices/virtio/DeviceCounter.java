package dev.ember.devices.virtio;

import dev.ember.metrics.Counter;

/**
 * A counter kept twice, as Firecracker reports device metrics: once in the device's own group
 * ({@code block_rootfs}) and once in the aggregate of its kind ({@code block}). Two atomic adds,
 * no allocation. A device there is only one of keeps it once ({@code aggregate} null).
 */
public final class DeviceCounter {
    private final Counter own;
    private final Counter aggregate;

    DeviceCounter(Counter own, Counter aggregate) {
        this.own = own;
        this.aggregate = aggregate;
    }

    public void inc() {
        own.inc();
        if (aggregate != null) {
            aggregate.inc();
        }
    }

    public void add(long n) {
        own.add(n);
        if (aggregate != null) {
            aggregate.add(n);
        }
    }

    /** The device's own running total. */
    public long get() {
        return own.get();
    }
}
