package dev.ember.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import dev.ember.app.MicroVm;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** Behaviours found by replaying Firecracker's own API tests against the real server (issue 11 item 10). */
class FirecrackerSemanticsTest extends RunningApiTest {
    @Test
    void serialIsNotBootSpecificSoASnapshotCanStillBeLoaded() throws Exception {
        assertEquals(204, http.put("/serial", "{\"serial_out_path\": \"" + dir.resolve("console.log") + "\"}").status());
        // FakeVmm has no snapshots: reaching it shows the load was not refused for the serial PUT.
        ApiServerTest.assertFault(http.put("/snapshot/load", "{\"snapshot_path\": \"/s\", \"mem_backend\": {\"backend_type\": \"File\","
                + " \"backend_path\": \"/m\"}}"), 400, "not supported: snapshots");
    }

    /** Served, answered with {@code Deprecation: true}, and logged with Firecracker's text (its own test greps the log for it). */
    @Test
    void deprecatedFieldsAreServedWithADeprecationHeader() throws Exception {
        Path log = dir.resolve("deprecations.log");
        assertEquals(204, http.put("/logger", "{\"log_path\": \"" + log + "\", \"level\": \"Warning\"}").status());
        try {
            deprecatedRequests();
            String text = Files.readString(log);
            for (String line : new String[] {"PUT /machine-config: cpu_template field is deprecated.",
                "PATCH /machine-config: cpu_template field is deprecated.", "PUT /vsock: vsock_id field is deprecated.",
                "PUT /snapshot/load: mem_file_path field is deprecated."}) {
                org.junit.jupiter.api.Assertions.assertTrue(text.contains(line), "no \"" + line + "\" in the log:\n" + text);
            }
            org.junit.jupiter.api.Assertions.assertEquals(4, text.lines().filter(l -> l.contains("field is deprecated.")).count(), text);
        } finally {
            dev.ember.logging.Logging.init("test");
        }
    }

    private void deprecatedRequests() throws Exception {
        UnixHttpClient.Response r = http.put("/machine-config", "{\"vcpu_count\": 1, \"mem_size_mib\": 128, \"cpu_template\": \"None\"}");
        assertEquals(204, r.status(), r.body());
        assertEquals("true", r.header("deprecation"));
        r = http.patch("/machine-config", "{\"cpu_template\": \"None\"}");
        assertEquals("true", r.header("deprecation"), r.body());
        r = http.put("/vsock", "{\"vsock_id\": \"v\", \"guest_cid\": 3, \"uds_path\": \"/v.sock\"}");
        assertEquals(204, r.status(), r.body());
        assertEquals("true", r.header("deprecation"));
        r = http.put("/snapshot/load", "{\"snapshot_path\": \"/s\", \"mem_file_path\": \"/m\"}");
        assertEquals("true", r.header("deprecation"), r.body());
        assertNull(http.put("/machine-config", "{\"vcpu_count\": 1, \"mem_size_mib\": 128}").header("deprecation"));
        assertNull(http.put("/vsock", "{\"guest_cid\": 3, \"uds_path\": \"/v.sock\"}").header("deprecation"));
    }

    /** Firecracker deprecates a field that is set: a null one is absent to it, and the answer carries no header. */
    @Test
    void aDeprecatedFieldSetToNullIsNoDeprecation() throws Exception {
        UnixHttpClient.Response r = http.put("/machine-config", "{\"vcpu_count\": 1, \"mem_size_mib\": 128, \"cpu_template\": null}");
        assertEquals(204, r.status(), r.body());
        assertNull(r.header("deprecation"));
        r = http.patch("/machine-config", "{\"vcpu_count\": 2, \"cpu_template\": null}");
        assertEquals(204, r.status(), r.body());
        assertNull(r.header("deprecation"));
        r = http.put("/vsock", "{\"vsock_id\": null, \"guest_cid\": 3, \"uds_path\": \"/v.sock\"}");
        assertEquals(204, r.status(), r.body());
        assertNull(r.header("deprecation"));
        // The same field with a value is deprecated.
        assertEquals("true", http.put("/vsock", "{\"vsock_id\": \"v\", \"guest_cid\": 3, \"uds_path\": \"/v.sock\"}").header("deprecation"));
    }

    /**
     * Firecracker deprecates while parsing: a body its parser refuses (serde's errors and its own
     * mem source checks) carries no header, one the VMM refuses after parsing does.
     */
    @Test
    void aDeprecatedFieldInABodyThatDoesNotParseIsNoDeprecation() throws Exception {
        UnixHttpClient.Response r = http.put("/snapshot/load", "{\"snapshot_path\": \"/s\", \"mem_file_path\": \"/m\","
                + " \"mem_backend\": {\"backend_type\": \"File\", \"backend_path\": \"/m\"}}");
        ApiServerTest.assertFault(r, 400, LEAD + "too many fields: either `mem_backend` or `mem_file_path` exclusively is required.");
        assertNull(r.header("deprecation"));
        r = http.put("/machine-config", "{\"vcpu_count\": \"1\", \"mem_size_mib\": 128, \"cpu_template\": \"None\"}");
        ApiServerTest.assertFault(r, 400, LEAD + "invalid type: string \"1\", expected u8 at line 1 column 18.");
        assertNull(r.header("deprecation"));
        r = http.put("/vsock", "{\"vsock_id\": \"v\", \"guest_cid\": 3, \"uds_path\": \"/v.sock\"");
        ApiServerTest.assertFault(r, 400, LEAD + "EOF while parsing an object at line 1 column 55.");
        assertNull(r.header("deprecation"));
        // Parsed, then refused by the VMM's checks: deprecated all the same.
        r = http.put("/vsock", "{\"vsock_id\": \"v\", \"guest_cid\": 2, \"uds_path\": \"/v.sock\"}");
        assertEquals(400, r.status(), r.body());
        assertEquals("true", r.header("deprecation"));
    }

    /** A device path without its id is Firecracker's empty id (or empty body), counted as that route's failure, not an unknown path. */
    @Test
    void aDevicePathWithoutItsIdIsAnEmptyId() throws Exception {
        long fails = dev.ember.metrics.Metrics.group("put_api_requests").counter("drive_fails").get();
        String drive = "{\"drive_id\": \"rootfs\", \"path_on_host\": \"/d\", \"is_root_device\": true}";
        ApiServerTest.assertFault(http.put("/drives", drive), 400, "The ID cannot be empty.");
        ApiServerTest.assertFault(http.put("/drives/", drive), 400, "The ID cannot be empty.");
        assertEquals(2, dev.ember.metrics.Metrics.group("put_api_requests").counter("drive_fails").get() - fails);
        ApiServerTest.assertFault(http.put("/network-interfaces", "{\"iface_id\": \"eth0\", \"host_dev_name\": \"tap0\"}"), 400,
                "The ID cannot be empty.");
        ApiServerTest.assertFault(http.put("/pmem/", "{\"id\": \"p\", \"path_on_host\": \"/p\"}"), 400, "The ID cannot be empty.");
        ApiServerTest.assertFault(http.patch("/drives", "{\"drive_id\": \"rootfs\"}"), 400, "The ID cannot be empty.");
        ApiServerTest.assertFault(http.send("PUT", "/drives", null), 400, "Empty PUT request.");
        // Only a missing last segment: other unknown paths stay unknown.
        ApiServerTest.assertFault(http.put("/drive", drive), 400, "Invalid request method and/or path: PUT drive.");
        ApiServerTest.assertFault(http.get("/drives"), 400, "Invalid request method and/or path: GET drives.");
        assertEquals(java.util.List.of(), api.resources.drives());
    }

    /** An unknown path is named by its first segment, as Firecracker's parser names it, and its body checks come first. */
    @Test
    void anUnknownPathIsNamedAsFirecrackerNamesIt() throws Exception {
        ApiServerTest.assertFault(http.put("/vm", "{\"state\": \"Paused\"}"), 400, "Invalid request method and/or path: PUT vm.");
        ApiServerTest.assertFault(http.put("/vm/config", "{}"), 400, "Invalid request method and/or path: PUT vm.");
        ApiServerTest.assertFault(http.get("/vm/other"), 400, "Invalid request method and/or path: GET vm.");
        ApiServerTest.assertFault(http.patch("/balloon/statistics/x", "{}"), 400, "Invalid request method and/or path: PATCH balloon.");
        ApiServerTest.assertFault(http.put("/snapshot/restore", "{}"), 400,
                "Invalid request method and/or path: PUT /snapshot/restore.");
        ApiServerTest.assertFault(http.send("GET", "/nope", "{}"), 400, "GET request cannot have a body.");
        ApiServerTest.assertFault(http.send("PUT", "/nope", null), 400, "Empty PUT request.");
        ApiServerTest.assertFault(http.send("PATCH", "/vm/x", null), 400, "Empty PATCH request.");
    }

    /** A known resource with a sub-path it lacks gets the resource parser's own text, as in Firecracker. */
    @Test
    void anUnknownSubPathOfABalloonGetOrASnapshotPutGetsFirecrackersText() throws Exception {
        ApiServerTest.assertFault(http.get("/balloon/stats"), 400, "Unrecognized GET request path `stats`.");
        ApiServerTest.assertFault(http.get("/balloon/hinting"), 400, "Unrecognized GET request path `/hinting/`.");
        ApiServerTest.assertFault(http.get("/balloon/hinting/state"), 400, "Unrecognized GET request path `/hinting/state`.");
        ApiServerTest.assertFault(http.put("/snapshot", "{}"), 400, "Missing snapshot operation type.");
        ApiServerTest.assertFault(http.send("PUT", "/snapshot", null), 400, "Empty PUT request.");
        ApiServerTest.assertFault(http.get("/snapshot"), 400, "Invalid request method and/or path: GET snapshot.");
        assertEquals(null, ApiHandler.unknownSubPath("GET", "/balloon/statistics"));
        assertEquals(null, ApiHandler.unknownSubPath("GET", "/balloon/hinting/status"));
    }

    /** Firecracker's test of PUT updates on interfaces matches these leads. */
    @Test
    void aMacInUseIsRefusedWithFirecrackersText() throws Exception {
        assertEquals(204, http.put("/network-interfaces/1", "{\"iface_id\": \"1\", \"host_dev_name\": \"tap1\","
                + " \"guest_mac\": \"06:00:00:00:00:01\"}").status());
        ApiServerTest.assertFault(http.put("/network-interfaces/2", "{\"iface_id\": \"2\", \"host_dev_name\": \"tap2\","
                + " \"guest_mac\": \"06:00:00:00:00:01\"}"), 400, "The MAC address is already in use: 06:00:00:00:00:01");
    }

    private static final String LEAD = "An error occurred when deserializing the json body of a request: ";

    /**
     * Firecracker's texts for a body serde cannot deserialise, position included, for bodies shaped
     * as its tests send them (Python's json: ", " and ": " separators); Ember's own sentence follows.
     */
    @Test
    void aBodySerdeCannotDeserialiseIsAnsweredWithFirecrackersText() throws Exception {
        String[][] cases = { // path, body, Firecracker's text (which its test names) and the start of Ember's sentence
            {"/machine-config", "{\"mem_size_mib\": 128}", // test_api_machine_config
                "missing field `vcpu_count` at line 1 column 21. machine-config.vcpu_count is required"},
            {"/machine-config", "{\"vcpu_count\": 2}", "missing field `mem_size_mib` at line 1 column 17. machine-config.mem_size_mib is required"},
            {"/machine-config", "{\"vcpu_count\": \"-2\"}",
                "invalid type: string \"-2\", expected u8 at line 1 column 19. machine-config.vcpu_count must be an integer"},
            {"/machine-config", "{\"mem_size_mib\": 18446744073709551616}",
                "invalid type: floating point `1.8446744073709552e19`, expected usize at line 1 column 37. machine-config.mem_size_mib"},
            {"/mmds/config", "{\"version\": \"foo\", \"network_interfaces\": [\"1\"]}", // test_api_mmds_config
                "unknown variant `foo`, expected `V1` or `V2` at line 1 column 17. Set mmds.version to one of: V1, V2"},
            {"/actions", "{\"action_type\": \"InstanceStart\", \"x\": 1}", // at the key, where serde stops
                "unknown field `x`, expected `action_type` at line 1 column 36. actions has no field `x`"},
            {"/snapshot/load", "{\"snapshot_path\": \"foo\", \"mem_backend\": {\"backend_type\": \"foo\", \"backend_path\": \"bar\"}}",
                "unknown variant `foo`, expected `File` or `Uffd` at line 1 column 62."}, // test_negative_snapshot_load_api
            {"/snapshot/load", "{\"mem_backend\": {\"backend_type\": \"File\", \"backend_path\": \"bar\"}}",
                "missing field `snapshot_path` at line 1 column 64."},
            {"/snapshot/load", """
                {
                            "snapshot_path": "foo",
                            "mem_backend": {
                                "backend_path": "bar"
                            }
                        }""", // parse_put_snapshot's multi-line body
                "missing field `backend_type` at line 5 column 13. snapshot.mem_backend.backend_type is required"}};
        for (String[] c : cases) {
            ApiServerTest.assertFault(http.put(c[0], c[1]), 400, LEAD + c[2]);
        }
    }

    /** Bytes that are not JSON: serde_json's syntax texts and positions, after Firecracker's lead, in either binding path. */
    @Test
    void aBodyThatIsNotJsonIsAnsweredWithSerdesSyntaxText() throws Exception {
        String[][] cases = {
            {"/machine-config", "{\"vcpu_count\": 2", "EOF while parsing an object at line 1 column 16. machine-config is not JSON"},
            {"/machine-config", "x", "expected value at line 1 column 1. machine-config is not JSON"},
            {"/machine-config", "{1}", "key must be a string at line 1 column 2."},
            {"/machine-config", "{\"vcpu_count\": 2 \"mem_size_mib\": 128}", "expected `,` or `}` at line 1 column 18."},
            {"/machine-config", "{\"vcpu_count\": 2, \"mem_size_mib\": 128,}", "trailing comma at line 1 column 39."},
            {"/machine-config", "{\"vcpu_count\": 2, \"smt\": flase}", "expected ident at line 1 column 27."},
            {"/actions", "{\"action_type\": \"FlushMetrics\"} x", "trailing characters at line 1 column 33."},
            {"/mmds/config", "{\"network_interfaces\": [\"eth0\",]}", "trailing comma at line 1 column 32."},
            {"/mmds", "{\"a\": \"\\q\"}", "invalid escape at line 1 column 9."},
            {"/snapshot/load", "{\"snapshot_path\": \"/s\",\n \"mem_backend\": {\"backend_type\": \"File\",", "EOF while parsing a value at line 2 column 40."}};
        for (String[] c : cases) {
            ApiServerTest.assertFault(http.put(c[0], c[1]), 400, LEAD + c[2]);
        }
    }

    /** An integer of the wrong JSON type is named by the Rust type of Firecracker's field (u8, u16, u32, usize, u64). */
    @Test
    void anIntegerFieldIsNamedByItsRustType() throws Exception {
        String[][] cases = { // method, path, body, serde's text; the PATCHes are accepted only after boot
            {"put", "/balloon", "{\"amount_mib\": \"1\", \"deflate_on_oom\": false}", "invalid type: string \"1\", expected u32 at line 1 column 18."},
            {"put", "/balloon", "{\"amount_mib\": 1, \"deflate_on_oom\": false, \"stats_polling_interval_s\": 1.5}", "invalid type: floating point `1.5`, expected u16 at line 1 column 74."},
            {"put", "/vsock", "{\"guest_cid\": \"3\", \"uds_path\": \"/v.sock\"}", "invalid type: string \"3\", expected u32 at line 1 column 17."},
            {"put", "/hotplug/memory", "{\"total_size_mib\": 1024, \"slot_size_mib\": true}", "invalid type: boolean `true`, expected usize at line 1 column 46."},
            {"put", "/network-interfaces/eth0", "{\"iface_id\": \"eth0\", \"host_dev_name\": \"tap0\", \"rx_rate_limiter\": {\"ops\": {\"size\": \"1\", \"refill_time\": 100}}}", "invalid type: string \"1\", expected u64 at line 1 column 85."},
            {"patch", "/balloon", "{\"amount_mib\": \"x\"}", "invalid type: string \"x\", expected u32 at line 1 column 18."},
            {"patch", "/balloon/statistics", "{\"stats_polling_interval_s\": \"5\"}", "invalid type: string \"5\", expected u16 at line 1 column 32."},
            {"patch", "/hotplug/memory", "{\"requested_size_mib\": false}", "invalid type: boolean `false`, expected usize at line 1 column 28."},
        };
        for (String[] c : cases) {
            api.vmm.state = c[0].equals("patch") ? MicroVm.State.RUNNING : MicroVm.State.NOT_STARTED;
            UnixHttpClient.Response r = c[0].equals("patch") ? http.patch(c[1], c[2]) : http.put(c[1], c[2]);
            ApiServerTest.assertFault(r, 400, LEAD + c[3]);
        }
    }

    /**
     * An integer out of its field's Rust type is refused as serde refuses it while deserialising:
     * a negative one or one past the type's maximum is an invalid value; one past i64 and u64,
     * which serde_json reads as a double, and a fraction are an invalid type, the double printed
     * as serde_json prints it (ryu's layout).
     */
    @Test
    void anIntegerOutOfItsRustTypeIsRefusedAsSerdeRefusesIt() throws Exception {
        String[][] cases = { // path, body, serde's text, then the start of Ember's sentence
            {"/balloon", "{\"amount_mib\": -1, \"deflate_on_oom\": false}",
                "invalid value: integer `-1`, expected u32 at line 1 column 17. balloon.amount_mib is -1, out of u32's range: use a value from 0 to 4294967295"},
            {"/balloon", "{\"amount_mib\": 4294967296, \"deflate_on_oom\": false}",
                "invalid value: integer `4294967296`, expected u32 at line 1 column 25. balloon.amount_mib is 4294967296"},
            {"/balloon", "{\"amount_mib\": 1e3, \"deflate_on_oom\": false}", "invalid type: floating point `1000.0`, expected u32 at line 1 column 18."},
            {"/machine-config", "{\"vcpu_count\": 256, \"mem_size_mib\": 128}", "invalid value: integer `256`, expected u8 at line 1 column 18."},
            {"/machine-config", "{\"vcpu_count\": -9223372036854775809, \"mem_size_mib\": 128}",
                "invalid type: floating point `-9.223372036854776e18`, expected u8 at line 1 column 35."},
            {"/machine-config", "{\"vcpu_count\": 1.5, \"mem_size_mib\": 128}", "invalid type: floating point `1.5`, expected u8 at line 1 column 18."},
            {"/vsock", "{\"guest_cid\": 4294967296, \"uds_path\": \"/v.sock\"}", "invalid value: integer `4294967296`, expected u32 at line 1 column 24."},
            {"/network-interfaces/eth0", "{\"iface_id\": \"eth0\", \"host_dev_name\": \"tap0\", \"rx_rate_limiter\": {\"ops\": {\"size\": -1, \"refill_time\": 100}}}",
                "invalid value: integer `-1`, expected u64 at line 1 column 84. network-interfaces.rx_rate_limiter.ops.size is -1"},
            {"/hotplug/memory", "{\"total_size_mib\": -128}", "invalid value: integer `-128`, expected usize at line 1 column 23."},
            {"/cpu-config", "{\"cpuid_modifiers\": [{\"leaf\": \"0x1\", \"subleaf\": \"0x0\", \"flags\": -1, \"modifiers\": []}]}",
                "invalid value: integer `-1`, expected u32 at line 1 column 66."}};
        for (String[] c : cases) {
            ApiServerTest.assertFault(http.put(c[0], c[1]), 400, LEAD + c[2]);
        }
        // A count that fits u8 but not the VMM keeps Firecracker's VMM-level text.
        for (String count : new String[] {"0", "33", "255"}) {
            ApiServerTest.assertFault(http.put("/machine-config", "{\"vcpu_count\": " + count + ", \"mem_size_mib\": 128}"), 400,
                    "The number of vCPUs must be greater than 0, less than 32 and must be 1 or an even number if SMT is enabled.");
        }
        api.vmm.state = MicroVm.State.RUNNING;
        ApiServerTest.assertFault(http.patch("/balloon/statistics", "{\"stats_polling_interval_s\": 65536}"), 400,
                LEAD + "invalid value: integer `65536`, expected u16 at line 1 column 34.");
    }

    /**
     * serde stops at the first problem in the body (an unknown key as it reads it, deny_unknown_fields),
     * so that is the one reported, at its position: not a missing field or a wrong type further on,
     * in either binding path (/cpu-config is bound by databind, the others streamed).
     */
    @Test
    void theFirstProblemInTheBodyIsTheOneReported() throws Exception {
        String[][] cases = { // path, body, serde's text
            {"/actions", "{\"x\": 1, \"action_type\": 5}", "unknown field `x`, expected `action_type` at line 1 column 4. actions has no field `x`"},
            {"/machine-config", "{\"x\": 1}", "unknown field `x`, expected one of `vcpu_count`, `mem_size_mib`, `smt`, `track_dirty_pages`,"
                + " `cpu_template`, `huge_pages` at line 1 column 4."},
            {"/machine-config", "{\n  \"vcpu_count\": 2,\n  \"memory\": 128\n}", "unknown field `memory`, expected one of `vcpu_count`,"
                + " `mem_size_mib`, `smt`, `track_dirty_pages`, `cpu_template`, `huge_pages` at line 3 column 10."},
            {"/balloon", "{\"amount_mib\": -1, \"bogus\": 1}", "invalid value: integer `-1`, expected u32 at line 1 column 17."},
            {"/vsock", "{\"bogus\": 1, \"guest_cid\": \"3\"}", "unknown field `bogus`, expected one of `vsock_id`, `guest_cid`, `uds_path` at line 1 column 8."},
            {"/network-interfaces/eth0", "{\"iface_id\": \"eth0\", \"rx_rate_limiter\": {\"opps\": {}}}",
                "unknown field `opps`, expected `bandwidth` or `ops` at line 1 column 47."},
            {"/cpu-config", "{\"bogus\": 1, \"kvm_capabilities\": 5}", "unknown field `bogus`, expected one of `kvm_capabilities`, `cpuid_modifiers`,"
                + " `msr_modifiers`, `reg_modifiers`, `vcpu_features` at line 1 column 8."}};
        for (String[] c : cases) {
            ApiServerTest.assertFault(http.put(c[0], c[1]), 400, LEAD + c[2]);
        }
    }

    @Test
    void aMulticastGuestMacIsAccepted() throws Exception {
        assertEquals(204, http.put("/network-interfaces/eth0",
                "{\"iface_id\": \"eth0\", \"host_dev_name\": \"tap0\", \"guest_mac\": \"07:00:00:00:00:01\"}").status());
    }

    @Test
    void aDrivePatchWithNothingToChangeIsRefused() throws Exception {
        Path disk = Files.writeString(dir.resolve("disk.img"), "d");
        api.resources.putDrive(dev.ember.config.DriveConfig.of("rootfs", disk.toString(), true, false));
        api.vmm.state = MicroVm.State.RUNNING;
        ApiServerTest.assertFault(http.patch("/drives/rootfs", "{\"drive_id\": \"rootfs\"}"), 400,
                "Please specify at least one property to patch: path_on_host, rate_limiter.");
        assertEquals(java.util.List.of(), api.vmm.calls.stream().filter(c -> c.startsWith("drive")).toList());
    }

    @Test
    void aFailedPutOnAnExistingInterfaceDropsIt() throws Exception {
        assertEquals(204, http.put("/network-interfaces/eth0", "{\"iface_id\": \"eth0\", \"host_dev_name\": \"tap0\"}").status());
        assertEquals(204, http.put("/network-interfaces/eth1", "{\"iface_id\": \"eth1\", \"host_dev_name\": \"tap1\"}").status());
        ApiServerTest.assertFault(http.put("/network-interfaces/eth1", "{\"iface_id\": \"eth1\", \"host_dev_name\": \"tap0\"}"), 400,
                "Could not create the network device: the host device name tap0 is already in use.");
        var ifaces = ApiServerTest.json(http.get("/vm/config")).get("network-interfaces");
        assertEquals(1, ifaces.size(), ifaces.toString());
        assertEquals("eth0", ifaces.get(0).get("iface_id").asText());
        // A malformed body is refused before anything changes, as Firecracker's parser does.
        ApiServerTest.assertFault(http.put("/network-interfaces/eth0", "{\"iface_id\": \"eth0\", \"host_dev_name\": \"tap0\","
                + " \"guest_mac\": \"nope\"}"), 400, "network-interfaces[eth0].guest_mac \"nope\" is not a MAC address");
        assertEquals(1, ApiServerTest.json(http.get("/vm/config")).get("network-interfaces").size());
    }
}
