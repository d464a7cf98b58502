package dev.ember.metrics;

import java.util.concurrent.atomic.AtomicLongFieldUpdater;

/**
 * A monotonically increasing metric. Incrementing is one atomic add: no allocation, safe from
 * any thread. Readers see the running total; {@link #delta()} gives what accrued since the last
 * flush, which is what Firecracker's metrics files report.
 */
public final class Counter implements Metric {
    private static final AtomicLongFieldUpdater<Counter> VALUE = AtomicLongFieldUpdater.newUpdater(Counter.class, "value");

    private final String name;
    private volatile long value;
    private long flushed;

    Counter(String name) {
        this.name = name;
    }

    @Override
    public String name() {
        return name;
    }

    public void inc() {
        VALUE.incrementAndGet(this);
    }

    public void add(long n) {
        VALUE.addAndGet(this, n);
    }

    public long get() {
        return value;
    }

    /** Value accrued since the previous call; called only by the metrics flusher. */
    public synchronized long delta() {
        long v = value;
        long d = v - flushed;
        flushed = v;
        return d;
    }
}
