package dev.ember.metrics;

/**
 * One named value of a {@link MetricGroup}, in Firecracker's three kinds: a {@link Counter}
 * (SharedIncMetric, reported as what accrued since the last flush), a {@link Gauge}
 * (SharedStoreMetric, reported as stored) and a {@link LatencyAggregate} (LatencyAggregateMetrics,
 * an object of {@code min_us}, {@code max_us} and {@code sum_us}).
 */
public sealed interface Metric permits Counter, Gauge, LatencyAggregate {
    String name();
}
