package dev.ember.metrics;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The process-wide metrics registry. Components look up their group once when created and keep
 * the {@link Counter} references; the metrics writer (api-server) walks the groups to serialise.
 */
public final class Metrics {
    private static final Map<String, MetricGroup> GROUPS = new ConcurrentHashMap<>();

    private Metrics() {}

    public static MetricGroup group(String name) {
        return GROUPS.computeIfAbsent(name, MetricGroup::new);
    }

    public static List<MetricGroup> groups() {
        return new ArrayList<>(GROUPS.values());
    }
}
