package dev.ember.config;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The snapshot load body bound by {@link StrictReader} against the same bytes bound by databind
 * ({@link StrictJson#parse}, the binding every other body has): the same record, or
 * the same error, word for word with its line and column, for every field given every kind of
 * JSON value, and for broken, empty, trailing and duplicate content.
 */
class StrictReaderTest {
    private static final String WHERE = "snapshot";

    /** Values of every JSON kind, and the numbers and strings databind treats specially. */
    private static final List<String> VALUES = List.of("null", "true", "false", "0", "1", "-1", "1.5", "1e400", "1e9999999999", "-1e-9999999999", "-0.0",
            "99999999999", "123456789012345678901234567890", "\"\"", "\" \"", "\"x\"", "\"/a/b\"", "\"File\"", "\"Uffd\"",
            "\"file\"", "\"0\"", "\"1\"", "\"true\"", "\"null\"", "\" File\"", "\"x \"", "\"\\tUffd\\n\"", "\"Fi le\"",
            "[]", "[1]", "[null]", "[\"x\"]", "[{}]",
            "[{\"iface_id\": \"eth0\"}]", "{}", "{\"a\": 1}", "{\"backend_type\": \"File\"}", "{\"uds_path\": \"/v\"}",
            "[[]]", "{\"iface_id\": 1}", "nul", "tru", "01", "1.", ".5", "+1", "NaN", "'x'", "\"a\\u0000b\"",
            "\"\\ud83d\\ude00\"", "\"\\ud800\"", "\"\\x\"", "[1,]", "{,}", "{\"a\"}", "{\"a\":}");

    private static final List<String> TOP = List.of("snapshot_path", "mem_file_path", "mem_backend", "enable_diff_snapshots",
            "track_dirty_pages", "resume_vm", "network_overrides", "vsock_override", "clock_realtime", "other", "Snapshot_path");

    /** Body templates: %s is a field name, %v a value. */
    private static final List<String> TEMPLATES = List.of(
            "{\"%s\": %v}",
            "{\"snapshot_path\": \"/s\", \"mem_file_path\": \"/m\", \"%s\": %v}",
            "{\n  \"snapshot_path\": \"/s\",\n  \"%s\": %v,\n  \"resume_vm\": true\n}",
            "{\"%s\": %v, \"snapshot_path\": 1}");

    private static final List<String> NESTED = List.of(
            "{\"snapshot_path\": \"/s\", \"mem_backend\": {\"backend_type\": \"File\", \"%s\": %v}}",
            "{\"snapshot_path\": \"/s\",\n \"mem_backend\": {\n  \"%s\": %v,\n  \"backend_path\": \"/m\"}}",
            "{\"network_overrides\": [{\"iface_id\": \"eth0\", \"host_dev_name\": \"tap0\"}, {\"%s\": %v}]}",
            "{\"vsock_override\": {\"%s\": %v}}");

    private static final List<String> NESTED_FIELDS = List.of("backend_type", "backend_path", "iface_id", "host_dev_name",
            "uds_path", "other");

    private static final List<String> WHOLE = List.of("", " ", "\n\t ", "null", " null ", "null x", "null {}", "[]", "[{}]",
            "1", "\"s\"", "true", "{", "}", "{}", "{} ", "{}{}", "{} {}", "{} x", "{} ,", "{} []", "{} null", "{}}",
            "{\"snapshot_path\": \"/s\"", "{\"snapshot_path\" \"/s\"}", "{snapshot_path: \"/s\"}", "{'snapshot_path': \"/s\"}",
            "{\"snapshot_path\": \"/s\",}", "{\"snapshot_path\": \"/s\" /* c */}", "{\"snapshot_path\": \"/s\"} // c",
            "{\"snapshot_path\": \"/a\", \"snapshot_path\": \"/b\"}",
            "{\"mem_backend\": {\"backend_type\": \"File\", \"backend_type\": \"Uffd\"}}",
            "{\"network_overrides\": [{\"iface_id\": \"a\"}, {\"iface_id\": \"b\", \"iface_id\": \"c\"}]}",
            "{\"snapshot_path\": \"/s\u0001\"}", "{\"snapshot_path\": \"\\ud800\\u0041\"}", "{\"x\\ud800\": 1}",
            "\uFEFF{}", "{\"snapshot_path\": \"/s\", \"mem_backend\": {\"backend_type\": \"File\", \"backend_path\": \"/m\"},"
                    + " \"enable_diff_snapshots\": false, \"track_dirty_pages\": true, \"resume_vm\": true,"
                    + " \"network_overrides\": [{\"iface_id\": \"eth0\", \"host_dev_name\": \"tap1\"}, null],"
                    + " \"vsock_override\": {\"uds_path\": \"/v\"}, \"clock_realtime\": false}",
            "{\"network_overrides\": " + "[".repeat(1200) + "]".repeat(1200) + "}",
            "{\"snapshot_path\": \"" + "x".repeat(30_000) + "\"}");

    @Test
    void everyBodyBindsOrFailsAsDatabindBindsIt() {
        List<String> bodies = new ArrayList<>(WHOLE);
        for (String t : TEMPLATES) {
            for (String f : TOP) {
                for (String v : VALUES) {
                    bodies.add(t.replace("%s", f).replace("%v", v));
                }
            }
        }
        for (String t : NESTED) {
            for (String f : NESTED_FIELDS) {
                for (String v : VALUES) {
                    bodies.add(t.replace("%s", f).replace("%v", v));
                }
            }
        }
        for (String v : VALUES) {
            bodies.add("{\"network_overrides\": [" + v + "]}");
            bodies.add("{\"network_overrides\": [{}, " + v + "]}");
        }
        BindingOutcome.assertSameOutcomes(bodies, json -> StrictJson.parse(json, SnapshotLoadParams.class, WHERE),
                json -> SnapshotLoadParams.read(json, WHERE), 100); // fewer since snapshot_path is required in both
    }

    /** bin/ember's main thread runs it once the API is up; it must not fail there. */
    @Test
    void prepareParsesWithoutAnError() {
        StrictReader.prepare();
    }
}
