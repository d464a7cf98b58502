package dev.ember.metrics;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/** A named set of counters, e.g. {@code block_rootfs} or {@code uart} (Firecracker's groups). */
public final class MetricGroup {
    private final String name;
    private final List<Counter> counters = new ArrayList<>();
    private final List<Gauge> gauges = new ArrayList<>();

    MetricGroup(String name) {
        this.name = name;
    }

    public String name() {
        return name;
    }

    /** Returns the counter with this name, creating it on first use (at device creation, not on hot paths). */
    public synchronized Counter counter(String counterName) {
        for (Counter c : counters) {
            if (c.name().equals(counterName)) {
                return c;
            }
        }
        Counter c = new Counter(counterName);
        counters.add(c);
        return c;
    }

    public synchronized List<Counter> counters() {
        return Collections.unmodifiableList(new ArrayList<>(counters));
    }

    /** Returns the gauge with this name, creating it on first use. */
    public synchronized Gauge gauge(String gaugeName) {
        for (Gauge g : gauges) {
            if (g.name().equals(gaugeName)) {
                return g;
            }
        }
        Gauge g = new Gauge(gaugeName);
        gauges.add(g);
        return g;
    }

    public synchronized List<Gauge> gauges() {
        return Collections.unmodifiableList(new ArrayList<>(gauges));
    }
}
