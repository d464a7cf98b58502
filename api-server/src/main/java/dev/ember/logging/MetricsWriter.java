package dev.ember.logging;

import dev.ember.config.ConfigException;
import dev.ember.config.MetricsConfig;
import dev.ember.config.StrictWriter;
import dev.ember.log.Log;
import dev.ember.metrics.Counter;
import dev.ember.metrics.FirecrackerMetrics;
import dev.ember.metrics.Gauge;
import dev.ember.metrics.LatencyAggregate;
import dev.ember.metrics.Metric;
import dev.ember.metrics.MetricGroup;
import dev.ember.metrics.Metrics;
import java.nio.charset.StandardCharsets;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * Writes every metric group of the {@link Metrics} registry as one JSON object per line, to a
 * file or FIFO, every 60 s and on FlushMetrics. Values are what accrued since the previous
 * flush ({@link Counter#delta()}), as in Firecracker's metrics files. Writes never block: a
 * full FIFO drops the line and counts {@code logger.missed_metrics_count}.
 */
public final class MetricsWriter implements AutoCloseable {
    public static final long FLUSH_PERIOD_SECONDS = 60;

    private static final System.Logger LOG = Log.logger(MetricsWriter.class);
    private static final Counter MISSED = Metrics.group("logger").counter("missed_metrics_count");
    private static final Counter FAILS = Metrics.group("logger").counter("metrics_fails");

    private NonBlockingSink sink;
    private ScheduledExecutorService timer;

    /** Opens the metrics destination; like Firecracker, only once per process. */
    public synchronized void configure(MetricsConfig config) throws ConfigException {
        if (sink != null) {
            throw new ConfigException(ConfigException.Reason.CONFLICT, "Reinitialization of metrics not allowed. (metrics already go to " + sink.path() + ")");
        }
        try {
            sink = NonBlockingSink.openForWholeRecords(config.metricsPath(), MISSED);
        } catch (NonBlockingSink.SinkException e) {
            throw new ConfigException(ConfigException.Reason.FILE, "metrics.metrics_path: " + e.getMessage() + "; give a writable file or a FIFO (mkfifo)");
        }
        timer = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "ember-metrics");
            t.setDaemon(true);
            return t;
        });
        timer.scheduleAtFixedRate(this::periodicFlush, FLUSH_PERIOD_SECONDS, FLUSH_PERIOD_SECONDS, TimeUnit.SECONDS);
    }

    public synchronized boolean configured() {
        return sink != null;
    }

    /**
     * Writes one line now. Returns false when no destination is configured or the line was
     * dropped; FlushMetrics reports the former as an error.
     */
    public synchronized boolean flush() {
        if (sink == null) {
            return false;
        }
        boolean ok = sink.write(snapshotLine(System.currentTimeMillis()));
        if (!ok) {
            FAILS.inc();
        }
        return ok;
    }

    private void periodicFlush() {
        try {
            flush();
        } catch (RuntimeException e) {
            LOG.log(System.Logger.Level.ERROR, "periodic metrics flush failed: " + e);
        }
    }

    /**
     * One JSON object: {@code utc_timestamp_ms} then each group (sorted) with its fields: counters
     * as deltas, stored values as they are, latency aggregates as {@code {min_us, max_us, sum_us}}.
     */
    static String snapshotLine(long utcMillis) {
        byte[] line = StrictWriter.write(out -> {
            out.writeStartObject();
            out.writeNumberField("utc_timestamp_ms", utcMillis);
            for (MetricGroup g : sortedGroups()) {
                out.writeObjectFieldStart(g.name());
                for (Metric m : g.metrics()) {
                    if (m instanceof Counter c) {
                        out.writeNumberField(c.name(), c.delta());
                    } else if (m instanceof Gauge gauge) {
                        out.writeNumberField(gauge.name(), gauge.get());
                    } else if (m instanceof LatencyAggregate l) {
                        out.writeObjectFieldStart(l.name());
                        out.writeNumberField("min_us", l.minUs());
                        out.writeNumberField("max_us", l.maxUs());
                        out.writeNumberField("sum_us", l.sumDelta());
                        out.writeEndObject();
                    }
                }
                out.writeEndObject();
            }
            out.writeEndObject();
        });
        return new String(line, StandardCharsets.UTF_8) + "\n";
    }

    private static List<MetricGroup> sortedGroups() {
        FirecrackerMetrics.declare();
        List<MetricGroup> groups = Metrics.groups();
        groups.sort(Comparator.comparing(MetricGroup::name));
        return groups;
    }

    /**
     * The registry in OpenMetrics text format (cumulative totals, not deltas), for
     * GET /metrics/prometheus. Names are {@code ember_<group>_<counter>_total}; a latency
     * aggregate is two gauges ({@code _min_us}, {@code _max_us}) and a counter ({@code _sum_us_total}).
     */
    public static String openMetrics() {
        StringBuilder sb = new StringBuilder(16384);
        for (MetricGroup g : sortedGroups()) {
            for (Metric m : g.metrics()) {
                String name = sanitize("ember_" + g.name() + "_" + m.name());
                if (m instanceof Counter c) {
                    counter(sb, name, c.get());
                } else if (m instanceof Gauge gauge) {
                    gauge(sb, name, gauge.get());
                } else if (m instanceof LatencyAggregate l) {
                    gauge(sb, name + "_min_us", l.minUs());
                    gauge(sb, name + "_max_us", l.maxUs());
                    counter(sb, name + "_sum_us", l.sumUs());
                }
            }
        }
        return sb.append("# EOF\n").toString();
    }

    private static void counter(StringBuilder sb, String name, long total) {
        sb.append("# TYPE ").append(name).append(" counter\n").append(name).append("_total ").append(total).append('\n');
    }

    private static void gauge(StringBuilder sb, String name, long value) {
        sb.append("# TYPE ").append(name).append(" gauge\n").append(name).append(' ').append(value).append('\n');
    }

    static String sanitize(String name) {
        StringBuilder sb = new StringBuilder(name.length());
        for (int i = 0; i < name.length(); i++) {
            char ch = name.charAt(i);
            boolean ok = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || ch == '_' || (i > 0 && ch >= '0' && ch <= '9');
            sb.append(ok ? ch : '_');
        }
        return sb.toString();
    }

    @Override
    public synchronized void close() {
        if (timer != null) {
            timer.shutdownNow();
            timer = null;
        }
        if (sink != null) {
            flush();
            sink.close();
        }
    }
}
