package dev.ember.devices.virtio;

import dev.ember.metrics.GroupSchema;
import dev.ember.metrics.MetricGroup;
import java.util.EnumMap;

/**
 * The metric groups of one device: {@code <kind>_<id>} and the aggregate {@code <kind>}, each with
 * every field of the kind's Firecracker schema. Devices look their counters up once at
 * construction; the transport uses the counters every virtio device has.
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
    /** DEVICE_NEEDS_RESET by what the driver got wrong: {@code device_errors_<reason>}. */
    private final EnumMap<VirtqueueException.Reason, DeviceCounter> errorsByReason =
            new EnumMap<>(VirtqueueException.Reason.class);

    public DeviceMetrics(GroupSchema kind, String id) {
        this(kind.declare(kind.name() + "_" + id), kind.declare());
    }

    /** A device whose counters live in {@code own} only, with no aggregate group (Firecracker's vhost-user devices). */
    public static DeviceMetrics ofGroup(MetricGroup own) {
        return new DeviceMetrics(own, null);
    }

    /** A device there is at most one of (vsock): its counters live in the {@code kind} group only. */
    public static DeviceMetrics single(GroupSchema kind) {
        return new DeviceMetrics(kind.declare(), null);
    }

    private DeviceMetrics(MetricGroup own, MetricGroup aggregate) {
        this.own = own;
        this.aggregate = aggregate;
        this.activateFails = counter("activate_fails");
        this.deviceErrors = counter("device_errors");
        this.cfgFails = counter("cfg_fails");
        for (VirtqueueException.Reason r : VirtqueueException.Reason.values()) {
            errorsByReason.put(r, counter(r.metricName()));
        }
    }

    /**
     * Whether a config-space read of {@code size} (1..8) bytes at {@code offset} lies inside a
     * config space of {@code configSize} bytes; counts {@code cfg_fails} when it does not.
     */
    public boolean configAccessValid(int offset, int size, int configSize) {
        if (offset < 0 || size <= 0 || size > 8 || offset + size > configSize) {
            cfgFails.inc();
            return false;
        }
        return true;
    }

    /** The counter of DEVICE_NEEDS_RESET raised for {@code reason} (at DRIVER_OK or in a queue pass). */
    public DeviceCounter errors(VirtqueueException.Reason reason) {
        return errorsByReason.get(reason);
    }

    public DeviceCounter counter(String name) {
        return new DeviceCounter(own.counter(name), aggregate == null ? null : aggregate.counter(name));
    }

    /** Every field of {@code fields} (an enum of Firecracker's names for this kind), indexed by constant. */
    public <E extends Enum<E>> DeviceCounters<E> counters(Class<E> fields) {
        return new DeviceCounters<>(this, fields);
    }

    /** A duration kept per device (min, max, sum) and summed into the aggregate, as Firecracker's {@code read_agg}. */
    public DeviceLatency latency(String name) {
        return new DeviceLatency(own.latency(name), aggregate == null ? null : aggregate.latency(name));
    }

    public MetricGroup group() {
        return own;
    }
}
