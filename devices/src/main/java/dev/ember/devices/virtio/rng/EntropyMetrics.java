package dev.ember.devices.virtio.rng;

import dev.ember.devices.virtio.DeviceCounter;
import dev.ember.devices.virtio.DeviceMetrics;

/** Firecracker's entropy counters (the {@code entropy} group), looked up once. */
final class EntropyMetrics {
    final DeviceCounter eventFails;
    final DeviceCounter eventCount;
    final DeviceCounter bytes;
    final DeviceCounter hostRngFails;
    final DeviceCounter rateLimiterThrottled;
    final DeviceCounter rateLimiterEventCount;

    EntropyMetrics(DeviceMetrics m) {
        eventFails = m.counter("entropy_event_fails");
        eventCount = m.counter("entropy_event_count");
        bytes = m.counter("entropy_bytes");
        hostRngFails = m.counter("host_rng_fails");
        rateLimiterThrottled = m.counter("entropy_rate_limiter_throttled");
        rateLimiterEventCount = m.counter("rate_limiter_event_count");
    }
}
