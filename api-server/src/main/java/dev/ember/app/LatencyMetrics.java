package dev.ember.app;

import dev.ember.metrics.Gauge;
import dev.ember.metrics.MetricGroup;
import dev.ember.metrics.Metrics;

/**
 * Firecracker's {@code latencies_us} group: how long the last snapshot and pause/resume
 * operations took, in microseconds. The plain names time the whole API request (as the
 * API sees it); the {@code vmm_} names time the VMM's part alone. Values are the last
 * measurement, not sums.
 */
public final class LatencyMetrics {
    private static final MetricGroup GROUP = Metrics.group("latencies_us");

    public static final Gauge FULL_CREATE_SNAPSHOT = GROUP.gauge("full_create_snapshot");
    public static final Gauge DIFF_CREATE_SNAPSHOT = GROUP.gauge("diff_create_snapshot");
    public static final Gauge LOAD_SNAPSHOT = GROUP.gauge("load_snapshot");
    public static final Gauge PAUSE_VM = GROUP.gauge("pause_vm");
    public static final Gauge RESUME_VM = GROUP.gauge("resume_vm");
    public static final Gauge VMM_FULL_CREATE_SNAPSHOT = GROUP.gauge("vmm_full_create_snapshot");
    public static final Gauge VMM_DIFF_CREATE_SNAPSHOT = GROUP.gauge("vmm_diff_create_snapshot");
    public static final Gauge VMM_LOAD_SNAPSHOT = GROUP.gauge("vmm_load_snapshot");
    public static final Gauge VMM_PAUSE_VM = GROUP.gauge("vmm_pause_vm");
    public static final Gauge VMM_RESUME_VM = GROUP.gauge("vmm_resume_vm");

    private LatencyMetrics() {}

    /** Makes the group appear in the metrics output before the first measurement. */
    public static void register() {
        // class initialisation above does the work
    }

    /** Stores the microseconds elapsed since {@code startNanos} (System.nanoTime()). */
    public static long since(Gauge gauge, long startNanos) {
        long us = (System.nanoTime() - startNanos) / 1000;
        gauge.set(us);
        return us;
    }
}
