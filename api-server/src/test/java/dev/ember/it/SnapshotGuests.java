package dev.ember.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ember.api.UnixHttpClient;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

/** Test guests booted through the API and snapshotted, for the snapshot ITs (SnapshotIT, UffdSnapshotIT). */
final class SnapshotGuests {
    static final Duration WAIT = Duration.ofSeconds(120);
    static final int MEM_MIB = 64;

    private SnapshotGuests() {}

    static void expect(int status, UnixHttpClient.Response r, String what) {
        assertEquals(status, r.status(), what + ": " + r.body());
    }

    /**
     * The last complete tick line on a paused guest's console. A pause can stop the vCPU between
     * two bytes of a line (the UART takes one byte per exit), so an unfinished "tick N" may follow
     * it, up to its last digit: only a later complete line disqualifies it.
     */
    static final String LAST_TICK = "tick (\\d+)\\n(?![\\s\\S]*tick \\d+\\n)";

    /** Where a paused scenario's count stood: its last complete tick and the unfinished line after it ("" if none). */
    record PausedCount(int lastTick, String unfinished) {}

    /** Waits for the last complete tick of the paused {@code vm} ({@link #LAST_TICK}) and keeps what follows it. */
    static PausedCount pausedCount(EmberProcess vm) throws InterruptedException {
        java.util.regex.Matcher last = vm.awaitStdout(LAST_TICK, WAIT);
        return new PausedCount(Integer.parseInt(last.group(1)), vm.stdout().substring(last.end()));
    }

    /**
     * The first tick the guest completes in {@code loaded}, the process that loaded a snapshot taken
     * at {@code paused}: its console's first line ends the line the pause cut ("ick 4", "4", or just
     * the newline), so the tick is read from the paused console's unfinished line and what follows.
     */
    static int firstTickAfterLoad(EmberProcess loaded, PausedCount paused) throws InterruptedException {
        loaded.awaitStdout("^tick \\d+\\n", WAIT); // a whole line: the cut one has been finished before it
        String joined = paused.unfinished() + loaded.stdout();
        java.util.regex.Matcher first = java.util.regex.Pattern.compile("tick (\\d+)\\n").matcher(joined);
        assertTrue(first.find(), "no tick completed after the load: " + joined + "\n" + loaded.describe());
        return Integer.parseInt(first.group(1));
    }

    /**
     * Pauses the running snapshot scenario in {@code vm}, snapshots it (Full) to {@code snap} and
     * {@code mem}, and ends the process; returns where the guest's count stood.
     */
    static PausedCount pauseSnapshotAndStop(EmberProcess vm, UnixHttpClient http, Path snap, Path mem) throws Exception {
        expect(204, http.patch("/vm", "{\"state\": \"Paused\"}"), "pause");
        PausedCount paused = pausedCount(vm);
        expect(204, http.put("/snapshot/create", "{\"snapshot_path\": \"" + snap + "\", \"mem_file_path\": \"" + mem + "\"}"),
                "create");
        vm.terminate();
        vm.awaitExit(WAIT);
        return paused;
    }

    /**
     * Ends the count of a loaded snapshot scenario ({@code scenario}): the guest checks its RAM and
     * drive, writes pattern B at sector 9 and passes; pattern B is then in the host file {@code img}.
     */
    static void finishAndCheckDrive(EmberProcess vm, String scenario, Path img) throws Exception {
        vm.type("c\n");
        vm.awaitStdout("EMBER-TEST: PASS " + scenario, WAIT);
        assertEquals(0, vm.awaitExit(WAIT), vm.describe());
        assertTrue(vm.stdout().contains("RAM and drive intact, pattern B written"), vm.describe());
        byte[] disk = Files.readAllBytes(img);
        for (int j = 0; j < 4096; j++) {
            assertEquals((byte) (j * 13 + 5), disk[9 * 512 + j], "pattern B on the host file at byte " + j);
        }
    }

    /** The {@code snapshot} scenario (a tick count, a RAM pattern, the drive {@code img}), started. */
    static void bootSnapshotScenario(UnixHttpClient http, Path img, String ioEngine) throws Exception {
        bootSnapshotScenario(http, img, ioEngine, "None");
    }

    /** As above, guest RAM backed as machine-config.huge_pages {@code hugePages} says. */
    static void bootSnapshotScenario(UnixHttpClient http, Path img, String ioEngine, String hugePages) throws Exception {
        bootSnapshotScenario(http, img, ioEngine, hugePages, "snapshot");
    }

    /** As above with the {@code scenario} given ({@code snapshot-pci}: the drive on PCI, for a VMM with --enable-pci). */
    static void bootSnapshotScenario(UnixHttpClient http, Path img, String ioEngine, String hugePages, String scenario) throws Exception {
        expect(204, http.put("/boot-source", "{\"kernel_image_path\": \"" + TestGuests.image()
                + "\", \"boot_args\": \"console=ttyS0 ember.test=" + scenario + "\"}"), "boot-source");
        expect(204, http.put("/machine-config", "{\"vcpu_count\": 1, \"mem_size_mib\": " + MEM_MIB + ", \"huge_pages\": \""
                + hugePages + "\"}"), "machine-config");
        expect(204, http.put("/drives/scratch", "{\"drive_id\": \"scratch\", \"path_on_host\": \"" + img
                + "\", \"is_root_device\": false, \"is_read_only\": false, \"io_engine\": \"" + ioEngine + "\"}"), "drive");
        expect(204, http.put("/actions", "{\"action_type\": \"InstanceStart\"}"), "InstanceStart");
    }

    /**
     * The {@code virtio-balloon} scenario with a 16 MiB target (and an entropy device if asked),
     * snapshotted once the guest has touched its pages, in {@code dir}; the process is gone after.
     */
    static void snapshotBalloonGuest(Path dir, String id, Path snap, Path mem, boolean entropy) throws Exception {
        Path api = dir.resolve(id + ".sock");
        try (EmberProcess first = EmberProcess.start("--api-sock", api.toString(), "--id", id)) {
            UnixHttpClient http = first.api(api);
            expect(204, http.put("/boot-source", "{\"kernel_image_path\": \"" + TestGuests.image()
                    + "\", \"boot_args\": \"console=ttyS0 ember.test=virtio-balloon\"}"), "boot-source");
            expect(204, http.put("/machine-config", "{\"vcpu_count\": 1, \"mem_size_mib\": " + MEM_MIB + "}"), "machine-config");
            expect(204, http.put("/balloon", "{\"amount_mib\": 16, \"deflate_on_oom\": true}"), "balloon");
            if (entropy) {
                expect(204, http.put("/entropy", "{}"), "entropy");
            }
            expect(204, http.put("/actions", "{\"action_type\": \"InstanceStart\"}"), "InstanceStart");
            first.awaitStdout("virtio-balloon: target 4096 pages, 4096 pages touched\n", WAIT);
            expect(204, http.patch("/vm", "{\"state\": \"Paused\"}"), "pause");
            expect(204, http.put("/snapshot/create", "{\"snapshot_path\": \"" + snap + "\", \"mem_file_path\": \"" + mem + "\"}"),
                    "create");
            first.terminate();
            first.awaitExit(WAIT);
        }
    }
}
