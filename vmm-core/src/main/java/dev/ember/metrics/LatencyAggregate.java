package dev.ember.metrics;

import java.util.concurrent.atomic.AtomicLongFieldUpdater;

/**
 * Firecracker's LatencyAggregateMetrics: the shortest and longest duration seen (kept, like a
 * {@link Gauge}) and the sum of all durations (reported per flush, like a {@link Counter}), in
 * microseconds. Divide {@code sum_us} by the matching counter for the mean. Recording is a few
 * atomic operations: no allocation, any thread. Zero means "none yet", as in Firecracker.
 */
public final class LatencyAggregate implements Metric {
    private static final AtomicLongFieldUpdater<LatencyAggregate> MIN = AtomicLongFieldUpdater.newUpdater(LatencyAggregate.class, "min");
    private static final AtomicLongFieldUpdater<LatencyAggregate> MAX = AtomicLongFieldUpdater.newUpdater(LatencyAggregate.class, "max");

    private final String name;
    private volatile long min;
    private volatile long max;
    private final Counter sum = new Counter("sum_us");

    LatencyAggregate(String name) {
        this.name = name;
    }

    @Override
    public String name() {
        return name;
    }

    /** Adds one duration of {@code us} microseconds. */
    public void record(long us) {
        sum.add(us);
        long m;
        while (((m = min) == 0 || us < m) && !MIN.compareAndSet(this, m, us)) {
            // another thread stored first: look again
        }
        while (((m = max) == 0 || us > m) && !MAX.compareAndSet(this, m, us)) {
            // as above
        }
    }

    /** Adds the duration since {@code startNanos} (a System.nanoTime() reading). */
    public void recordSince(long startNanos) {
        record((System.nanoTime() - startNanos) / 1000);
    }

    /** Adds only to the sum: an aggregate of several devices' durations, as Firecracker's {@code block} group has. */
    public void addToSum(long us) {
        sum.add(us);
    }

    public long minUs() {
        return min;
    }

    public long maxUs() {
        return max;
    }

    /** The running total of {@code sum_us}. */
    public long sumUs() {
        return sum.get();
    }

    /** The sum accrued since the last flush; called only by the metrics flusher. */
    public long sumDelta() {
        return sum.delta();
    }
}
