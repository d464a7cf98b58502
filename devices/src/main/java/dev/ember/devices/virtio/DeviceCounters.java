package dev.ember.devices.virtio;

import dev.ember.metrics.GroupSchema;

/**
 * A device's metrics indexed by an enum of Firecracker's field names
 * ({@link dev.ember.metrics.FirecrackerMetrics.Block} and the like): {@code m.get(READ_BYTES).add(n)}.
 * Looked up once when the device is made; a lookup is an array read, no allocation.
 */
public final class DeviceCounters<E extends Enum<E>> {
    private final DeviceCounter[] counters;
    private final DeviceLatency[] latencies;

    DeviceCounters(DeviceMetrics metrics, Class<E> fields) {
        E[] all = fields.getEnumConstants();
        counters = new DeviceCounter[all.length];
        latencies = new DeviceLatency[all.length];
        for (E f : all) {
            if (GroupSchema.isLatency(f)) {
                latencies[f.ordinal()] = metrics.latency(GroupSchema.fieldName(f));
            } else {
                counters[f.ordinal()] = metrics.counter(GroupSchema.fieldName(f));
            }
        }
    }

    public DeviceCounter get(E field) {
        return counters[field.ordinal()];
    }

    public DeviceLatency latency(E field) {
        return latencies[field.ordinal()];
    }
}
