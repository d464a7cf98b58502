package dev.ember.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.ember.api.UnixHttpClient;
import dev.ember.config.StrictJson;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Drives and network interfaces configured purely through the API socket of the real
 * {@code bin/ember}, test guests moving data through them, and the post-boot PATCHes a
 * Firecracker user relies on: a new backing file the guest sees with its new size, and rate
 * limiters that throttle from the moment they are patched (seen in the metrics file, which the
 * VMM flushes when it exits). Bad PATCHes are 400s whose fault_message names the field.
 */
@NeedsKvm
class ApiDevicesIT {
    private static final Duration BOOT = Duration.ofSeconds(90);
    private static final String GUEST_MAC = "06:00:AC:10:00:02";
    private static final String HOST_MAC = "0600ac100001";
    /** One operation per 100 ms, no burst: every request after the first waits for the timer. */
    private static final String ONE_OP_PER_100MS = "{\"ops\": {\"size\": 1, \"refill_time\": 100}}";

    @TempDir
    Path dir;

    private EmberProcess vm;
    private UnixHttpClient http;
    private Path metrics;

    @AfterEach
    void stop() {
        if (vm != null) {
            vm.close();
        }
    }

    /** Starts bin/ember with only an API socket (behind {@code launcher}, e.g. ip netns exec) and sets metrics and boot source. */
    private void start(List<String> launcher, String scenario) throws Exception {
        Path sock = dir.resolve("api.sock");
        vm = EmberProcess.startVia(launcher, "--api-sock", sock.toString(), "--id", "apidev");
        http = vm.api(sock);
        metrics = dir.resolve("metrics.json");
        put("/metrics", "{\"metrics_path\": \"" + metrics + "\"}");
        put("/boot-source", "{\"kernel_image_path\": \"" + TestGuests.image() + "\", \"boot_args\": \"console=ttyS0 ember.test="
                + scenario + "\"}");
        put("/machine-config", "{\"vcpu_count\": 1, \"mem_size_mib\": 64}");
    }

    private void put(String path, String body) throws IOException {
        UnixHttpClient.Response r = http.put(path, body);
        assertEquals(204, r.status(), "PUT " + path + " " + body + " -> " + r.body() + "\n" + vm.describe());
    }

    private void patch(String path, String body) throws IOException {
        UnixHttpClient.Response r = http.patch(path, body);
        assertEquals(204, r.status(), "PATCH " + path + " " + body + " -> " + r.body() + "\n" + vm.describe());
    }

    /** The request fails with 400 and a JSON fault_message containing each of {@code words}. */
    private void assertFault(UnixHttpClient.Response r, String... words) throws IOException {
        assertEquals(400, r.status(), r.body());
        assertTrue(r.header("content-type").startsWith("application/json"), r.headers().toString());
        JsonNode fault = StrictJson.MAPPER.readTree(r.body());
        String message = fault.path("fault_message").asText();
        for (String w : words) {
            assertTrue(message.contains(w), "fault_message names " + w + ": " + message);
        }
    }

    private void instanceStart() throws IOException {
        put("/actions", "{\"action_type\": \"InstanceStart\"}");
    }

    private void assertPass(String scenario) throws InterruptedException {
        assertEquals(0, vm.awaitExit(BOOT), "exit status\n" + vm.describe());
        assertTrue(vm.stdout().contains("EMBER-TEST: PASS " + scenario), vm.describe());
        assertTrue(!vm.stderr().contains("Exception") && !vm.stderr().contains("\tat "), "no stack trace in the log\n" + vm.describe());
    }

    /** A counter summed over every line of the metrics file (each line holds what accrued since the previous). */
    private long metric(String group, String counter) throws IOException {
        long sum = 0;
        for (String line : Files.readAllLines(metrics)) {
            sum += StrictJson.MAPPER.readTree(line).path(group).path(counter).asLong();
        }
        return sum;
    }

    private static String drive(String id, Path image, boolean readOnly, String cacheType) {
        return "{\"drive_id\": \"" + id + "\", \"path_on_host\": \"" + image + "\", \"is_root_device\": false, \"is_read_only\": "
                + readOnly + ", \"cache_type\": \"" + cacheType + "\"}";
    }

    private Path image(String name, byte[] content) throws IOException {
        return Files.write(dir.resolve(name), content);
    }

    /** Sector s of this image is filled with byte 0x40 + s: every sector differs, the guest's byte sum is known. */
    private static byte[] sectorNumbered(int sectors) {
        byte[] b = new byte[sectors * 512];
        for (int i = 0; i < b.length; i++) {
            b[i] = (byte) (0x40 + i / 512);
        }
        return b;
    }

    private static long byteSum(byte[] b) {
        long sum = 0;
        for (byte x : b) {
            sum += x & 0xFF;
        }
        return sum;
    }

    private static String hex8(byte[] b, int offset) {
        return HexFormat.of().formatHex(b, offset, offset + 8);
    }

    // ---- 1. configured through the API ------------------------------------------------------

    @Test
    void driveConfiguredThroughTheApiTakesTheGuestsWrites() throws Exception {
        Path img = image("scratch.img", new byte[1 << 20]);
        start(List.of(), "virtio-blk");
        put("/drives/scratch", drive("scratch", img, false, "Writeback"));
        JsonNode config = StrictJson.MAPPER.readTree(http.get("/vm/config").body());
        assertEquals(img.toString(), config.at("/drives/0/path_on_host").asText(), config.toString());
        instanceStart();
        assertPass("virtio-blk");
        assertTrue(vm.stdout().contains("virtio-blk: capacity 2048 sectors\n"), vm.describe());
        assertTrue(vm.stdout().contains("virtio-blk: id scratch\n"), vm.describe());
        assertTrue(vm.stdout().contains("virtio-blk: wrote 8 sectors at 1, flushed, read back identical\n"), vm.describe());

        TestGuests.assertVirtioBlkPattern(img);
        assertEquals(4096, metric("block_scratch", "write_bytes"));
        assertEquals(4096, metric("block_scratch", "read_bytes"));
        assertEquals(1, metric("block_scratch", "flush_count"));
    }

    @Test
    void driveTheDeviceCannotOpenFailsInstanceStartAndACorrectedOneBoots() throws Exception {
        start(List.of(), "virtio-blk-ro");
        // The API socket passes the model's checks (an existing, readable non-directory) but open(2) refuses it.
        Path sock = dir.resolve("api.sock");
        put("/drives/data", drive("data", sock, false, "Unsafe"));
        assertFault(http.put("/actions", "{\"action_type\": \"InstanceStart\"}"), "drive 'data'", "path_on_host", sock.toString());
        assertEquals("Not started", StrictJson.MAPPER.readTree(http.get("/").body()).get("state").asText());
        put("/drives/data", drive("data", image("data.img", filled(4096, (byte) 0x5A)), true, "Unsafe"));
        instanceStart();
        assertPass("virtio-blk-ro");
        assertTrue(vm.stdout().contains("virtio-blk: capacity 8 sectors\n"), vm.describe());
    }

    @Test
    void networkInterfaceConfiguredThroughTheApiCarriesFramesBothWays() throws Exception {
        try (NetnsTap net = NetnsTap.create("vtap0"); NetnsTap.Capture cap = net.capture(1)) {
            start(net.launcher(), "virtio-net");
            put("/network-interfaces/eth0", "{\"iface_id\": \"eth0\", \"host_dev_name\": \"" + net.tap + "\", \"guest_mac\": \""
                    + GUEST_MAC + "\"}");
            instanceStart();
            byte[] f = cap.next();
            assertNotNull(f, "no frame captured on the TAP\n" + vm.describe());
            assertEquals(60, f.length);
            assertEquals("ffffffffffff0600ac100002", HexFormat.of().formatHex(f, 0, 12), "broadcast from the guest MAC");
            assertTrue(new String(f, 14, 46, StandardCharsets.US_ASCII).startsWith("EMBER virtio-net frame from the guest"));
            net.send(List.of(NetnsTap.frame("0600ac100002", HOST_MAC, "EMBER reply from the host")));
            assertPass("virtio-net");
            assertTrue(vm.stdout().contains("virtio-net: mac 06:00:ac:10:00:02\n"), vm.describe());
            assertTrue(vm.stdout().contains(
                    "virtio-net: received 60-byte frame from 06:00:ac:10:00:01: EMBER reply from the host\n"), vm.describe());
        }
        assertEquals(1, metric("net_eth0", "tx_packets_count"));
        assertTrue(metric("net_eth0", "rx_packets_count") >= 1);
    }

    @Test
    void aTapThatCannotBeAttachedIsRefusedAtPutAsFirecrackerDoes() throws Exception {
        try (NetnsTap net = NetnsTap.create("vtap2")) {
            // A multi-queue TAP: attaching it without IFF_MULTI_QUEUE fails (EINVAL).
            assertEquals(0, NetnsTap.run(net.in("ip", "tuntap", "add", "dev", "mq0", "mode", "tap", "multi_queue")));
            start(net.launcher(), "hello");
            assertFault(http.put("/network-interfaces/eth0", "{\"iface_id\": \"eth0\", \"host_dev_name\": \"mq0\"}"),
                    "network-interfaces[eth0]", "TUNSETIFF", "mq0");
            assertEquals(0, StrictJson.MAPPER.readTree(http.get("/vm/config").body()).get("network-interfaces").size(),
                    "the refused interface is not kept");
            put("/network-interfaces/eth0", "{\"iface_id\": \"eth0\", \"host_dev_name\": \"" + net.tap + "\"}");
            instanceStart();
            assertPass("hello");
        }
    }

    // ---- 2. PATCH /drives path_on_host after boot -------------------------------------------

    @Test
    void patchedBackingFileReachesTheGuestWithItsNewSize() throws Exception {
        Path first = image("first.img", filled(16 * 512, (byte) 0x11));
        byte[] secondBytes = sectorNumbered(49);
        Path second = image("second.img", secondBytes);
        start(List.of(), "virtio-blk-swap");
        put("/drives/swap", drive("swap", first, true, "Unsafe"));
        instanceStart();
        vm.awaitStdout("^EMBER-TEST: READY virtio-blk-swap$", BOOT);
        assertTrue(vm.stdout().contains("virtio-blk-swap: before: capacity 16 sectors, sector 0 starts 1111111111111111\n"),
                vm.describe());

        // A path that passes the model's checks but that the device cannot open (a socket): 400,
        // and the drive keeps its file both in the device and in GET /vm/config.
        Path sock = dir.resolve("api.sock");
        assertFault(http.patch("/drives/swap", "{\"drive_id\": \"swap\", \"path_on_host\": \"" + sock + "\"}"),
                "path_on_host", sock.toString());
        JsonNode config = StrictJson.MAPPER.readTree(http.get("/vm/config").body());
        assertEquals(first.toString(), config.at("/drives/0/path_on_host").asText(), "a failed PATCH changes nothing");
        String prometheus = http.get("/metrics/prometheus").body();
        assertTrue(prometheus.contains("\nember_block_swap_update_fails_total 1\n"), prometheus);
        assertTrue(prometheus.contains("\nember_block_swap_update_count_total 0\n"), prometheus);
        assertFault(http.patch("/drives/swap", "{\"drive_id\": \"swap\", \"path_on_host\": \"" + dir.resolve("gone.img") + "\"}"),
                "drives[swap].path_on_host", "does not exist");

        patch("/drives/swap", "{\"drive_id\": \"swap\", \"path_on_host\": \"" + second + "\"}");
        assertPass("virtio-blk-swap");
        String out = vm.stdout();
        assertTrue(out.matches("(?s).*virtio-blk-swap: config change interrupt, generation (\\d+) -> (\\d+)\n.*"), vm.describe());
        assertTrue(out.contains("virtio-blk-swap: after: capacity 49 sectors, sector 0 starts " + hex8(secondBytes, 0)
                + ", last sector starts " + hex8(secondBytes, 48 * 512) + "\n"), vm.describe());
        assertTrue(out.contains("virtio-blk-swap: read 49 sectors in 7 requests, byte sum " + byteSum(secondBytes) + "\n"),
                vm.describe());
        assertEquals(1, metric("block_swap", "update_count"));
        assertEquals(1, metric("block_swap", "update_fails"));
    }

    @Test
    void patchWithTheSamePathWhilePausedPublishesTheResizedFile() throws Exception {
        Path img = image("grow.img", filled(8 * 512, (byte) 0x22));
        start(List.of(), "virtio-blk-swap");
        put("/drives/grow", drive("grow", img, false, "Unsafe"));
        instanceStart();
        vm.awaitStdout("^EMBER-TEST: READY virtio-blk-swap$", BOOT);
        patch("/vm", "{\"state\": \"Paused\"}");
        byte[] grown = sectorNumbered(24);
        Files.write(img, grown);
        patch("/drives/grow", "{\"drive_id\": \"grow\", \"path_on_host\": \"" + img + "\"}");
        assertEquals("Paused", StrictJson.MAPPER.readTree(http.get("/").body()).get("state").asText());
        patch("/vm", "{\"state\": \"Resumed\"}");
        assertPass("virtio-blk-swap");
        assertTrue(vm.stdout().contains("virtio-blk-swap: before: capacity 8 sectors"), vm.describe());
        assertTrue(vm.stdout().contains("virtio-blk-swap: read 24 sectors in 3 requests, byte sum " + byteSum(grown) + "\n"),
                vm.describe());
    }

    // ---- 3. rate limiters patched after boot ------------------------------------------------

    @Test
    void patchedDriveRateLimiterThrottlesTheGuestsReads() throws Exception {
        Path first = image("first.img", filled(4 * 512, (byte) 0x33));
        Path second = image("second.img", sectorNumbered(49));
        start(List.of(), "virtio-blk-swap");
        put("/drives/swap", drive("swap", first, true, "Unsafe"));
        instanceStart();
        vm.awaitStdout("^EMBER-TEST: READY virtio-blk-swap$", BOOT);

        // Invalid PATCHes while the guest waits: each a 400 naming what is wrong.
        assertFault(http.patch("/drives/swap", "{\"drive_id\": \"swap\", \"rate_limiter\": {\"opps\": {\"size\": 1}}}"),
                "unknown field `opps`, expected `bandwidth` or `ops` at line 1 column ", "rate_limiter has no field `opps`");
        assertFault(http.patch("/drives/swap", "{\"drive_id\": \"swap\", \"rate_limiter\": {\"ops\": {\"size\": -1, \"refill_time\": 100}}}"),
                "invalid value: integer `-1`, expected u64 at line 1 column ", "rate_limiter.ops.size is -1"); // serde's, as Firecracker
        assertFault(http.patch("/drives/swap", "{\"drive_id\": \"swap\", \"rate_limiter\": {\"bandwidth\": {\"size\": \"big\", \"refill_time\": 100}}}"),
                "rate_limiter.bandwidth.size", "integer");
        assertFault(http.patch("/drives/swap", "{\"drive_id\": \"swap\", \"rate_limiter\": {\"ops\": {\"size\": 1}}}"),
                "drives[swap].rate_limiter.ops.refill_time");
        assertFault(http.patch("/drives/swap", "{\"drive_id\": \"swap\", \"is_read_only\": false}"), "is_read_only");
        assertFault(http.patch("/drives/nope", "{\"drive_id\": \"nope\", \"rate_limiter\": " + ONE_OP_PER_100MS + "}"),
                "drive \"nope\" does not exist");
        assertFault(http.patch("/drives/swap", "{\"drive_id\": \"other\"}"), "path has \"swap\"", "body has \"other\"");
        assertFault(http.patch("/drives/swap", "{\"rate_limiter\": " + ONE_OP_PER_100MS + "}"), "body has no drive_id");
        assertFault(http.patch("/network-interfaces/eth0", "{\"iface_id\": \"eth0\", \"rx_rate_limiter\": " + ONE_OP_PER_100MS + "}"),
                "Invalid interface ID", "eth0");
        assertFault(http.put("/drives/late", drive("late", first, true, "Unsafe")), "not supported after starting");

        patch("/drives/swap", "{\"drive_id\": \"swap\", \"rate_limiter\": " + ONE_OP_PER_100MS + "}");
        JsonNode config = StrictJson.MAPPER.readTree(http.get("/vm/config").body());
        assertEquals(100, config.at("/drives/0/rate_limiter/ops/refill_time").asLong(), config.toString());
        long t0 = System.nanoTime();
        patch("/drives/swap", "{\"drive_id\": \"swap\", \"path_on_host\": \"" + second + "\"}");
        assertPass("virtio-blk-swap");
        long elapsedMs = (System.nanoTime() - t0) / 1_000_000;
        assertTrue(vm.stdout().contains("virtio-blk-swap: read 49 sectors in 7 requests"), vm.describe());
        // After the swap the guest makes 9 reads (sector 0, the last sector, 7 chunks): with one
        // operation per 100 ms, 8 of them wait. Half that is a safe lower bound.
        assertTrue(elapsedMs >= 400, "9 reads at one per 100 ms took only " + elapsedMs + " ms");
        assertTrue(metric("block_swap", "rate_limiter_throttled_events") > 0, "throttled events counted");
        assertEquals(1, metric("block_swap", "update_count"));
    }

    @Test
    void patchedNetworkRateLimitersThrottleBothDirections() throws Exception {
        int toGuest = 6;
        int fromGuest = 8;
        try (NetnsTap net = NetnsTap.create("vtap1"); NetnsTap.Capture cap = net.capture(fromGuest)) {
            start(net.launcher(), "virtio-net-burst");
            put("/network-interfaces/eth0", "{\"iface_id\": \"eth0\", \"host_dev_name\": \"" + net.tap + "\", \"guest_mac\": \""
                    + GUEST_MAC + "\"}");
            instanceStart();
            vm.awaitStdout("^EMBER-TEST: READY virtio-net-burst$", BOOT);

            assertFault(http.patch("/network-interfaces/eth0", "{\"iface_id\": \"eth0\", \"rx_rate_limiter\": {\"bandwith\": {}}}"),
                    "unknown field `bandwith`");
            assertFault(http.patch("/network-interfaces/eth0",
                    "{\"iface_id\": \"eth0\", \"tx_rate_limiter\": {\"ops\": {\"size\": 1, \"refill_time\": -100}}}"),
                    "invalid value: integer `-100`, expected u64 at line 1 column ", "tx_rate_limiter.ops.refill_time is -100");
            assertFault(http.patch("/network-interfaces/eth0", "{\"iface_id\": \"eth0\", \"guest_mac\": \"06:00:00:00:00:01\"}"),
                    "unknown field `guest_mac`");
            assertFault(http.patch("/network-interfaces/eth1", "{\"iface_id\": \"eth1\", \"rx_rate_limiter\": " + ONE_OP_PER_100MS + "}"),
                    "Invalid interface ID", "eth1");
            assertFault(http.patch("/network-interfaces/eth0", "{\"iface_id\": \"eth1\"}"), "path has \"eth0\"");
            assertFault(http.patch("/network-interfaces/eth0", "{\"iface_id\": \"eth0\", \"rx_rate_limiter\": []}"),
                    "rx_rate_limiter", "JSON object");

            patch("/network-interfaces/eth0", "{\"iface_id\": \"eth0\", \"rx_rate_limiter\": " + ONE_OP_PER_100MS
                    + ", \"tx_rate_limiter\": " + ONE_OP_PER_100MS + "}");
            List<byte[]> frames = new ArrayList<>();
            for (int k = 1; k <= toGuest; k++) {
                frames.add(NetnsTap.frame("0600ac100002", HOST_MAC, "EMBER host frame " + k));
            }
            long t0 = System.nanoTime();
            net.send(frames);
            for (int k = 1; k <= fromGuest; k++) {
                byte[] f = cap.next();
                assertNotNull(f, "guest frame " + k + " not captured on the TAP\n" + vm.describe());
                String text = new String(f, 14, 46, StandardCharsets.US_ASCII);
                assertTrue(text.startsWith("EMBER burst frame " + k + "\0"), "frame " + k + ": " + text);
            }
            assertPass("virtio-net-burst");
            long elapsedMs = (System.nanoTime() - t0) / 1_000_000;
            assertTrue(vm.stdout().contains("virtio-net-burst: received " + toGuest + " frames\n"), vm.describe());
            assertTrue(vm.stdout().contains("virtio-net-burst: sent " + fromGuest + " frames\n"), vm.describe());
            // 6 frames in and 8 out at one per 100 ms each way: at least 5 + 7 waits; half is safe.
            assertTrue(elapsedMs >= 600, "14 throttled frames took only " + elapsedMs + " ms");
        }
        assertTrue(metric("net_eth0", "rx_rate_limiter_throttled") > 0, "RX throttling counted");
        assertTrue(metric("net_eth0", "tx_rate_limiter_throttled") > 0, "TX throttling counted");
        assertEquals(fromGuest, metric("net_eth0", "tx_packets_count"));
    }

    private static byte[] filled(int bytes, byte value) {
        byte[] b = new byte[bytes];
        Arrays.fill(b, value);
        return b;
    }
}
