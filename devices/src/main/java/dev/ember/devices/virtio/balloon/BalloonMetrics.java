package dev.ember.devices.virtio.balloon;

import dev.ember.devices.virtio.DeviceCounter;
import dev.ember.devices.virtio.DeviceMetrics;

/** Firecracker's balloon counters (the {@code balloon} group), looked up once. */
final class BalloonMetrics {
    final DeviceCounter inflateCount;
    final DeviceCounter deflateCount;
    final DeviceCounter statsUpdatesCount;
    final DeviceCounter statsUpdateFails;
    final DeviceCounter eventFails;
    final DeviceCounter freePageReportCount;
    final DeviceCounter freePageReportFreed;
    final DeviceCounter freePageReportFails;
    final DeviceCounter freePageHintCount;
    final DeviceCounter freePageHintFreed;
    final DeviceCounter freePageHintFails;

    BalloonMetrics(DeviceMetrics m) {
        inflateCount = m.counter("inflate_count");
        deflateCount = m.counter("deflate_count");
        statsUpdatesCount = m.counter("stats_updates_count");
        statsUpdateFails = m.counter("stats_update_fails");
        eventFails = m.counter("event_fails");
        freePageReportCount = m.counter("free_page_report_count");
        freePageReportFreed = m.counter("free_page_report_freed");
        freePageReportFails = m.counter("free_page_report_fails");
        freePageHintCount = m.counter("free_page_hint_count");
        freePageHintFreed = m.counter("free_page_hint_freed");
        freePageHintFails = m.counter("free_page_hint_fails");
    }
}
