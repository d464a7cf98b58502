package dev.ember.devices.virtio.vsock;

import dev.ember.devices.virtio.DeviceCounter;
import dev.ember.devices.virtio.DeviceMetrics;

/** Firecracker's vsock counters (the {@code vsock} group), looked up once. */
final class VsockMetrics {
    final DeviceCounter rxQueueEventFails;
    final DeviceCounter txQueueEventFails;
    final DeviceCounter evQueueEventFails;
    final DeviceCounter muxerEventFails;
    final DeviceCounter connEventFails;
    final DeviceCounter rxQueueEventCount;
    final DeviceCounter txQueueEventCount;
    final DeviceCounter rxBytes;
    final DeviceCounter txBytes;
    final DeviceCounter rxPackets;
    final DeviceCounter txPackets;
    final DeviceCounter connsAdded;
    final DeviceCounter connsKilled;
    final DeviceCounter connsRemoved;
    final DeviceCounter killqResync;
    final DeviceCounter txFlushFails;
    final DeviceCounter txWriteFails;
    final DeviceCounter rxReadFails;

    VsockMetrics(DeviceMetrics m) {
        rxQueueEventFails = m.counter("rx_queue_event_fails");
        txQueueEventFails = m.counter("tx_queue_event_fails");
        evQueueEventFails = m.counter("ev_queue_event_fails");
        muxerEventFails = m.counter("muxer_event_fails");
        connEventFails = m.counter("conn_event_fails");
        rxQueueEventCount = m.counter("rx_queue_event_count");
        txQueueEventCount = m.counter("tx_queue_event_count");
        rxBytes = m.counter("rx_bytes_count");
        txBytes = m.counter("tx_bytes_count");
        rxPackets = m.counter("rx_packets_count");
        txPackets = m.counter("tx_packets_count");
        connsAdded = m.counter("conns_added");
        connsKilled = m.counter("conns_killed");
        connsRemoved = m.counter("conns_removed");
        killqResync = m.counter("killq_resync");
        txFlushFails = m.counter("tx_flush_fails");
        txWriteFails = m.counter("tx_write_fails");
        rxReadFails = m.counter("rx_read_fails");
    }
}
