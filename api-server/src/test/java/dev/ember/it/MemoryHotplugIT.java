package dev.ember.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.ember.api.UnixHttpClient;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * virtio-mem end to end through {@code bin/ember} on real KVM: the test guest's own driver
 * follows PATCH /hotplug/memory, plugging blocks (and writing every page of them) or unplugging
 * them; the VMM's anonymous RSS (/proc/PID/status) rises by what was plugged and falls when it
 * is unplugged, a slot whose blocks are all unplugged leaves the guest's memory (a store there
 * does not stick), GET /hotplug/memory follows the guest, and a snapshot carries the plugged
 * blocks' bytes to a fresh process.
 */
@NeedsKvm
class MemoryHotplugIT {
    private static final Duration BOOT = Duration.ofSeconds(90);
    private static final Duration STEP = Duration.ofSeconds(120);
    private static final String READY = "EMBER-TEST: READY virtio-mem";
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path dir;

    /** A guest that never drives the device (scenario idle): the host's request is refused, naming why. */
    @Test
    void aRequestBeforeTheGuestsDriverTookTheDeviceIsRefused() throws Exception {
        try (EmberProcess vm = EmberProcess.start("--api-sock", dir.resolve("idle.sock").toString(), "--id", "vmem-idle")) {
            UnixHttpClient http = vm.api(dir.resolve("idle.sock"));
            expect(204, http.put("/boot-source", "{\"kernel_image_path\": \"" + TestGuests.image()
                    + "\", \"boot_args\": \"console=ttyS0 ember.test=idle\"}"), "boot-source");
            expect(204, http.put("/machine-config", "{\"vcpu_count\": 1, \"mem_size_mib\": 64}"), "machine-config");
            expect(204, http.put("/hotplug/memory", "{\"total_size_mib\": 128}"), "hotplug/memory");
            expect(204, http.put("/actions", "{\"action_type\": \"InstanceStart\"}"), "InstanceStart");
            UnixHttpClient.Response r = http.patch("/hotplug/memory", "{\"requested_size_mib\": 2}");
            expect(400, r, "PATCH before the driver");
            assertTrue(r.body().contains("Memory hotplug update error: Failed to create memory hotplug device: Device is not active"
                    + " (the guest's virtio-mem driver has not started yet"), r.body());
            JsonNode s = status(http);
            assertEquals(0, s.get("requested_size_mib").asLong(), "the refused request changed nothing: " + s);
            assertEquals(128, s.get("slot_size_mib").asLong(), "Firecracker's default slot size: " + s);
            vm.terminate();
            vm.awaitExit(BOOT);
        }
    }

    private EmberProcess start(String name, boolean boot) throws Exception {
        return start(name, boot, false);
    }

    private EmberProcess start(String name, boolean boot, boolean trackDirtyPages) throws Exception {
        EmberProcess vm = EmberProcess.start("--api-sock", dir.resolve(name + ".sock").toString(), "--id", "vmem-" + name);
        if (boot) {
            UnixHttpClient http = vm.api(dir.resolve(name + ".sock"));
            expect(204, http.put("/boot-source", "{\"kernel_image_path\": \"" + TestGuests.image()
                    + "\", \"boot_args\": \"console=ttyS0 ember.test=virtio-mem\"}"), "boot-source");
            expect(204, http.put("/machine-config", "{\"vcpu_count\": 1, \"mem_size_mib\": 64, \"track_dirty_pages\": "
                    + trackDirtyPages + "}"), "machine-config");
            expect(204, http.put("/hotplug/memory", "{\"total_size_mib\": 256, \"block_size_mib\": 2, \"slot_size_mib\": 128}"),
                    "hotplug/memory");
            expect(204, http.put("/actions", "{\"action_type\": \"InstanceStart\"}"), "InstanceStart");
            vm.awaitStdout(READY, BOOT);
        }
        return vm;
    }

    /** PATCHes the requested size, lets the guest follow it and waits for its report. */
    private static void reach(EmberProcess vm, UnixHttpClient http, long mib) throws Exception {
        expect(204, http.patch("/hotplug/memory", "{\"requested_size_mib\": " + mib + "}"), "PATCH " + mib);
        vm.type("p");
        vm.awaitStdout("virtio-mem: requested " + mib + " MiB, plugged " + mib + " MiB[^\n]*\n(virtio-mem: slot 1 \\w+\n)?"
                + READY, STEP);
    }

    private static JsonNode status(UnixHttpClient http) throws Exception {
        UnixHttpClient.Response r = http.get("/hotplug/memory");
        expect(200, r, "GET /hotplug/memory");
        return JSON.readTree(r.body());
    }

    @Test
    void theGuestPlugsAndUnplugsAsAskedAndTheHostGetsTheMemoryBack() throws Exception {
        try (EmberProcess vm = start("a", true)) {
            UnixHttpClient http = vm.api(dir.resolve("a.sock"));
            String out = vm.stdout();
            assertTrue(out.contains("virtio-mem: block 2 MiB, addr 0x100000000, region 256 MiB, usable 0 MiB, plugged 0 MiB,"
                    + " requested 0 MiB\n"), "above RAM at 4 GiB, nothing plugged at boot\n" + vm.describe());
            assertTrue(out.contains("virtio-mem: misaligned PLUG 3, STATE outside the usable region 3, type 9 3\n"),
                    "bad requests are answered ERROR\n" + vm.describe());
            JsonNode s = status(http);
            assertEquals(256, s.get("total_size_mib").asLong());
            assertEquals(0, s.get("plugged_size_mib").asLong());
            long before = vm.rssAnonKib();

            reach(vm, http, 256);
            long plugged = vm.rssAnonKib();
            s = status(http);
            assertEquals(256, s.get("plugged_size_mib").asLong(), s.toString());
            assertEquals(256, s.get("requested_size_mib").asLong(), s.toString());
            assertTrue(plugged - before > 200 * 1024, "the guest wrote 256 MiB of plugged memory: RssAnon " + before + " -> "
                    + plugged + " KiB\n" + vm.describe());

            reach(vm, http, 64);
            long unplugged = vm.rssAnonKib();
            assertTrue(plugged - unplugged > 150 * 1024, "192 MiB unplugged went back to the host: RssAnon " + plugged + " -> "
                    + unplugged + " KiB\n" + vm.describe());
            assertTrue(vm.stdout().contains("virtio-mem: slot 1 absent\n"), "the emptied slot left the guest's memory\n"
                    + vm.describe());
            assertEquals(64, status(http).get("plugged_size_mib").asLong());
            System.out.printf("MemoryHotplugIT: RssAnon %d KiB at boot, %d KiB with 256 MiB plugged, %d KiB after unplugging"
                    + " 192 MiB%n", before, plugged, unplugged);

            UnixHttpClient.Response odd = http.patch("/hotplug/memory", "{\"requested_size_mib\": 3}");
            expect(400, odd, "an odd size");
            assertTrue(odd.body().contains("Memory hotplug update error: Failed to create memory hotplug device: Size 3145728 is"
                    + " invalid: it must be a multiple of block size and less than the total size"), odd.body());
            expect(400, http.patch("/hotplug/memory", "{\"requested_size_mib\": 258}"), "more than the region");

            vm.type("q");
            assertEquals(0, vm.awaitExit(BOOT), vm.describe());
            assertTrue(vm.stdout().contains("virtio-mem: UNPLUG_ALL 0, plugged 0 MiB\n"), vm.describe());
            assertTrue(vm.stdout().contains("EMBER-TEST: PASS virtio-mem"), vm.describe());
        }
    }

    /**
     * A Full snapshot with 160 MiB plugged, then (resumed) 64 MiB unplugged and a Diff snapshot
     * into the same memory file: the file holds RAM and the range, the unplugged blocks' pages
     * read zero in it, the plugged ones hold what the guest wrote; a fresh process loads it and
     * its guest finds every plugged page as it left it, and goes on unplugging.
     */
    @Test
    void fullAndDiffSnapshotsCarryThePluggedBlocksToAFreshProcess() throws Exception {
        Path snap = dir.resolve("vmem.snap");
        Path mem = dir.resolve("vmem.mem");
        try (EmberProcess first = start("a", true, true)) {
            UnixHttpClient http = first.api(dir.resolve("a.sock"));
            reach(first, http, 160); // both slots: 128 MiB and 32 MiB of the second
            expect(204, http.patch("/vm", "{\"state\": \"Paused\"}"), "pause");
            expect(204, http.put("/snapshot/create", "{\"snapshot_path\": \"" + snap + "\", \"mem_file_path\": \"" + mem + "\"}"),
                    "Full");
            expect(204, http.patch("/vm", "{\"state\": \"Resumed\"}"), "resume");
            reach(first, http, 96);
            expect(204, http.patch("/vm", "{\"state\": \"Paused\"}"), "pause again");
            expect(204, http.put("/snapshot/create", "{\"snapshot_path\": \"" + snap + "\", \"mem_file_path\": \"" + mem
                    + "\", \"snapshot_type\": \"Diff\"}"), "Diff");
            first.terminate();
            first.awaitExit(BOOT);
        }
        long ram = 64L << 20;
        assertEquals(ram + (256L << 20), java.nio.file.Files.size(mem), "RAM, then the hotpluggable range");
        try (java.nio.channels.FileChannel f = java.nio.channels.FileChannel.open(mem)) {
            java.nio.ByteBuffer b = java.nio.ByteBuffer.allocate(8).order(java.nio.ByteOrder.LITTLE_ENDIAN);
            f.read(b, ram + (10L << 20));
            assertEquals(0x1_0000_0000L + (10L << 20), b.getLong(0), "a plugged page holds the address the guest wrote");
            b.clear();
            f.read(b, ram + (100L << 20));
            assertEquals(0, b.getLong(0), "a page unplugged after the Full snapshot reads zero in the Diff");
        }
        try (EmberProcess second = start("b", false)) {
            UnixHttpClient http = second.api(dir.resolve("b.sock"));
            expect(204, http.put("/snapshot/load", "{\"snapshot_path\": \"" + snap + "\", \"mem_backend\": {\"backend_type\": \"File\","
                    + " \"backend_path\": \"" + mem + "\"}, \"resume_vm\": true}"), "load");
            JsonNode s = status(http);
            assertEquals(96, s.get("plugged_size_mib").asLong(), s.toString());
            assertEquals(96, s.get("requested_size_mib").asLong(), s.toString());
            assertTrue(http.get("/vm/config").body().contains("\"memory-hotplug\":{\"total_size_mib\":256,\"block_size_mib\":2,"
                    + "\"slot_size_mib\":128}"), http.get("/vm/config").body());
            second.type("v");
            second.awaitStdout("virtio-mem: verified 96 MiB\n" + READY, STEP);
            reach(second, http, 0);
            second.type("q");
            assertEquals(0, second.awaitExit(BOOT), second.describe());
            assertTrue(second.stdout().contains("EMBER-TEST: PASS virtio-mem"), second.describe());
        }
    }

    private static void expect(int status, UnixHttpClient.Response r, String what) {
        assertEquals(status, r.status(), what + ": " + r.body());
    }
}
