package dev.ember.devices.virtio.pmem;

import dev.ember.devices.virtio.DeviceCounter;
import dev.ember.devices.virtio.DeviceMetrics;

/** Firecracker's pmem counters (the {@code pmem} group and {@code pmem_<id>}), looked up once. */
final class PmemMetrics {
    final DeviceCounter eventFails;
    final DeviceCounter queueEventCount;
    final DeviceCounter rateLimiterEventCount;
    final DeviceCounter rateLimiterThrottled;

    PmemMetrics(DeviceMetrics m) {
        eventFails = m.counter("event_fails");
        queueEventCount = m.counter("queue_event_count");
        rateLimiterEventCount = m.counter("rate_limiter_event_count");
        rateLimiterThrottled = m.counter("rate_limiter_throttled_events");
    }
}
