package dev.ember.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Every figure of a run: grouped by section and metric, one row per subject (an Ember variant,
 * the JVM floor, or the peer). Rows of the peer (subjects starting with "qemu") give the ratio
 * printed next to each Ember figure of the same section and metric. Printed as a table and
 * written as JSON with the machine description.
 */
public final class Results {
    /** One measured figure: its samples' summary, or a reason it could not be measured. */
    public record Row(String section, String metric, String subject, String unit, Stats stats, String note) {
        boolean isPeer() {
            return subject.startsWith("qemu");
        }
    }

    private final List<Row> rows = new ArrayList<>();
    private final Map<String, Object> machine = new LinkedHashMap<>();
    private final List<String> notes = new ArrayList<>();

    public synchronized void add(String section, String metric, String subject, String unit, Stats stats, String note) {
        rows.add(new Row(section, metric, subject, unit, stats, note == null ? "" : note));
    }

    public void add(String section, String metric, String subject, String unit, double[] samples, String note) {
        add(section, metric, subject, unit, Stats.of(samples), note);
    }

    /** A figure that could not be measured, with the reason: shown, never silently left out. */
    public void skip(String section, String metric, String subject, String reason) {
        add(section, metric, subject, "", (Stats) null, "NOT MEASURED: " + reason);
    }

    public synchronized void note(String text) {
        notes.add(text);
    }

    public void machine(String key, Object value) {
        machine.put(key, value);
    }

    public synchronized List<Row> rows() {
        return List.copyOf(rows);
    }

    /** The peer's row for the same section and metric, if measured. */
    Row peerOf(Row r) {
        if (r.isPeer()) {
            return null;
        }
        for (Row p : rows) {
            if (p.isPeer() && p.stats() != null && p.section().equals(r.section()) && p.metric().equals(r.metric())) {
                return p;
            }
        }
        return null;
    }

    Double ratio(Row r) {
        Row p = peerOf(r);
        if (p == null || r.stats() == null || p.stats().median() == 0) {
            return null;
        }
        return r.stats().median() / p.stats().median();
    }

    public void printTable(PrintStream out) {
        out.println();
        out.println("Ember benchmarks — " + machine.getOrDefault("cpu", "?") + ", " + machine.getOrDefault("kvm", "?"));
        for (String n : notes) {
            out.println("  * " + n);
        }
        String section = null;
        String fmt = "  %-44s %-14s %9s %9s %9s %9s %9s %4s  %s%n";
        List<Row> all = rows();
        List<String> order = all.stream().map(Row::section).distinct().toList();
        List<Row> sorted = new ArrayList<>();
        for (String sec : order) {
            all.stream().filter(r -> r.section().equals(sec)).forEach(sorted::add);
        }
        for (Row r : sorted) {
            if (!r.section().equals(section)) {
                section = r.section();
                out.println();
                out.println("== " + section);
                out.printf(Locale.ROOT, fmt, "metric", "subject", "median", "p90", "p99", "min", "max", "n", "unit, ratio vs peer, note");
            }
            if (r.stats() == null) {
                out.printf(Locale.ROOT, "  %-44s %-14s %s%n", r.metric(), r.subject(), r.note());
                continue;
            }
            Stats s = r.stats();
            Double ratio = ratio(r);
            String tail = r.unit() + (ratio == null ? "" : String.format(Locale.ROOT, ", x%.2f peer", ratio))
                    + (r.note().isEmpty() ? "" : ", " + r.note());
            out.printf(Locale.ROOT, fmt, r.metric(), r.subject(), num(s.median()), num(s.p90()), num(s.p99()),
                    num(s.min()), num(s.max()), s.count(), tail);
        }
        out.println();
    }

    private static String num(double v) {
        double a = Math.abs(v);
        if (a >= 1000) {
            return String.format(Locale.ROOT, "%.0f", v);
        }
        if (a >= 10) {
            return String.format(Locale.ROOT, "%.1f", v);
        }
        return String.format(Locale.ROOT, "%.3f", v);
    }

    public void writeJson(Path file) throws IOException {
        ObjectMapper om = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
        ObjectNode root = om.createObjectNode();
        root.set("machine", om.valueToTree(machine));
        ArrayNode ns = root.putArray("notes");
        notes.forEach(ns::add);
        ArrayNode arr = root.putArray("figures");
        for (Row r : rows()) {
            ObjectNode o = arr.addObject();
            o.put("section", r.section());
            o.put("metric", r.metric());
            o.put("subject", r.subject());
            o.put("unit", r.unit());
            if (r.stats() != null) {
                Stats s = r.stats();
                o.put("n", s.count());
                o.put("median", s.median());
                o.put("p90", s.p90());
                o.put("p99", s.p99());
                o.put("min", s.min());
                o.put("max", s.max());
                o.put("mean", s.mean());
                o.put("stdev", s.stdev());
                Double ratio = ratio(r);
                if (ratio != null) {
                    o.put("ratio_vs_peer_median", ratio);
                    o.put("peer", peerOf(r).subject());
                }
            } else {
                o.putNull("median");
            }
            if (!r.note().isEmpty()) {
                o.put("note", r.note());
            }
        }
        Files.createDirectories(file.getParent());
        om.writeValue(file.toFile(), root);
    }
}
