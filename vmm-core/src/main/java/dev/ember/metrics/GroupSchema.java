package dev.ember.metrics;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;

/**
 * The fields one metric group has, as data: declaring the group creates every field at once, so
 * a metrics line carries each name (at zero) before the event it counts ever happens, as
 * Firecracker's fixed structs do. Built by chaining at class initialisation.
 */
public final class GroupSchema {
    /** Firecracker's metric kinds. */
    public enum Kind {
        /** SharedIncMetric: a {@link Counter}, reported per flush. */
        INC,
        /** SharedStoreMetric: a {@link Gauge}, reported as stored. */
        STORE,
        /** LatencyAggregateMetrics: a {@link LatencyAggregate}, an object of min_us, max_us, sum_us. */
        LATENCY
    }

    public record Field(String name, Kind kind) {}

    private final String name;
    private final List<Field> fields;

    private GroupSchema(String name, List<Field> fields) {
        this.name = name;
        this.fields = Collections.unmodifiableList(fields);
    }

    public static GroupSchema group(String name) {
        return new GroupSchema(name, List.of());
    }

    /**
     * A group whose fields are an enum's constants, lower-cased ({@code READ_BYTES} is
     * {@code read_bytes}); a constant ending in {@code _AGG} is a latency aggregate, the others counters.
     */
    public static <E extends Enum<E>> GroupSchema of(String name, Class<E> fields) {
        List<Field> all = new ArrayList<>();
        for (E e : fields.getEnumConstants()) {
            all.add(new Field(fieldName(e), isLatency(e) ? Kind.LATENCY : Kind.INC));
        }
        return new GroupSchema(name, all);
    }

    /** The metric name of an enum-declared field: the constant's name, lower-cased. */
    public static String fieldName(Enum<?> field) {
        return field.name().toLowerCase(Locale.ROOT);
    }

    public static boolean isLatency(Enum<?> field) {
        return field.name().endsWith("_AGG");
    }

    public GroupSchema counters(String... names) {
        return with(Kind.INC, names);
    }

    public GroupSchema stores(String... names) {
        return with(Kind.STORE, names);
    }

    public GroupSchema latencies(String... names) {
        return with(Kind.LATENCY, names);
    }

    private GroupSchema with(Kind kind, String... names) {
        List<Field> all = new ArrayList<>(fields);
        for (String n : names) {
            all.add(new Field(n, kind));
        }
        return new GroupSchema(name, all);
    }

    public String name() {
        return name;
    }

    public List<Field> fields() {
        return fields;
    }

    /** Creates the group of this schema's name with every field. */
    public MetricGroup declare() {
        return declare(name);
    }

    /** Creates {@code groupName} (e.g. {@code block_rootfs} for the {@code block} schema) with every field. */
    public MetricGroup declare(String groupName) {
        MetricGroup g = Metrics.group(groupName);
        for (Field f : fields) {
            switch (f.kind()) {
                case INC -> g.counter(f.name());
                case STORE -> g.gauge(f.name());
                case LATENCY -> g.latency(f.name());
            }
        }
        return g;
    }
}
