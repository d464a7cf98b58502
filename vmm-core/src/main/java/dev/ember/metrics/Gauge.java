package dev.ember.metrics;

/**
 * A metric that holds the last value stored, e.g. the latency of the last snapshot load
 * (Firecracker's SharedStoreMetric). Metrics files report the value as is, not a delta.
 * Storing is one volatile write: no allocation, any thread.
 */
public final class Gauge implements Metric {
    private final String name;
    private volatile long value;

    Gauge(String name) {
        this.name = name;
    }

    @Override
    public String name() {
        return name;
    }

    public void set(long v) {
        value = v;
    }

    public long get() {
        return value;
    }
}
