package dev.ember.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.ember.api.UnixHttpClient;
import dev.ember.config.StrictJson;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.io.TempDir;

/**
 * Snapshots through the API of the real bin/ember: a test guest is booted, paused, snapshotted,
 * its process killed, and a fresh process loads the snapshot and lets the guest finish what it
 * was doing (the {@code snapshot} scenario: a tick count, a RAM pattern and a virtio-blk queue
 * that must all carry on). Also the error paths a user meets.
 */
@NeedsKvm
class SnapshotIT {
    private static final Duration WAIT = Duration.ofSeconds(120);
    private static final int MEM_MIB = 64;
    @TempDir
    Path dir;

    private static void expect(int status, UnixHttpClient.Response r, String what) {
        assertEquals(status, r.status(), what + ": " + r.body());
    }

    private Path drive() throws Exception {
        Path img = dir.resolve("disk.img");
        try (RandomAccessFile f = new RandomAccessFile(img.toFile(), "rw")) {
            f.setLength(1 << 20);
        }
        return img;
    }

    private void bootSnapshotGuest(UnixHttpClient http, Path img) throws Exception {
        bootSnapshotGuest(http, img, "Sync");
    }

    private void bootSnapshotGuest(UnixHttpClient http, Path img, String ioEngine) throws Exception {
        SnapshotGuests.bootSnapshotScenario(http, img, ioEngine);
    }

    /** With io_engine Async the ring is drained before the state is captured and rebuilt on load. */
    @ParameterizedTest(name = "io_engine {0}")
    @ValueSource(strings = {"Sync", "Async"})
    void guestContinuesInANewProcessAfterSnapshotAndLoad(String ioEngine) throws Exception {
        Path img = drive();
        Path snap = dir.resolve("vm.snap");
        Path mem = dir.resolve("vm.mem");
        Path snap2 = dir.resolve("again.snap");
        Path mem2 = dir.resolve("again.mem");
        Path snap3 = dir.resolve("diff.snap");
        SnapshotGuests.PausedCount paused;
        long createUs;
        try (EmberProcess first = EmberProcess.start("--api-sock", dir.resolve("a.sock").toString(), "--id", "snap-a")) {
            UnixHttpClient http = first.api(dir.resolve("a.sock"));
            bootSnapshotGuest(http, img, ioEngine);
            first.awaitStdout("^tick 3$", WAIT);

            UnixHttpClient.Response running = http.put("/snapshot/create",
                    "{\"snapshot_path\": \"" + snap + "\", \"mem_file_path\": \"" + mem + "\"}");
            expect(400, running, "create while running");
            assertTrue(running.body().contains("pause it first"), running.body());

            expect(204, http.patch("/vm", "{\"state\": \"Paused\"}"), "pause");
            paused = SnapshotGuests.pausedCount(first);

            UnixHttpClient.Response diff = http.put("/snapshot/create", "{\"snapshot_type\": \"Diff\", \"snapshot_path\": \""
                    + snap + "\", \"mem_file_path\": \"" + mem + "\"}");
            expect(400, diff, "Diff snapshot");
            assertTrue(diff.body().contains("Diff snapshots need dirty page tracking"), diff.body());
            assertFalse(Files.exists(snap), "a refused Diff writes nothing");

            Path nowhere = dir.resolve("no-such-dir/vm.snap");
            UnixHttpClient.Response badDir = http.put("/snapshot/create", "{\"snapshot_path\": \"" + nowhere
                    + "\", \"mem_file_path\": \"" + mem + "\"}");
            expect(400, badDir, "create into a missing directory");
            assertTrue(badDir.body().contains(nowhere.toString()), badDir.body());

            expect(204, http.put("/snapshot/create", "{\"snapshot_type\": \"Full\", \"snapshot_path\": \"" + snap
                    + "\", \"mem_file_path\": \"" + mem + "\"}"), "create");
            assertEquals("Paused", http.instanceState());
            assertEquals((long) MEM_MIB << 20, Files.size(mem));
            assertTrue(Files.size(snap) > 4096 && Files.size(snap) < (1 << 20), "state file size " + Files.size(snap));
            assertTrue(promValue(http, "ember_latencies_us_full_create_snapshot") > 0, "full_create_snapshot measured");
            createUs = promValue(http, "ember_latencies_us_vmm_full_create_snapshot");
            assertTrue(createUs > 0, "vmm_full_create_snapshot measured");
            first.terminate(); // the original is gone: only the files carry the VM on
            first.awaitExit(WAIT);
            assertFalse(first.stdout().contains("PASS"), first.describe());
        }
        try (EmberProcess refused = EmberProcess.start("--api-sock", dir.resolve("x.sock").toString(), "--id", "snap-x")) {
            // A load that cannot be carried out ends the VMM (exit 152), as a failed load does in Firecracker.
            UnixHttpClient http = refused.api(dir.resolve("x.sock"));
            UnixHttpClient.Response noVsock = http.put("/snapshot/load", "{\"snapshot_path\": \"" + snap + "\", \"mem_backend\":"
                    + " {\"backend_type\": \"File\", \"backend_path\": \"" + mem + "\"}, \"vsock_override\": {\"uds_path\": \""
                    + dir.resolve("x.vsock") + "\"}}");
            expect(400, noVsock, "vsock_override for a snapshot without vsock");
            assertTrue(noVsock.body().contains("vsock_override: the snapshot has no vsock device"), noVsock.body());
            assertEquals(152, refused.awaitExit(WAIT), refused.describe());
        }
        try (EmberProcess second = EmberProcess.start("--api-sock", dir.resolve("b.sock").toString(), "--id", "snap-b")) {
            UnixHttpClient http = second.api(dir.resolve("b.sock"));
            expect(204, http.put("/snapshot/load", "{\"snapshot_path\": \"" + snap + "\", \"mem_backend\": {\"backend_type\": \"File\","
                    + " \"backend_path\": \"" + mem + "\"}, \"resume_vm\": true}"), "load");
            assertEquals("Running", http.instanceState());
            JsonNode config = StrictJson.MAPPER.readTree(http.get("/vm/config").body());
            assertEquals(MEM_MIB, config.path("machine-config").path("mem_size_mib").asInt(), config.toString());
            assertEquals(img.toString(), config.path("drives").path(0).path("path_on_host").asText(), config.toString());
            assertEquals(ioEngine, config.path("drives").path(0).path("io_engine").asText(), config.toString());

            int continuedAt = SnapshotGuests.firstTickAfterLoad(second, paused);
            assertEquals(paused.lastTick() + 1, continuedAt, "the count continues where the snapshot left it\n" + second.describe());
            assertFalse(second.stdout().contains("READY"), "the guest did not boot again\n" + second.describe());
            assertTrue(promValue(http, "ember_latencies_us_vmm_load_snapshot") > 0, "vmm_load_snapshot measured");

            // A restored VM can be snapshotted again.
            second.awaitStdout("^tick " + (continuedAt + 1) + "$", WAIT);
            expect(204, http.patch("/vm", "{\"state\": \"Paused\"}"), "pause the restored VM");
            paused = SnapshotGuests.pausedCount(second);
            expect(204, http.put("/snapshot/create", "{\"snapshot_path\": \"" + snap2 + "\", \"mem_file_path\": \""
                    + mem2 + "\"}"), "second create");
            second.terminate();
            second.awaitExit(WAIT);
        }
        try (EmberProcess third = EmberProcess.start("--api-sock", dir.resolve("c.sock").toString(), "--id", "snap-c")) {
            UnixHttpClient http = third.api(dir.resolve("c.sock"));
            // The deprecated mem_file_path form; without resume_vm the VM comes back paused.
            expect(204, http.put("/snapshot/load", "{\"snapshot_path\": \"" + snap2 + "\", \"mem_file_path\": \"" + mem2
                    + "\", \"track_dirty_pages\": true}"), "load paused, with dirty page tracking");
            assertEquals("Paused", http.instanceState());
            expect(204, http.patch("/vm", "{\"state\": \"Resumed\"}"), "resume the loaded VM");
            assertEquals("Running", http.instanceState());
            int thirdFirst = SnapshotGuests.firstTickAfterLoad(third, paused);
            assertEquals(paused.lastTick() + 1, thirdFirst, "the count continues again\n" + third.describe());

            // A Diff into the memory file this VM was loaded from: only the pages written since go in.
            third.awaitStdout("^tick " + (thirdFirst + 1) + "$", WAIT);
            expect(204, http.patch("/vm", "{\"state\": \"Paused\"}"), "pause before the Diff");
            paused = SnapshotGuests.pausedCount(third);
            expect(204, http.put("/snapshot/create", "{\"snapshot_type\": \"Diff\", \"snapshot_path\": \"" + snap3
                    + "\", \"mem_file_path\": \"" + mem2 + "\"}"), "Diff create");
            assertTrue(promValue(http, "ember_latencies_us_vmm_diff_create_snapshot") > 0, "vmm_diff_create_snapshot measured");
            third.terminate();
            third.awaitExit(WAIT);
        }
        try (EmberProcess fourth = EmberProcess.start("--api-sock", dir.resolve("d.sock").toString(), "--id", "snap-d")) {
            UnixHttpClient http = fourth.api(dir.resolve("d.sock"));
            expect(204, http.put("/snapshot/load", "{\"snapshot_path\": \"" + snap3 + "\", \"mem_backend\": {\"backend_type\":"
                    + " \"File\", \"backend_path\": \"" + mem2 + "\"}, \"resume_vm\": true}"), "load after the Diff");
            assertEquals(paused.lastTick() + 1, SnapshotGuests.firstTickAfterLoad(fourth, paused), "the Diff carried the guest on\n"
                    + fourth.describe());

            SnapshotGuests.finishAndCheckDrive(fourth, "snapshot", img);
        }
    }

    /**
     * --enable-pci (issue 17): the drive is a virtio-pci function; its configuration space (BAR
     * placement, MSI-X enable), MSI-X table and vectors and the virtio state come back in a new
     * process started with --enable-pci, where the guest's count and its driver carry on (requests
     * and an MSI-X interrupt after the load). A process without --enable-pci refuses the snapshot.
     */
    @Test
    void aGuestWithItsDriveOnPciContinuesAfterLoadInAPciVmm() throws Exception {
        Path img = drive();
        Path snap = dir.resolve("pci.snap");
        Path mem = dir.resolve("pci.mem");
        SnapshotGuests.PausedCount paused;
        try (EmberProcess first = EmberProcess.start("--api-sock", dir.resolve("p.sock").toString(), "--id", "pci-a", "--enable-pci")) {
            UnixHttpClient http = first.api(dir.resolve("p.sock"));
            SnapshotGuests.bootSnapshotScenario(http, img, "Sync", "None", "snapshot-pci");
            first.awaitStdout("^tick 3$", WAIT);
            assertTrue(first.stdout().contains("virtio-pci: capacity 2048 sectors"), first.describe());
            paused = SnapshotGuests.pauseSnapshotAndStop(first, http, snap, mem);
        }
        try (EmberProcess mmio = EmberProcess.start("--api-sock", dir.resolve("m.sock").toString(), "--id", "pci-m")) {
            UnixHttpClient http = mmio.api(dir.resolve("m.sock"));
            UnixHttpClient.Response r = http.put("/snapshot/load", "{\"snapshot_path\": \"" + snap + "\", \"mem_backend\":"
                    + " {\"backend_type\": \"File\", \"backend_path\": \"" + mem + "\"}}");
            expect(400, r, "load a PCI snapshot without --enable-pci");
            assertTrue(r.body().contains("load it in a VMM started with --enable-pci"), r.body());
            assertEquals(152, mmio.awaitExit(WAIT), mmio.describe());
        }
        try (EmberProcess second = EmberProcess.start("--api-sock", dir.resolve("q.sock").toString(), "--id", "pci-b", "--enable-pci")) {
            UnixHttpClient http = second.api(dir.resolve("q.sock"));
            expect(204, http.put("/snapshot/load", "{\"snapshot_path\": \"" + snap + "\", \"mem_backend\": {\"backend_type\": \"File\","
                    + " \"backend_path\": \"" + mem + "\"}, \"resume_vm\": true}"), "load");
            assertEquals(paused.lastTick() + 1, SnapshotGuests.firstTickAfterLoad(second, paused), "the count continues\n" + second.describe());
            SnapshotGuests.finishAndCheckDrive(second, "snapshot-pci", img);
        }
    }

    /**
     * vsock through a snapshot, as Firecracker: the loaded VM listens on the {@code vsock_override}
     * path and the guest gets VIRTIO_VSOCK_EVENT_TRANSPORT_RESET (its connections are gone).
     */
    @Test
    void vsockGuestGetsTransportResetAfterLoadAndOverrideMovesTheSocket() throws Exception {
        Path snap = dir.resolve("vsock.snap");
        Path mem = dir.resolve("vsock.mem");
        Path udsBefore = dir.resolve("before.vsock");
        Path udsAfter = dir.resolve("after.vsock");
        try (EmberProcess first = EmberProcess.start("--api-sock", dir.resolve("va.sock").toString(), "--id", "vsock-a")) {
            UnixHttpClient http = first.api(dir.resolve("va.sock"));
            expect(204, http.put("/boot-source", "{\"kernel_image_path\": \"" + TestGuests.image()
                    + "\", \"boot_args\": \"console=ttyS0 ember.test=vsock-snapshot\"}"), "boot-source");
            expect(204, http.put("/machine-config", "{\"vcpu_count\": 1, \"mem_size_mib\": " + MEM_MIB + "}"), "machine-config");
            expect(204, http.put("/vsock", "{\"guest_cid\": 9, \"uds_path\": \"" + udsBefore + "\"}"), "vsock");
            expect(204, http.put("/actions", "{\"action_type\": \"InstanceStart\"}"), "InstanceStart");
            first.awaitStdout("EMBER-TEST: READY vsock-snapshot", WAIT);
            assertTrue(Files.exists(udsBefore), "the device listens on uds_path");
            expect(204, http.patch("/vm", "{\"state\": \"Paused\"}"), "pause");
            expect(204, http.put("/snapshot/create", "{\"snapshot_path\": \"" + snap + "\", \"mem_file_path\": \"" + mem + "\"}"),
                    "create");
            first.terminate();
            first.awaitExit(WAIT);
            assertFalse(first.stdout().contains("after the snapshot"), first.describe());
        }
        try (EmberProcess second = EmberProcess.start("--api-sock", dir.resolve("vb.sock").toString(), "--id", "vsock-b")) {
            UnixHttpClient http = second.api(dir.resolve("vb.sock"));
            expect(204, http.put("/snapshot/load", "{\"snapshot_path\": \"" + snap + "\", \"mem_backend\": {\"backend_type\": \"File\","
                    + " \"backend_path\": \"" + mem + "\"}, \"vsock_override\": {\"uds_path\": \"" + udsAfter + "\"},"
                    + " \"resume_vm\": true}"), "load with vsock_override");
            second.awaitStdout("virtio-vsock: event 0 after the snapshot\n", WAIT);
            JsonNode config = StrictJson.MAPPER.readTree(http.get("/vm/config").body());
            assertEquals(udsAfter.toString(), config.path("vsock").path("uds_path").asText(), config.toString());
            try (java.nio.channels.SocketChannel c = java.nio.channels.SocketChannel.open(java.net.UnixDomainSocketAddress.of(udsAfter))) {
                assertTrue(c.isConnected(), "the loaded device listens on the override path");
            }
            second.type("c");
            second.awaitStdout("EMBER-TEST: PASS vsock-snapshot", WAIT);
            assertEquals(0, second.awaitExit(WAIT), second.describe());
        }
    }

    /**
     * A balloon and an entropy device through a snapshot: the test guest touched its 16 MiB
     * target before the snapshot; in the loaded process it inflates and deflates those pages and
     * finds them zero, so the restored balloon gives pages back although guest RAM is now mapped
     * from the memory file (whose old bytes must not reappear). GET /vm/config shows both devices.
     */
    @Test
    void balloonAndEntropyWorkAfterLoad() throws Exception {
        Path snap = dir.resolve("balloon.snap");
        Path mem = dir.resolve("balloon.mem");
        SnapshotGuests.snapshotBalloonGuest(dir, "balloon-a", snap, mem, true);
        try (EmberProcess second = EmberProcess.start("--api-sock", dir.resolve("bb.sock").toString(), "--id", "balloon-b")) {
            UnixHttpClient http = second.api(dir.resolve("bb.sock"));
            expect(204, http.put("/snapshot/load", "{\"snapshot_path\": \"" + snap + "\", \"mem_backend\": {\"backend_type\": \"File\","
                    + " \"backend_path\": \"" + mem + "\"}, \"resume_vm\": true}"), "load");
            JsonNode config = StrictJson.MAPPER.readTree(http.get("/vm/config").body());
            assertEquals(16, config.path("balloon").path("amount_mib").asInt(), config.toString());
            assertTrue(config.has("entropy") && !config.path("entropy").isNull(), config.toString());
            second.type("x");
            second.awaitStdout("virtio-balloon: inflated 4096 pages, actual 4096\n", WAIT);
            second.type("x");
            second.awaitStdout("EMBER-TEST: PASS virtio-balloon", WAIT);
            assertTrue(second.stdout().contains("virtio-balloon: deflated 4096 pages, 0 still hold the guest's bytes\n"),
                    second.describe());
            assertEquals(0, second.awaitExit(WAIT), second.describe());
        }
    }

    private static long promValue(UnixHttpClient http, String name) throws Exception {
        Matcher m = Pattern.compile("^" + name + " (\\d+)$", Pattern.MULTILINE).matcher(http.get("/metrics/prometheus").body());
        assertTrue(m.find(), name + " missing from /metrics/prometheus");
        return Long.parseLong(m.group(1));
    }

    @Test
    void loadIsRefusedWithClearErrors() throws Exception {
        Path sock = dir.resolve("c.sock");
        Path corrupt = dir.resolve("corrupt.snap");
        Files.write(corrupt, "EMBERSNP but not really a snapshot state file".getBytes());
        Path mem = Files.write(dir.resolve("some.mem"), new byte[4096]);
        // Refused before anything is restored: the process stays, as Firecracker's does.
        try (EmberProcess vm = EmberProcess.start("--api-sock", sock.toString())) {
            UnixHttpClient http = vm.api(sock);
            UnixHttpClient.Response r = http.put("/snapshot/load", "{\"snapshot_path\": \"" + corrupt
                    + "\", \"mem_backend\": {\"backend_type\": \"Uffd\"}}");
            expect(400, r, "Uffd without backend_path");
            assertTrue(r.body().contains("mem_backend.backend_path"), r.body());
            assertEquals("Not started", http.instanceState());

            expect(204, http.put("/machine-config", "{\"vcpu_count\": 1, \"mem_size_mib\": 64}"), "machine-config");
            r = http.put("/snapshot/load", "{\"snapshot_path\": \"" + corrupt + "\", \"mem_file_path\": \"" + mem + "\"}");
            expect(400, r, "load after configuring");
            assertTrue(r.body().contains("not allowed after configuring boot-specific resources"), r.body());

            r = http.put("/snapshot/create", "{\"snapshot_path\": \"" + dir.resolve("x.snap") + "\", \"mem_file_path\": \""
                    + dir.resolve("x.mem") + "\"}");
            expect(400, r, "create before boot");
            vm.terminate();
            assertEquals(0, vm.awaitExit(WAIT), vm.describe());
        }
        // A restore that fails leaves the process unable to go on (Firecracker): the client gets
        // the reason, then the process exits with 152 and removes its socket.
        Path missing = dir.resolve("missing.snap");
        String[][] fatal = {{missing.toString(), missing + " does not exist"}, {corrupt.toString(), "corrupt"}};
        for (String[] c : fatal) {
            try (EmberProcess vm = EmberProcess.start("--api-sock", sock.toString())) {
                UnixHttpClient http = vm.api(sock);
                UnixHttpClient.Response r = http.put("/snapshot/load", "{\"snapshot_path\": \"" + c[0]
                        + "\", \"mem_file_path\": \"" + mem + "\"}");
                expect(400, r, c[0]);
                assertTrue(r.body().contains(c[1]) && r.body().contains(c[0]), r.body());
                assertEquals(152, vm.awaitExit(WAIT), vm.describe());
                assertFalse(Files.exists(sock), "API socket removed\n" + vm.describe());
            }
        }
    }
}
