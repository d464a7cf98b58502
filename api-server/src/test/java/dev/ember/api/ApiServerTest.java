package dev.ember.api;

import dev.ember.app.VmmController;
import dev.ember.app.EmberVersion;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.ember.app.MicroVm;
import dev.ember.config.HostFiles;
import dev.ember.config.StrictJson;
import dev.ember.config.VmResources;
import dev.ember.logging.MetricsWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class ApiServerTest extends HostFiles {
    static final String NOT_AFTER = "The requested operation is not supported after starting the microVM.";
    static final String NOT_BEFORE = "The requested operation is not supported before starting the microVM.";

    FakeVmm vmm;
    VmResources resources;
    MetricsWriter metrics;
    ApiServer server;
    UnixHttpClient http;

    @BeforeEach
    void start() throws Exception {
        vmm = new FakeVmm();
        resources = new VmResources();
        metrics = new MetricsWriter();
        server = ApiServer.start(dir.resolve("api.sock"), new VmmController("vm1", resources, vmm, metrics), 51200);
        http = new UnixHttpClient(dir.resolve("api.sock"));
    }

    @AfterEach
    void stop() {
        server.close();
        metrics.close();
    }

    static JsonNode json(UnixHttpClient.Response r) throws Exception {
        return StrictJson.MAPPER.readTree(r.body());
    }

    /** Firecracker's lead for a body serde cannot deserialise. */
    static final String SERDE = "An error occurred when deserializing the json body of a request: ";

    static void assertFault(UnixHttpClient.Response r, int status, String messageStart) throws Exception {
        assertEquals(status, r.status(), r.body());
        assertEquals("application/json", r.header("content-type"));
        String msg = json(r).get("fault_message").asText();
        assertTrue(msg.startsWith(messageStart), "fault_message was: " + msg);
    }

    void boot() throws Exception {
        assertEquals(204, http.put("/boot-source", "{\"kernel_image_path\": \"" + kernel + "\"}").status());
        assertEquals(204, http.put("/actions", "{\"action_type\": \"InstanceStart\"}").status());
        assertEquals(MicroVm.State.RUNNING, vmm.state());
    }

    // ---- general ----

    @Test
    void instanceInfoAndVersion() throws Exception {
        UnixHttpClient.Response r = http.get("/");
        assertEquals(200, r.status());
        JsonNode info = json(r);
        assertEquals("vm1", info.get("id").asText());
        assertEquals("Not started", info.get("state").asText());
        assertEquals("Ember", info.get("app_name").asText());
        assertEquals(EmberVersion.VERSION, info.get("vmm_version").asText());
        assertFalse(EmberVersion.VERSION.startsWith("$"));
        assertEquals(EmberVersion.VERSION, json(http.get("/version")).get("firecracker_version").asText());
        boot();
        assertEquals("Running", json(http.get("/")).get("state").asText());
        assertEquals(204, http.patch("/vm", "{\"state\": \"Paused\"}").status());
        assertEquals("Paused", json(http.get("/")).get("state").asText());
    }

    @Test
    void unknownPathsAndMethods() throws Exception {
        assertFault(http.get("/nope"), 400, "Invalid request method and/or path: GET nope.");
        assertFault(http.send("DELETE", "/machine-config", null), 400, "Invalid request method and/or path: DELETE machine-config.");
        assertFault(http.send("POST", "/actions", "{}"), 400, "Invalid request method and/or path: POST actions.");
        assertFault(http.send("GET", "/", "{}"), 400, "GET request cannot have a body.");
        assertFault(http.send("PUT", "/machine-config", ""), 400, "Empty PUT request.");
        assertFault(http.send("PATCH", "/machine-config", ""), 400, "Empty PATCH request.");
        // A trailing slash is accepted as Firecracker does.
        assertEquals(200, http.get("/machine-config/").status());
    }

    @Test
    void malformedJsonNeverGives500() throws Exception {
        String[] bodies = {"{", "[]", "null", "\"x\"", "{\"vcpu_count\": }", "{\"vcpu_count\": 1e999, \"mem_size_mib\": 1}",
            "{\"vcpu_count\": 99999999999999999999999, \"mem_size_mib\": 1}", "\u0000\u0001", "{\"a\":1}{\"b\":2}",
            "{\"vcpu_count\": [1], \"mem_size_mib\": {}}", "{\"vcpu_count\": true, \"mem_size_mib\": 1}"};
        for (String body : bodies) {
            UnixHttpClient.Response r = http.put("/machine-config", body);
            assertEquals(400, r.status(), body + " -> " + r.body());
            assertFalse(r.body().contains("at dev.ember") || r.body().contains("Exception"), r.body());
        }
    }

    @Test
    void payloadOverTheLimitIsRejected() throws Exception {
        String big = "{\"latest\": \"" + "x".repeat(60_000) + "\"}";
        assertFault(http.put("/mmds", big), 400, "Request payload with size " + big.length()
                + " is larger than the limit of 51200 allowed by server.");
        // The server still answers afterwards.
        assertEquals(200, http.get("/").status());
        // Chunked bodies without a length are bounded too.
        String chunk = Integer.toHexString(60_000) + "\r\n" + "y".repeat(60_000) + "\r\n0\r\n\r\n";
        byte[] raw = ("PUT /mmds HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n" + chunk)
                .getBytes(StandardCharsets.US_ASCII);
        UnixHttpClient.Response r = UnixHttpClient.parse(http.exchange(raw));
        assertFault(r, 400, "Request payload with size over 51200 is larger than the limit of 51200");
    }

    @Test
    void expectContinueIsAnsweredBeforeTheBodyIsSent() throws Exception {
        String body = "{\"big\": \"" + "z".repeat(4000) + "\"}";
        String head = "PUT /mmds HTTP/1.1\r\nHost: x\r\nContent-Length: " + body.length()
                + "\r\nExpect: 100-continue\r\nConnection: close\r\n\r\n";
        try (var ch = java.nio.channels.SocketChannel.open(java.net.StandardProtocolFamily.UNIX)) {
            ch.connect(java.net.UnixDomainSocketAddress.of(dir.resolve("api.sock")));
            ch.write(java.nio.ByteBuffer.wrap(head.getBytes(StandardCharsets.US_ASCII)));
            java.nio.ByteBuffer buf = java.nio.ByteBuffer.allocate(256);
            ch.read(buf); // blocks until the server answers the expectation
            String interim = new String(buf.array(), 0, buf.position(), StandardCharsets.US_ASCII);
            assertTrue(interim.startsWith("HTTP/1.1 100 Continue\r\n"), interim);
            ch.write(java.nio.ByteBuffer.wrap(body.getBytes(StandardCharsets.US_ASCII)));
            java.io.ByteArrayOutputStream rest = new java.io.ByteArrayOutputStream();
            buf.clear();
            while (ch.read(buf) >= 0) {
                rest.write(buf.array(), 0, buf.position());
                buf.clear();
            }
            assertTrue(rest.toString(StandardCharsets.US_ASCII).startsWith("HTTP/1.1 204 No Content"), rest.toString());
        }
        assertEquals(4000, json(http.get("/mmds")).get("big").asText().length());
    }

    // ---- machine config ----

    @Test
    void machineConfig() throws Exception {
        JsonNode def = json(http.get("/machine-config"));
        assertEquals(1, def.get("vcpu_count").asInt());
        assertEquals(128, def.get("mem_size_mib").asInt());
        assertEquals(204, http.put("/machine-config", "{\"vcpu_count\": 2, \"mem_size_mib\": 256, \"smt\": true}").status());
        assertEquals(204, http.patch("/machine-config", "{\"mem_size_mib\": 512}").status());
        JsonNode now = json(http.get("/machine-config"));
        assertEquals(2, now.get("vcpu_count").asInt());
        assertEquals(512, now.get("mem_size_mib").asInt());
        assertTrue(now.get("smt").asBoolean());
        assertFault(http.put("/machine-config", "{\"vcpu_count\": 33, \"mem_size_mib\": 256}"), 400,
                "The number of vCPUs must be greater than 0");
        assertFault(http.put("/machine-config", "{\"vcpu_count\": 2, \"mem_size_mib\": 256, \"foo\": 1}"), 400,
                SERDE + "unknown field `foo`, expected one of `vcpu_count`, `mem_size_mib`, `smt`, `track_dirty_pages`, `cpu_template`,"
                + " `huge_pages` at line 1 column 44. machine-config has no field `foo`");
        assertFault(http.put("/machine-config", "{\"vcpu_count\": \"2\", \"mem_size_mib\": 256}"), 400,
                SERDE + "invalid type: string \"2\", expected u8 at line 1 column 18. machine-config.vcpu_count must be an integer");
        assertFault(http.put("/machine-config", "{\"mem_size_mib\": 256}"), 400,
                SERDE + "missing field `vcpu_count` at line 1 column 21. machine-config.vcpu_count is required; add it to machine-config");
        // mem_size_mib is a u64, as Firecracker's usize: 2^64−1 is accepted here (InstanceStart refuses it) and shown back exactly.
        assertEquals(204, http.put("/machine-config", "{\"vcpu_count\": 2, \"mem_size_mib\": 18446744073709551615}").status());
        assertTrue(http.get("/machine-config").body().contains("\"mem_size_mib\":18446744073709551615"), http.get("/machine-config").body());
        assertFault(http.put("/machine-config", "{\"vcpu_count\": 2, \"mem_size_mib\": 18446744073709551616}"), 400,
                SERDE + "invalid type: floating point `1.8446744073709552e19`, expected usize at line 1 column 54."
                        + " machine-config.mem_size_mib is 18446744073709551616, not a size: use 0 to 18446744073709551615");
        assertFault(http.patch("/machine-config", "{\"mem_size_mib\": -1}"), 400,
                SERDE + "invalid value: integer `-1`, expected usize at line 1 column 19. machine-config.mem_size_mib is -1, not a size");
        assertFault(http.patch("/machine-config", "{\"mem_size_mib\": \"1\"}"), 400,
                SERDE + "invalid type: string \"1\", expected usize at line 1 column 20. machine-config.mem_size_mib must be an integer");
        assertFault(http.put("/machine-config", "{\"vcpu_count\": 2, \"mem_size_mib\": 0}"), 400,
                "The memory size (MiB) is either 0, or not a multiple of the configured page size.");
        assertEquals(204, http.put("/machine-config", "{\"vcpu_count\": 2, \"mem_size_mib\": 512, \"smt\": true}").status());
        assertFault(http.patch("/machine-config", "{}"), 400, "Empty PATCH request.");
        assertFault(http.patch("/machine-config", "{\"vcpu_count\": 3}"), 400, "The number of vCPUs");
        boot();
        assertFault(http.put("/machine-config", "{\"vcpu_count\": 1, \"mem_size_mib\": 128}"), 400, NOT_AFTER);
        assertFault(http.patch("/machine-config", "{\"vcpu_count\": 1}"), 400, NOT_AFTER);
        assertEquals(200, http.get("/machine-config").status());
    }

    // ---- boot source and start ----

    @Test
    void bootSourceAndInstanceStart() throws Exception {
        assertFault(http.put("/actions", "{\"action_type\": \"InstanceStart\"}"), 400, "Cannot start microvm without kernel configuration.");
        // Firecracker's text first (its test matches it), then which field and what to do.
        assertFault(http.put("/boot-source", "{\"kernel_image_path\": \"" + dir + "/none\"}"), 400,
                "The kernel file cannot be opened: No such file or directory (os error 2) (boot-source.kernel_image_path: " + dir
                        + "/none does not exist");
        // A drive's names the OS's error, which Firecracker's test looks for.
        assertTrue(json(http.put("/drives/d", "{\"drive_id\": \"d\", \"path_on_host\": \"" + dir + "/gone\", \"is_root_device\": false,"
                + " \"is_read_only\": true}")).get("fault_message").asText().contains("No such file or directory"));
        assertFault(http.put("/boot-source", "{\"boot_args\": \"x\"}"), 400,
                SERDE + "missing field `kernel_image_path` at line 1 column 18. boot-source.kernel_image_path is required");
        assertEquals(204, http.put("/boot-source", "{\"kernel_image_path\": \"" + kernel + "\", \"boot_args\": \"console=ttyS0\"}").status());
        vmm.failStartWith = "cannot load kernel: not an ELF or bzImage";
        assertFault(http.put("/actions", "{\"action_type\": \"InstanceStart\"}"), 400, "cannot load kernel: not an ELF or bzImage");
        assertEquals("Not started", json(http.get("/")).get("state").asText());
        vmm.failStartWith = null;
        assertEquals(204, http.put("/actions", "{\"action_type\": \"InstanceStart\"}").status());
        assertEquals("console=ttyS0", vmm.startedWith.bootSource().bootArgs());
        assertFault(http.put("/actions", "{\"action_type\": \"InstanceStart\"}"), 400, NOT_AFTER);
        assertFault(http.put("/boot-source", "{\"kernel_image_path\": \"" + kernel + "\"}"), 400, NOT_AFTER);
    }

    /**
     * {@code GET /} is answered on the I/O thread: it does not queue behind a command the
     * controller thread is still running (here an InstanceStart held in the VMM), and it still
     * counts and reports the state the controller last set.
     */
    @Test
    void getRootIsAnsweredWhileTheControllerIsBusy() throws Exception {
        assertEquals(204, http.put("/boot-source", "{\"kernel_image_path\": \"" + kernel + "\"}").status());
        vmm.startGate = new java.util.concurrent.CountDownLatch(1);
        java.util.concurrent.CompletableFuture<UnixHttpClient.Response> start = java.util.concurrent.CompletableFuture.supplyAsync(() -> {
            try {
                return new UnixHttpClient(dir.resolve("api.sock")).put("/actions", "{\"action_type\": \"InstanceStart\"}");
            } catch (java.io.IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        });
        try {
            for (int i = 0; i < 600 && !vmm.calls.contains("start"); i++) {
                Thread.sleep(100);
            }
            assertTrue(vmm.calls.contains("start"), "InstanceStart reached the VMM");
            long before = dev.ember.metrics.Metrics.group("get_api_requests").counter("instance_info_count").get();
            UnixHttpClient.Response info = org.junit.jupiter.api.Assertions.assertTimeoutPreemptively(
                    java.time.Duration.ofSeconds(60), () -> http.get("/"), "GET / waited for the controller thread");
            assertEquals(200, info.status(), info.body());
            assertEquals("Not started", json(info).get("state").asText());
            assertEquals("vm1", json(info).get("id").asText());
            assertEquals(before + 1, dev.ember.metrics.Metrics.group("get_api_requests").counter("instance_info_count").get());
            assertFalse(start.isDone(), "InstanceStart is still held");
        } finally {
            vmm.startGate.countDown();
        }
        assertEquals(204, start.get(60, java.util.concurrent.TimeUnit.SECONDS).status());
        assertEquals("Running", json(http.get("/")).get("state").asText());
    }

    @Test
    void unsupportedDevicesFailInstanceStartByName() throws Exception {
        http.put("/boot-source", "{\"kernel_image_path\": \"" + kernel + "\"}");
        assertEquals(204, http.put("/vsock", "{\"guest_cid\": 3, \"uds_path\": \"" + dir + "/v.sock\"}").status());
        assertEquals(204, http.put("/entropy", "{}").status());
        var expected = resources.unsupportedDevices();
        if (!expected.isEmpty()) {
            assertFault(http.put("/actions", "{\"action_type\": \"InstanceStart\"}"), 400,
                    "not supported yet: " + String.join(", ", expected));
            assertFalse(vmm.calls.contains("start"));
        }
    }

    @Test
    void actionsValidation() throws Exception {
        assertFault(http.put("/actions", "{\"action_type\": \"Reboot\"}"), 400,
                SERDE + "unknown variant `Reboot`, expected one of `FlushMetrics`, `InstanceStart`, `SendCtrlAltDel` at line 1 column 24."
                + " Set actions.action_type to one of: FlushMetrics, InstanceStart, SendCtrlAltDel");
        assertFault(http.put("/actions", "{}"), 400, SERDE + "missing field `action_type` at line 1 column 2. actions.action_type is required");
        assertFault(http.put("/actions", "{\"action_type\": \"SendCtrlAltDel\"}"), 400, NOT_BEFORE);
        assertFault(http.put("/actions", "{\"action_type\": \"FlushMetrics\"}"), 400, "The metrics system is not initialized.");
        boot();
        assertEquals(204, http.put("/actions", "{\"action_type\": \"SendCtrlAltDel\"}").status());
        assertTrue(vmm.calls.contains("ctrl-alt-del"));
    }

    @Test
    void pauseResume() throws Exception {
        assertFault(http.patch("/vm", "{\"state\": \"Paused\"}"), 400, NOT_BEFORE);
        boot();
        assertFault(http.patch("/vm", "{\"state\": \"Stopped\"}"), 400,
                SERDE + "unknown variant `Stopped`, expected `Paused` or `Resumed` at line 1 column 19. Set vm.state to one of: Paused, Resumed");
        assertEquals(204, http.patch("/vm", "{\"state\": \"Paused\"}").status());
        assertEquals(204, http.patch("/vm", "{\"state\": \"Resumed\"}").status());
        assertEquals(java.util.List.of("start", "pause", "resume"), vmm.calls);
    }

    // ---- drives and network ----

    @Test
    void drives() throws Exception {
        String body = "{\"drive_id\": \"rootfs\", \"path_on_host\": \"" + disk + "\", \"is_root_device\": true, \"is_read_only\": false}";
        assertEquals(204, http.put("/drives/rootfs", body).status());
        assertFault(http.put("/drives/other", body), 400, "The id from the path does not match the id from the body!");
        assertFault(http.put("/drives/bad-id", body.replace("\"rootfs\"", "\"bad-id\"")), 400,
                "API Resource IDs can only contain alphanumeric characters and underscores.");
        assertFault(http.put("/drives/r2", body.replace("\"rootfs\"", "\"r2\"")), 400, "A root block device already exists!");
        assertFault(http.put("/drives/d", "{\"drive_id\": \"d\", \"path_on_host\": \"" + disk + "\", \"is_root_device\": false, "
                + "\"cache_type\": \"Sometimes\"}"), 400,
                SERDE + "unknown variant `Sometimes`, expected `Unsafe` or `Writeback` at line 1 column "); // after the disk's path
        assertFault(http.patch("/drives/rootfs", "{\"drive_id\": \"rootfs\"}"), 400, NOT_BEFORE);
        assertEquals("rootfs", json(http.get("/vm/config")).get("drives").get(0).get("drive_id").asText());
        assertEquals(!dev.ember.config.Device.DRIVES.supported(), resources.unsupportedDevices().contains("drives"));
    }

    @Test
    void drivePatchAfterBoot() throws Exception {
        // Drive support may not have landed: configure through the model, then boot via the fake.
        resources.putDrive(dev.ember.config.DriveConfig.of("rootfs", disk.toString(), true, false));
        resources.setBootSource(new dev.ember.config.BootSourceConfig(kernel.toString(), null, null));
        vmm.state = MicroVm.State.RUNNING;
        Path other = Files.writeString(dir.resolve("other.img"), "o");
        assertEquals(204, http.patch("/drives/rootfs", "{\"drive_id\": \"rootfs\", \"path_on_host\": \"" + other + "\"}").status());
        assertTrue(vmm.calls.contains("drive rootfs " + other + " reopen"));
        // The same path again reopens it (the file may have been resized); a limiter alone does not.
        assertEquals(204, http.patch("/drives/rootfs", "{\"drive_id\": \"rootfs\", \"path_on_host\": \"" + other + "\"}").status());
        assertEquals(2, vmm.calls.stream().filter(("drive rootfs " + other + " reopen")::equals).count());
        assertEquals(204, http.patch("/drives/rootfs", "{\"drive_id\": \"rootfs\", \"rate_limiter\": {\"ops\": {\"size\": 1, \"refill_time\": 10}}}").status());
        assertTrue(vmm.calls.contains("drive rootfs " + other));
        // The device refusing the new file leaves the configuration as it was.
        vmm.failDriveUpdateWith = "drive 'rootfs': cannot open path_on_host " + disk + " read-write: No such device or address";
        assertFault(http.patch("/drives/rootfs", "{\"drive_id\": \"rootfs\", \"path_on_host\": \"" + disk + "\"}"), 400,
                "drive 'rootfs': cannot open path_on_host");
        assertEquals(other.toString(), json(http.get("/vm/config")).at("/drives/0/path_on_host").asText());
        vmm.failDriveUpdateWith = null;
        assertFault(http.patch("/drives/rootfs", "{\"drive_id\": \"rootfs\", \"is_read_only\": true}"), 400,
                SERDE + "unknown field `is_read_only`, expected one of `drive_id`, `path_on_host`, `rate_limiter` at line 1 column 37."
                + " drives has no field `is_read_only`; remove it or correct its name");
        assertFault(http.patch("/drives/nope", "{\"drive_id\": \"nope\", \"path_on_host\": \"" + other + "\"}"), 400,
                "drive \"nope\" does not exist");
        assertFault(http.put("/drives/x", "{\"drive_id\": \"x\"}"), 400, NOT_AFTER);
    }

    @Test
    void networkInterfaces() throws Exception {
        String body = "{\"iface_id\": \"eth0\", \"host_dev_name\": \"tap0\", \"guest_mac\": \"06:00:AC:10:00:02\"}";
        assertEquals(204, http.put("/network-interfaces/eth0", body).status());
        assertFault(http.put("/network-interfaces/eth1", body.replace("eth0", "eth1")), 400,
                "Could not create the network device: the host device name tap0 is already in use.");
        assertFault(http.put("/network-interfaces/eth1", "{\"iface_id\": \"eth1\", \"host_dev_name\": \"tap1\", \"guest_mac\": \"nope\"}"),
                400, "network-interfaces[eth1].guest_mac \"nope\" is not a MAC address");
        assertFault(http.put("/network-interfaces/eth2", body), 400, "The id from the path does not match the id from the body!");
        assertFault(http.patch("/network-interfaces/eth0", "{\"iface_id\": \"eth0\"}"), 400, NOT_BEFORE);
        vmm.state = MicroVm.State.RUNNING;
        assertEquals(204, http.patch("/network-interfaces/eth0", "{\"iface_id\": \"eth0\", \"rx_rate_limiter\": "
                + "{\"bandwidth\": {\"size\": 1000, \"refill_time\": 100}}}").status());
        assertTrue(vmm.calls.contains("net eth0"));
        assertEquals(1000, resources.networkInterfaces().get(0).rxRateLimiter().bandwidth().size());
        assertFault(http.patch("/network-interfaces/eth9", "{\"iface_id\": \"eth9\"}"), 400, "Invalid interface ID - not found.");
        assertFault(http.put("/network-interfaces/eth0", body), 400, NOT_AFTER);
    }

    // ---- other devices ----

    @Test
    void vsockEntropySerialCpuConfig() throws Exception {
        assertFault(http.put("/vsock", "{\"guest_cid\": 1, \"uds_path\": \"/v\"}"), 400, "vsock.guest_cid is 1; use a value from 3");
        assertEquals(204, http.put("/vsock", "{\"guest_cid\": 3, \"uds_path\": \"/v\"}").status());
        assertFault(http.put("/entropy", "{\"rate_limiter\": {\"bandwidth\": {\"size\": -1, \"refill_time\": 1}}}"), 400,
                SERDE + "invalid value: integer `-1`, expected u64 at line 1 column 42. entropy.rate_limiter.bandwidth.size is -1");
        assertEquals(204, http.put("/entropy", "{\"rate_limiter\": {\"bandwidth\": {\"size\": 1, \"refill_time\": 1}}}").status());
        assertFault(http.put("/serial", "{\"serial_out_path\": 5}"), 400,
                SERDE + "invalid type: integer `5`, expected a string at line 1 column 21. serial.serial_out_path must be a string");
        assertEquals(204, http.put("/serial", "{\"serial_out_path\": \"" + dir + "/serial.log\"}").status());
        assertFault(http.put("/cpu-config", "{\"kvm_capabilities\": [\"x\"]}"), 400, "cpu-config.kvm_capabilities[0] is \"x\"");
        assertEquals(204, http.put("/cpu-config", "{\"kvm_capabilities\": [\"!121\"]}").status());
        JsonNode config = json(http.get("/vm/config"));
        assertEquals(3, config.get("vsock").get("guest_cid").asInt());
        assertEquals("!121", config.get("cpu-config").get("kvm_capabilities").get(0).asText());
        vmm.state = MicroVm.State.RUNNING;
        for (String path : new String[] {"/vsock", "/entropy", "/serial", "/cpu-config"}) {
            assertFault(http.put(path, "{}"), 400, NOT_AFTER);
        }
    }

    @Test
    void balloon() throws Exception {
        assertFault(http.get("/balloon"), 400, "No balloon device found.");
        assertFault(http.put("/balloon", "{\"amount_mib\": 1000, \"deflate_on_oom\": true}"), 400, "Amount of pages requested is too large.");
        assertFault(http.put("/balloon", "{\"amount_mib\": 10}"), 400,
                SERDE + "missing field `deflate_on_oom` at line 1 column 18. balloon.deflate_on_oom is required");
        assertEquals(204, http.put("/balloon", "{\"amount_mib\": 10, \"deflate_on_oom\": true, \"stats_polling_interval_s\": 1}").status());
        assertEquals(10, json(http.get("/balloon")).get("amount_mib").asInt());
        // PATCH is a runtime operation in Firecracker: before boot, PUT again.
        assertFault(http.patch("/balloon", "{\"amount_mib\": 20}"), 400, NOT_BEFORE);
        assertFault(http.patch("/balloon/statistics", "{\"stats_polling_interval_s\": 5}"), 400, NOT_BEFORE);
        assertEquals(10, json(http.get("/balloon")).get("amount_mib").asInt());
        assertFault(http.get("/balloon/statistics"), 400, NOT_BEFORE);
        vmm.state = MicroVm.State.RUNNING;
        assertEquals(204, http.patch("/balloon", "{\"amount_mib\": 30}").status());
        assertTrue(vmm.calls.contains("balloon 30"));
        assertEquals(204, http.patch("/balloon/statistics", "{\"stats_polling_interval_s\": 5}").status());
        assertTrue(vmm.calls.contains("balloon-stats 5"));
        assertFault(http.patch("/balloon/statistics", "{\"stats_polling_interval_s\": 0}"), 400, "Cannot enable/disable the statistics after boot.");
        assertEquals(256, json(http.get("/balloon/statistics")).get("target_pages").asInt());
        assertFault(http.put("/balloon", "{\"amount_mib\": 1, \"deflate_on_oom\": true}"), 400, NOT_AFTER);
        // A device that refuses (its driver not started yet) leaves the recorded target as it was.
        vmm.balloonRefuses = "Device not activated yet.";
        assertFault(http.patch("/balloon", "{\"amount_mib\": 40}"), 400, "Device not activated yet.");
        assertEquals(30, json(http.get("/balloon")).get("amount_mib").asInt());
    }

    @Test
    void balloonHinting() throws Exception {
        assertFault(http.patch("/balloon/hinting/start", ""), 400, NOT_BEFORE);
        assertFault(http.get("/balloon/hinting/status"), 400, NOT_BEFORE);
        vmm.state = MicroVm.State.RUNNING;
        assertFault(http.patch("/balloon/hinting/start", ""), 400, "No balloon device found.");
        vmm.state = MicroVm.State.NOT_STARTED;
        assertEquals(204, http.put("/balloon", "{\"amount_mib\": 0, \"deflate_on_oom\": false}").status());
        vmm.state = MicroVm.State.RUNNING;
        assertFault(http.patch("/balloon/hinting/start", ""), 400, "Free page hinting is not enabled for the balloon device.");
        assertFault(http.get("/balloon/hinting/status"), 400, "Free page hinting is not enabled for the balloon device.");
        vmm.state = MicroVm.State.NOT_STARTED;
        assertEquals(204, http.put("/balloon", "{\"amount_mib\": 0, \"deflate_on_oom\": false, \"free_page_hinting\": true}").status());
        vmm.state = MicroVm.State.RUNNING;
        assertEquals(204, http.patch("/balloon/hinting/start", "").status(), "the body is optional");
        assertEquals(204, http.patch("/balloon/hinting/start", "{\"acknowledge_on_stop\": false}").status());
        assertEquals(java.util.List.of("balloon-hinting-start true", "balloon-hinting-start false"),
                vmm.calls.stream().filter(c -> c.startsWith("balloon-hinting-start")).toList());
        assertFault(http.patch("/balloon/hinting/start", "{\"acknowledge_on_finish\": true}"), 400, SERDE + "unknown field `acknowledge_on_finish`, expected `acknowledge_on_stop` at line 1 column 24.");
        assertEquals("{\"host_cmd\":2,\"guest_cmd\":2}", http.get("/balloon/hinting/status").body());
        assertEquals(204, http.patch("/balloon/hinting/stop", "").status());
        assertEquals(204, http.patch("/balloon/hinting/stop", "{}").status());
        assertTrue(vmm.calls.contains("balloon-hinting-stop"));
    }

    @Test
    void mmds() throws Exception {
        assertEquals("{}", http.get("/mmds").body());
        assertFault(http.patch("/mmds", "{\"a\": 1}"), 400, "The MMDS data store is not initialized.");
        assertEquals(204, http.put("/mmds", "{\"latest\": {\"meta-data\": {\"ami-id\": \"ami-1\"}}}").status());
        assertEquals(204, http.patch("/mmds", "{\"latest\": {\"meta-data\": {\"hostname\": \"vm1\"}}}").status());
        JsonNode data = json(http.get("/mmds"));
        assertEquals("ami-1", data.at("/latest/meta-data/ami-id").asText());
        assertEquals("vm1", data.at("/latest/meta-data/hostname").asText());
        assertFault(http.put("/mmds", "[1,2]"), 400, "The MMDS contents must be a JSON object");
        assertFault(http.put("/mmds/config", "{\"network_interfaces\": [\"eth0\"]}"), 400,
                "The list of network interface IDs provided contains at least one ID that does not correspond");
        http.put("/network-interfaces/eth0", "{\"iface_id\": \"eth0\", \"host_dev_name\": \"tap0\"}");
        assertEquals(204, http.put("/mmds/config", "{\"network_interfaces\": [\"eth0\"], \"version\": \"V2\"}").status());
        resources.mmds().setSizeLimit(40);
        assertFault(http.put("/mmds", "{\"k\": \"" + "v".repeat(50) + "\"}"), 413, "The MMDS data store would be");
        vmm.state = MicroVm.State.RUNNING;
        assertEquals(200, http.get("/mmds").status());
        assertFault(http.put("/mmds/config", "{\"network_interfaces\": [\"eth0\"]}"), 400, NOT_AFTER);
    }

    // ---- logger, metrics ----

    @Test
    void loggerAndMetrics() throws Exception {
        assertFault(http.put("/logger", "{\"level\": \"Chatty\"}"), 400, SERDE + "invalid value at line 1 column 18. logger.level: invalid log level \"Chatty\"");
        assertFault(http.put("/logger", "{\"log_path\": \"" + dir + "/no/such/dir/log\"}"), 400, "logger.log_path: cannot open");
        Path log = dir.resolve("ember.log");
        assertEquals(204, http.put("/logger", "{\"log_path\": \"" + log + "\", \"level\": \"Info\", \"show_level\": true}").status());
        http.get("/");
        assertTrue(Files.readString(log).contains(":INFO] The API server received a GET request on \"/\"."), Files.readString(log));
        dev.ember.logging.Logging.init("test"); // back to stderr for the other tests

        Path out = dir.resolve("metrics.json");
        assertFault(http.put("/metrics", "{}"), 400, "missing field `metrics_path` (metrics.metrics_path)");
        assertEquals(204, http.put("/metrics", "{\"metrics_path\": \"" + out + "\"}").status());
        assertFault(http.put("/metrics", "{\"metrics_path\": \"" + out + "\"}"), 400, "Reinitialization of metrics not allowed.");
        http.get("/machine-config");
        assertEquals(204, http.put("/actions", "{\"action_type\": \"FlushMetrics\"}").status());
        String[] lines = Files.readString(out).split("\n");
        JsonNode last = StrictJson.MAPPER.readTree(lines[lines.length - 1]);
        assertTrue(last.get("utc_timestamp_ms").asLong() > 0);
        assertTrue(last.at("/get_api_requests/machine_cfg_count").asLong() >= 1, last.toString());
        assertTrue(last.at("/put_api_requests/metrics_fails").asLong() >= 1, last.toString());
        vmm.state = MicroVm.State.RUNNING;
        assertFault(http.put("/logger", "{}"), 400, NOT_AFTER);
        assertEquals(204, http.put("/actions", "{\"action_type\": \"FlushMetrics\"}").status());
    }

    @Test
    void prometheusText() throws Exception {
        http.get("/");
        UnixHttpClient.Response r = http.get("/metrics/prometheus");
        assertEquals(200, r.status());
        assertTrue(r.header("content-type").startsWith("application/openmetrics-text"));
        assertTrue(r.body().contains("# TYPE ember_get_api_requests_instance_info_count counter\n"), r.body());
        assertTrue(r.body().contains("\nember_get_api_requests_instance_info_count_total "), r.body());
        assertTrue(r.body().endsWith("# EOF\n"));
    }

    // ---- snapshots ----

    @Test
    void snapshots() throws Exception {
        assertFault(http.put("/snapshot/load", "{\"snapshot_path\": \"/s\"}"), 400,
                SERDE + "missing field: either `mem_backend` or `mem_file_path` is required.");
        // A fresh process hands the load to the VMM (FakeVmm has no snapshot support).
        assertFault(http.put("/snapshot/load", "{\"snapshot_path\": \"/s\", \"mem_file_path\": \"/m\"}"), 400, "not supported: snapshots");
        assertFault(http.put("/snapshot/create", "{\"snapshot_path\": \"/s\", \"mem_file_path\": \"/m\"}"), 400, NOT_BEFORE);
        http.put("/boot-source", "{\"kernel_image_path\": \"" + kernel + "\"}");
        assertFault(http.put("/snapshot/load", "{\"snapshot_path\": \"/s\", \"mem_file_path\": \"/m\"}"), 400,
                "Loading a microVM snapshot not allowed after configuring boot-specific resources.");
        vmm.state = MicroVm.State.PAUSED;
        assertFault(http.put("/snapshot/create", "{\"snapshot_path\": \"/s\", \"mem_file_path\": \"/m\", \"snapshot_type\": \"Full\"}"),
                400, "not supported: snapshots");
        assertFault(http.put("/snapshot/create", "{\"snapshot_path\": \"/s\"}"), 400,
                SERDE + "missing field `mem_file_path` at line 1 column 23. snapshot.mem_file_path is required");
    }

    /** mem_backend Uffd (Firecracker's body) reaches the VMM; its fields are checked first, naming the field. */
    @Test
    void snapshotLoadTakesTheUffdMemoryBackend() throws Exception {
        assertFault(http.put("/snapshot/load", "{\"snapshot_path\": \"/s\", \"mem_backend\": {\"backend_type\": \"Uffd\","
                + " \"backend_path\": \"/run/uffd.sock\"}, \"resume_vm\": true}"), 400, "not supported: snapshots");
        assertFault(http.put("/snapshot/load", "{\"snapshot_path\": \"/s\", \"mem_backend\": {\"backend_type\": \"Uffd\"}}"), 400,
                SERDE + "missing field `backend_path` at line 1 column 63. snapshot.mem_backend.backend_path is required");
        assertFault(http.put("/snapshot/load", "{\"snapshot_path\": \"/s\", \"mem_backend\": {\"backend_path\": \"/u.sock\"}}"), 400,
                SERDE + "missing field `backend_type` at line 1 column 66. snapshot.mem_backend.backend_type is required");
        UnixHttpClient.Response r = http.put("/snapshot/load", "{\"snapshot_path\": \"/s\", \"mem_backend\": {\"backend_type\": \"uffd\","
                + " \"backend_path\": \"/u.sock\"}}");
        assertEquals(400, r.status(), r.body());
        assertTrue(r.body().contains("backend_type") && r.body().contains("File") && r.body().contains("Uffd"), r.body());
        assertFault(http.put("/snapshot/load", "{\"snapshot_path\": \"/s\", \"mem_backend\": {\"backend_type\": \"Uffd\","
                + " \"backend_path\": \"/u.sock\"}, \"mem_file_path\": \"/m\"}"), 400,
                SERDE + "too many fields: either `mem_backend` or `mem_file_path` exclusively is required.");
    }

    /**
     * The VMM hears configuration began when a request other than GET / arrives, before its body
     * has: a snapshot load's body, state file and recorded configuration are then read while the
     * VMM builds the KVM VM ahead.
     */
    @Test
    void configurationBeginsWhenARequestArrivesNotOnceItsBodyIsRead() throws Exception {
        http.get("/");
        assertEquals(1, vmm.configurationBegan.getCount(), "GET / is no configuration");
        try (java.nio.channels.SocketChannel ch = java.nio.channels.SocketChannel.open(java.net.StandardProtocolFamily.UNIX)) {
            ch.connect(java.net.UnixDomainSocketAddress.of(dir.resolve("api.sock")));
            String body = "{\"snapshot_path\": \"/s\", \"mem_file_path\": \"/m\"}";
            String head = "PUT /snapshot/load HTTP/1.1\r\nHost: x\r\nContent-Length: " + body.length() + "\r\n\r\n";
            ch.write(java.nio.ByteBuffer.wrap((head + body.substring(0, 10)).getBytes(java.nio.charset.StandardCharsets.UTF_8)));
            assertTrue(vmm.configurationBegan.await(60, java.util.concurrent.TimeUnit.SECONDS), "told with the body still on its way");
            assertTrue(vmm.calls.isEmpty(), "nothing ran yet: " + vmm.calls);
            ch.write(java.nio.ByteBuffer.wrap(body.substring(10).getBytes(java.nio.charset.StandardCharsets.UTF_8)));
            java.nio.ByteBuffer in = java.nio.ByteBuffer.allocate(4096);
            String answer = "";
            while (!answer.endsWith("}") && ch.read(in) > 0) {
                answer = new String(in.array(), 0, in.position(), java.nio.charset.StandardCharsets.UTF_8);
            }
            assertTrue(answer.startsWith("HTTP/1.1 400") && answer.contains("not supported: snapshots"), answer);
        }
    }

    /** Firecracker requires both fields of a network override; a null or half override was a 500 here (a null dereferenced). */
    @Test
    void snapshotLoadRefusesAnIncompleteNetworkOverride() throws Exception {
        String load = "{\"snapshot_path\": \"/s\", \"mem_file_path\": \"/m\", \"network_overrides\": ";
        assertFault(http.put("/snapshot/load", load + "[{\"iface_id\": \"eth0\", \"host_dev_name\": \"tap1\"}, null]}"), 400,
                "network_overrides[1] is null; give an object with iface_id and host_dev_name");
        assertFault(http.put("/snapshot/load", load + "[{\"host_dev_name\": \"tap1\"}]}"), 400,
                "missing field `iface_id` (network_overrides[0].iface_id)");
        assertFault(http.put("/snapshot/load", load + "[{\"iface_id\": \"eth0\"}]}"), 400,
                "missing field `host_dev_name` (network_overrides[0].host_dev_name)");
        assertFault(http.put("/snapshot/load", load + "[{\"iface_id\": \"eth0\", \"host_dev_name\": \"tap1\"}]}"), 400,
                "not supported: snapshots"); // complete: the load reaches the VMM (FakeVmm has no snapshots)
    }

    // ---- /vm/config and /openapi ----

    @Test
    void vmConfigIsTheConfigFileFormat() throws Exception {
        http.put("/boot-source", "{\"kernel_image_path\": \"" + kernel + "\", \"boot_args\": \"console=ttyS0\"}");
        http.put("/machine-config", "{\"vcpu_count\": 2, \"mem_size_mib\": 64}");
        UnixHttpClient.Response r = http.get("/vm/config");
        assertEquals(200, r.status());
        Path saved = Files.writeString(dir.resolve("saved.json"), r.body());
        VmResources again = VmResources.fromConfigFile(saved);
        assertEquals(resources.bootSource(), again.bootSource());
        assertEquals(resources.machineConfig(), again.machineConfig());
        // Firecracker's shape: every section present, null when not configured; logger and metrics
        // are the process's, never reported; no serial section.
        JsonNode view = json(r);
        for (String section : new String[] {"vsock", "balloon", "entropy", "cpu-config", "mmds-config", "logger", "metrics"}) {
            assertTrue(view.has(section) && view.get(section).isNull(), section + " in " + view);
        }
        assertEquals(0, view.get("drives").size());
        assertFalse(view.has("serial"), view.toString());
        http.put("/metrics", "{\"metrics_path\": \"" + dir.resolve("m.json") + "\"}");
        http.put("/serial", "{\"serial_out_path\": \"" + dir.resolve("console.log") + "\"}");
        http.put("/drives/d", "{\"drive_id\": \"d\", \"path_on_host\": \"" + disk + "\", \"is_root_device\": false,"
                + " \"rate_limiter\": {\"ops\": {\"size\": 10, \"refill_time\": 100}}}");
        view = json(http.get("/vm/config"));
        assertTrue(view.get("metrics").isNull(), view.toString());
        assertFalse(view.has("serial"), view.toString());
        assertTrue(view.at("/drives/0/rate_limiter/ops/one_time_burst").isNull(), "an unset one_time_burst is null, not 0: " + view);
    }
}
