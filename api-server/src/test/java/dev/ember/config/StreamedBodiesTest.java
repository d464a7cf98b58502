package dev.ember.config;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The boot path's bodies (PUT /machine-config, /boot-source, /actions, /drives, /network-interfaces,
 * /vsock, PATCH /vm, PUT /snapshot/create) bound by their {@link StrictReader} readers against the same bytes bound by
 * databind ({@link StrictJson#parse}): the same record, or the same error word for word with its
 * line and column, for every field given every kind of JSON value, and for broken, empty,
 * trailing and duplicate content.
 */
class StreamedBodiesTest {
    interface Reader {
        Object read(byte[] json, String where) throws ConfigException;
    }

    /** {@code nested}: templates whose %s and %v go inside a nested object (a rate limiter's token bucket). */
    record Body(Class<?> type, Reader reader, List<String> fields, String valid, List<String> nested) {
        Body(Class<?> type, Reader reader, List<String> fields, String valid) {
            this(type, reader, fields, valid, List.of());
        }

        @Override
        public String toString() {
            return type.getSimpleName();
        }
    }

    static List<Body> bodies() {
        return List.of(
                new Body(MachineConfig.class, MachineConfig::read, MachineConfig.FIELDS,
                        "\"vcpu_count\": 2, \"mem_size_mib\": 256"),
                new Body(BootSourceConfig.class, BootSourceConfig::read, BootSourceConfig.FIELDS,
                        "\"kernel_image_path\": \"/k\", \"boot_args\": \"console=ttyS0\""),
                new Body(InstanceActionInfo.class, InstanceActionInfo::read, InstanceActionInfo.FIELDS,
                        "\"action_type\": \"InstanceStart\""),
                new Body(VmStateUpdate.class, VmStateUpdate::read, VmStateUpdate.FIELDS, "\"state\": \"Paused\""),
                new Body(SnapshotCreateParams.class, SnapshotCreateParams::read, SnapshotCreateParams.FIELDS,
                        "\"snapshot_path\": \"/s\", \"mem_file_path\": \"/m\""),
                new Body(DriveConfig.class, DriveConfig::read, DriveConfig.FIELDS,
                        "\"drive_id\": \"rootfs\", \"path_on_host\": \"/r\", \"is_root_device\": true", List.of(
                        "{\"drive_id\": \"d\", \"rate_limiter\": {\"bandwidth\": {\"%s\": %v}}}",
                        "{\"rate_limiter\": {\"ops\": {\"size\": 1, \"%s\": %v, \"refill_time\": 100}}, \"drive_id\": \"d\"}",
                        "{\"rate_limiter\": {\"%s\": %v}}")),
                new Body(NetworkInterfaceConfig.class, NetworkInterfaceConfig::read, NetworkInterfaceConfig.FIELDS,
                        "\"iface_id\": \"eth0\", \"host_dev_name\": \"tap0\"", List.of(
                        "{\"iface_id\": \"e\", \"rx_rate_limiter\": {\"bandwidth\": {\"%s\": %v}, \"ops\": null}}",
                        "{\"tx_rate_limiter\": {\"ops\": {\"%s\": %v}}}",
                        "{\"tx_rate_limiter\": {\"%s\": %v, \"bandwidth\": {\"size\": 1, \"one_time_burst\": 2, \"refill_time\": 3}}}")),
                new Body(MachineConfigUpdate.class, MachineConfigUpdate::read, MachineConfigUpdate.FIELDS, "\"mem_size_mib\": 256"),
                new Body(DriveUpdate.class, DriveUpdate::read, DriveUpdate.FIELDS, "\"drive_id\": \"d\", \"path_on_host\": \"/p\"", List.of(
                        "{\"rate_limiter\": {\"bandwidth\": {\"%s\": %v}}}",
                        "{\"rate_limiter\": {\"%s\": %v}}")),
                new Body(NetworkInterfaceUpdate.class, NetworkInterfaceUpdate::read, NetworkInterfaceUpdate.FIELDS,
                        "\"iface_id\": \"eth0\"", List.of("{\"iface_id\": \"e\", \"rx_rate_limiter\": {\"ops\": {\"%s\": %v}}}")),
                new Body(PmemConfig.class, PmemConfig::read, PmemConfig.FIELDS, "\"id\": \"p\", \"path_on_host\": \"/p\"", List.of(
                        "{\"rate_limiter\": {\"bandwidth\": {\"%s\": %v}}}",
                        "{\"rate_limiter\": {\"%s\": %v}}")),
                new Body(PmemUpdate.class, PmemUpdate::read, PmemUpdate.FIELDS, "\"id\": \"p\"", List.of(
                        "{\"rate_limiter\": {\"bandwidth\": {\"%s\": %v}}}",
                        "{\"rate_limiter\": {\"%s\": %v}}")),
                new Body(EntropyConfig.class, EntropyConfig::read, EntropyConfig.FIELDS, "\"rate_limiter\": null", List.of(
                        "{\"rate_limiter\": {\"bandwidth\": {\"%s\": %v}}}",
                        "{\"rate_limiter\": {\"%s\": %v}}")),
                new Body(SerialConfig.class, SerialConfig::read, SerialConfig.FIELDS, "\"serial_out_path\": \"/s\"",
                        List.of("{\"rate_limiter\": {\"%s\": %v}}")),
                new Body(BalloonConfig.class, BalloonConfig::read, BalloonConfig.FIELDS, "\"amount_mib\": 16, \"deflate_on_oom\": true"),
                new Body(BalloonUpdate.class, BalloonUpdate::read, BalloonUpdate.FIELDS, "\"amount_mib\": 16"),
                new Body(BalloonStatsUpdate.class, BalloonStatsUpdate::read, BalloonStatsUpdate.FIELDS, "\"stats_polling_interval_s\": 1"),
                new Body(MemoryHotplugConfig.class, MemoryHotplugConfig::read, MemoryHotplugConfig.FIELDS, "\"total_size_mib\": 1024"),
                new Body(MemoryHotplugSizeUpdate.class, MemoryHotplugSizeUpdate::read, MemoryHotplugSizeUpdate.FIELDS,
                        "\"requested_size_mib\": 128"),
                new Body(MmdsConfig.class, MmdsConfig::read, MmdsConfig.FIELDS, "\"version\": \"V2\", \"network_interfaces\": [\"eth0\"]",
                        List.of("{\"network_interfaces\": [\"eth0\", %v]}", "{\"network_interfaces\": [%v, \"%s\"]}")),
                new Body(LoggerConfig.class, LoggerConfig::read, LoggerConfig.FIELDS,
                        "\"log_path\": \"/l\", \"level\": \"Info\""),
                new Body(MetricsConfig.class, MetricsConfig::read, MetricsConfig.FIELDS, "\"metrics_path\": \"/m\""),
                new Body(VsockConfig.class, VsockConfig::read, VsockConfig.FIELDS,
                        "\"guest_cid\": 3, \"uds_path\": \"/v.sock\""));
    }

    /** Values of every JSON kind, the numbers and strings databind treats specially, and each type's enum names. */
    private static final List<String> VALUES = List.of("null", "true", "false", "0", "1", "-1", "2", "1.5", "1.0", "1e2", "1e400",
            "1e9999999999", "-0.0", "-0", "99999999999", "9223372036854775807", "9223372036854775808", "-9223372036854775808",
            "-9223372036854775809", "18446744073709551615", "18446744073709551616", "123456789012345678901234567890",
            "\"\"", "\" \"", "\"x\"", "\"/a/b\"", "\"0\"", "\"1\"", "\"true\"", "\"null\"", "\"InstanceStart\"", "\" InstanceStart\"",
            "\"instancestart\"", "\"FlushMetrics\"", "\"SendCtrlAltDel\"", "\"Paused\"", "\"Resumed\"", "\"paused\"", "\"Full\"",
            "\"Diff\"", "\"V1\"", "\"V2\"", "\"Warn\"", "\"warning\"", "\"DEBUG\"", "\"Off\"", "\"Trace\"", "\"T2\"", "\"C3\"", "\"V1N1\"", "\"None\"", "\"none\"", "\"2M\"", "\"Hugetlbfs2M\"", "\"Transparent\"",
            "\"\\tT2\\n\"", "[]", "[1]", "[null]", "{}", "{\"a\": 1}", "[[]]", "nul", "tru", "01", "1.", ".5", "+1", "NaN", "'x'",
            "\"a\\u0000b\"", "\"\\ud83d\\ude00\"", "\"\\ud800\"", "\"\\x\"", "[1,]", "{,}", "{\"a\"}", "{\"a\":}");

    /** Body templates: %s is a field name, %v a value, %o the type's valid fields. */
    private static final List<String> TEMPLATES = List.of(
            "{\"%s\": %v}",
            "{%o, \"%s\": %v}",
            "{\n  %o,\n  \"%s\": %v,\n  \"x\": true\n}",
            "{\"%s\": %v, %o}",
            "{\"%s\": %v, \"%s\": 1}");

    private static final List<String> WHOLE = List.of("", " ", "\n\t ", "null", " null ", "null x", "null {}", "[]", "[{}]",
            "1", "\"s\"", "true", "{", "}", "{}", "{} ", "{}{}", "{} {}", "{} x", "{} ,", "{} []", "{} null", "{}}",
            "{%o", "{%o,}", "{%o /* c */}", "{%o} // c", "{%o, %o}", "{\"x\\ud800\": 1}", "\uFEFF{}", "{%o}", " {%o} ",
            "{\"a\": " + "[".repeat(1200) + "]".repeat(1200) + "}");

    @ParameterizedTest(name = "{0}")
    @MethodSource("bodies")
    void everyBodyBindsOrFailsAsDatabindBindsIt(Body type) {
        List<String> bodies = new ArrayList<>();
        for (String w : WHOLE) {
            bodies.add(w.replace("%o", type.valid()));
        }
        List<String> fields = new ArrayList<>(type.fields());
        fields.add("other");
        fields.add(Character.toUpperCase(type.fields().get(0).charAt(0)) + type.fields().get(0).substring(1));
        for (String t : TEMPLATES) {
            for (String f : fields) {
                for (String v : VALUES) {
                    bodies.add(t.replace("%o", type.valid()).replace("%s", f).replace("%v", v));
                }
            }
        }
        List<String> nestedFields = List.of("size", "one_time_burst", "refill_time", "bandwidth", "ops", "other");
        for (String t : type.nested()) {
            for (String f : nestedFields) {
                for (String v : VALUES) {
                    bodies.add(t.replace("%s", f).replace("%v", v));
                }
            }
        }
        bodies.add("{\"" + type.fields().get(0) + "\": \"" + "x".repeat(30_000) + "\"}");
        BindingOutcome.assertSameOutcomes(bodies, json -> StrictJson.parse(json, type.type(), "where"),
                json -> type.reader().read(json, "where"), 5); // 5: the fields serde requires are refused while binding
    }
}
