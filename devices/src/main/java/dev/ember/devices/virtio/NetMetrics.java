package dev.ember.devices.virtio;

/** Firecracker's network-device counters ({@code net} and {@code net_<iface_id>} groups). */
final class NetMetrics {
    final DeviceCounter rxQueueEventCount;
    final DeviceCounter rxTapEventCount;
    final DeviceCounter rxBytes;
    final DeviceCounter rxPackets;
    final DeviceCounter rxFails;
    final DeviceCounter rxCount;
    final DeviceCounter noRxAvailBuffer;
    final DeviceCounter rxRateLimiterThrottled;
    final DeviceCounter rxFramesTooBig;
    final DeviceCounter tapReadFails;
    final DeviceCounter tapWriteFails;
    final DeviceCounter txQueueEventCount;
    final DeviceCounter txBytes;
    final DeviceCounter txPackets;
    final DeviceCounter txCount;
    final DeviceCounter txFails;
    final DeviceCounter txMalformedFrames;
    final DeviceCounter txRateLimiterThrottled;
    final DeviceCounter txIntercepted;

    NetMetrics(DeviceMetrics m) {
        rxQueueEventCount = m.counter("rx_queue_event_count");
        rxTapEventCount = m.counter("rx_tap_event_count");
        rxBytes = m.counter("rx_bytes_count");
        rxPackets = m.counter("rx_packets_count");
        rxFails = m.counter("rx_fails");
        rxCount = m.counter("rx_count");
        noRxAvailBuffer = m.counter("no_rx_avail_buffer");
        rxRateLimiterThrottled = m.counter("rx_rate_limiter_throttled");
        rxFramesTooBig = m.counter("rx_frames_too_big");
        tapReadFails = m.counter("tap_read_fails");
        tapWriteFails = m.counter("tap_write_fails");
        txQueueEventCount = m.counter("tx_queue_event_count");
        txBytes = m.counter("tx_bytes_count");
        txPackets = m.counter("tx_packets_count");
        txCount = m.counter("tx_count");
        txFails = m.counter("tx_fails");
        txMalformedFrames = m.counter("tx_malformed_frames");
        txRateLimiterThrottled = m.counter("tx_rate_limiter_throttled");
        txIntercepted = m.counter("tx_intercepted_frames");
    }
}
