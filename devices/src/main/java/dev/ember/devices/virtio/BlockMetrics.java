package dev.ember.devices.virtio;

/** Firecracker's block-device counters ({@code block} and {@code block_<drive_id>} groups). */
final class BlockMetrics {
    final DeviceCounter readBytes;
    final DeviceCounter writeBytes;
    final DeviceCounter readCount;
    final DeviceCounter writeCount;
    final DeviceCounter flushCount;
    final DeviceCounter queueEventCount;
    final DeviceCounter executeFails;
    final DeviceCounter invalidReqs;
    final DeviceCounter updateCount;
    final DeviceCounter updateFails;
    final DeviceCounter rateLimiterThrottled;
    final DeviceLatency readAgg;
    final DeviceLatency writeAgg;

    BlockMetrics(DeviceMetrics m) {
        readBytes = m.counter("read_bytes");
        writeBytes = m.counter("write_bytes");
        readCount = m.counter("read_count");
        writeCount = m.counter("write_count");
        flushCount = m.counter("flush_count");
        queueEventCount = m.counter("queue_event_count");
        executeFails = m.counter("execute_fails");
        invalidReqs = m.counter("invalid_reqs_count");
        updateCount = m.counter("update_count");
        updateFails = m.counter("update_fails");
        rateLimiterThrottled = m.counter("rate_limiter_throttled_events");
        readAgg = m.latency("read_agg");
        writeAgg = m.latency("write_agg");
    }
}
