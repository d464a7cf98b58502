package dev.ember.metrics;

import java.util.ArrayList;
import java.util.List;

/**
 * A named set of metrics, e.g. {@code block_rootfs} or {@code uart} (Firecracker's groups), in
 * the order they were declared. Looking a metric up creates it on first use (at start-up or
 * device creation, not on hot paths); the same name always gives the same metric.
 */
public final class MetricGroup {
    private final String name;
    private final List<Metric> metrics = new ArrayList<>();

    MetricGroup(String name) {
        this.name = name;
    }

    public String name() {
        return name;
    }

    public Counter counter(String metricName) {
        return find(metricName, Counter.class);
    }

    public Gauge gauge(String metricName) {
        return find(metricName, Gauge.class);
    }

    public LatencyAggregate latency(String metricName) {
        return find(metricName, LatencyAggregate.class);
    }

    /** Every metric, in declaration order. */
    public synchronized List<Metric> metrics() {
        return List.copyOf(metrics);
    }

    /** The counters alone, in declaration order. */
    public synchronized List<Counter> counters() {
        List<Counter> out = new ArrayList<>();
        for (Metric m : metrics) {
            if (m instanceof Counter c) {
                out.add(c);
            }
        }
        return out;
    }

    private synchronized <M extends Metric> M find(String metricName, Class<M> kind) {
        for (Metric m : metrics) {
            if (m.name().equals(metricName)) {
                if (!kind.isInstance(m)) {
                    throw new IllegalStateException(name + "." + metricName + " is a " + m.getClass().getSimpleName() + ", not a " + kind.getSimpleName());
                }
                return kind.cast(m);
            }
        }
        Metric created;
        if (kind == Counter.class) {
            created = new Counter(metricName);
        } else if (kind == Gauge.class) {
            created = new Gauge(metricName);
        } else {
            created = new LatencyAggregate(metricName);
        }
        metrics.add(created);
        return kind.cast(created);
    }
}
