package dev.ember.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.ember.api.UnixHttpClient;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code PUT /snapshot/load} with {@code mem_backend} Uffd through the real bin/ember and
 * bin/ember-uffd-handler: a running test guest ({@code snapshot} scenario) is snapshotted once,
 * and each test loads it in a fresh VMM whose guest memory the handler serves page by page from
 * the memory file. The count carries on and the guest's RAM pattern and drive are intact; the
 * balloon's pages come back zero; a handler that dies, before or during the load, or refuses the
 * VMM's memory, ends the VMM with a message instead of hanging it (Firecracker hangs); a missing
 * or deaf socket is Firecracker's error.
 */
@NeedsKvm
class UffdSnapshotIT {
    private static final Duration WAIT = SnapshotGuests.WAIT;
    private static final int MEM_MIB = SnapshotGuests.MEM_MIB;
    /** A whole tick line: the guest runs after the load (the line the pause cut, if any, came before it). */
    private static final String A_TICK_AFTER_LOAD = "^tick \\d+\\n";

    @TempDir
    static Path shared;
    private static Path snap;
    private static Path mem;
    private static SnapshotGuests.PausedCount paused;

    @TempDir
    Path dir;

    private static void expect(int status, UnixHttpClient.Response r, String what) {
        SnapshotGuests.expect(status, r, what);
    }

    @BeforeAll
    static void snapshotARunningGuest() throws Exception {
        Path img = shared.resolve("disk.img");
        try (RandomAccessFile f = new RandomAccessFile(img.toFile(), "rw")) {
            f.setLength(1 << 20);
        }
        snap = shared.resolve("vm.snap");
        mem = shared.resolve("vm.mem");
        try (EmberProcess first = EmberProcess.start("--api-sock", shared.resolve("a.sock").toString(), "--id", "uffd-a")) {
            UnixHttpClient http = first.api(shared.resolve("a.sock"));
            SnapshotGuests.bootSnapshotScenario(http, img, "Sync");
            first.awaitStdout("^tick 3$", WAIT);
            paused = SnapshotGuests.pauseSnapshotAndStop(first, http, snap, mem);
        }
    }

    private EmberProcess handler(Path sock, Path memoryFile) throws Exception {
        EmberProcess h = EmberProcess.startTool("ember-uffd-handler", sock.toString(), memoryFile.toString());
        h.awaitStderr("listening on " + sock, WAIT);
        return h;
    }

    private static void assertTheCountContinues(EmberProcess vmm) throws InterruptedException {
        assertEquals(paused.lastTick() + 1, SnapshotGuests.firstTickAfterLoad(vmm, paused), "the count continues\n" + vmm.describe());
    }

    private static String uffdLoad(Path sock, boolean resume) {
        return "{\"snapshot_path\": \"" + snap + "\", \"mem_backend\": {\"backend_type\": \"Uffd\", \"backend_path\": \"" + sock
                + "\"}, \"resume_vm\": " + resume + "}";
    }

    @Test
    void theGuestCarriesOnWithItsMemoryServedByTheExampleHandler() throws Exception {
        Path hsock = dir.resolve("h.sock");
        try (EmberProcess h = handler(hsock, mem);
                EmberProcess vmm = EmberProcess.start("--api-sock", dir.resolve("b.sock").toString(), "--id", "uffd-b")) {
            UnixHttpClient http = vmm.api(dir.resolve("b.sock"));
            expect(204, http.put("/snapshot/load", uffdLoad(hsock, true)), "load through the handler");
            assertEquals("Running", http.instanceState());
            assertTheCountContinues(vmm);
            assertFalse(vmm.stdout().contains("READY"), "the guest did not boot again\n" + vmm.describe());
            assertTrue(h.stderr().contains("serving " + MEM_MIB + " MiB in 1 region(s), page size 4 KiB, to the VMM (pid " + vmm.pid() + ")"),
                    h.describe());
            Matcher served = h.awaitStderr("served (\\d+) pages copied from the file", WAIT);
            assertTrue(Integer.parseInt(served.group(1)) > 0, h.describe());

            vmm.type("c"); // the guest checks its 64 KiB RAM pattern (pages it has not touched since the load) and the drive
            vmm.awaitStdout("EMBER-TEST: PASS snapshot", WAIT);
            assertEquals(0, vmm.awaitExit(WAIT), vmm.describe());
            assertTrue(vmm.stdout().contains("RAM and drive intact, pattern B written"), vmm.describe());

            assertEquals(0, h.awaitExit(WAIT), "the handler ends when its VMM has gone\n" + h.describe());
            Matcher fin = java.util.regex.Pattern.compile("the VMM has gone; served (\\d+) pages copied from the file \\((\\d+) KiB\\),"
                    + " (\\d+) zero pages, 0 zero pages after a remove, 0 remove events, \\d+ already present, \\d+ retried,"
                    + " 0 unexpected events, 0 failed").matcher(h.stderr());
            assertTrue(fin.find(), h.describe());
            assertTrue(Integer.parseInt(fin.group(1)) >= 16 + 1, "at least the RAM pattern's 16 pages and the code were copied\n"
                    + h.describe());
        }
    }

    @Test
    void aPausedLoadResumesThroughTheHandler() throws Exception {
        Path hsock = dir.resolve("h.sock");
        try (EmberProcess h = handler(hsock, mem);
                EmberProcess vmm = EmberProcess.start("--api-sock", dir.resolve("p.sock").toString(), "--id", "uffd-p")) {
            UnixHttpClient http = vmm.api(dir.resolve("p.sock"));
            expect(204, http.put("/snapshot/load", uffdLoad(hsock, false)), "load paused");
            assertEquals("Paused", http.instanceState());
            expect(204, http.patch("/vm", "{\"state\": \"Resumed\"}"), "resume");
            assertTheCountContinues(vmm);
            vmm.terminate();
            assertEquals(0, vmm.awaitExit(WAIT), vmm.describe());
            assertEquals(0, h.awaitExit(WAIT), h.describe());
        }
    }

    @Test
    void aHandlerThatDiesStopsTheVmmWithAMessageInsteadOfHangingIt() throws Exception {
        Path hsock = dir.resolve("h.sock");
        Path api = dir.resolve("k.sock");
        try (EmberProcess h = handler(hsock, mem); EmberProcess vmm = EmberProcess.start("--api-sock", api.toString(), "--id", "uffd-k")) {
            UnixHttpClient http = vmm.api(api);
            expect(204, http.put("/snapshot/load", uffdLoad(hsock, true)), "load");
            vmm.awaitStdout(A_TICK_AFTER_LOAD, WAIT);
            h.signal("KILL");
            assertEquals(1, vmm.awaitExit(WAIT), vmm.describe());
            assertTrue(vmm.stderr().contains("the page-fault handler on mem_backend.backend_path " + hsock + " (pid " + h.pid()
                    + ") exited: guest memory it had not served yet can no longer be loaded; stopping the microVM"), vmm.describe());
            assertFalse(Files.exists(api), "API socket removed\n" + vmm.describe());
        }
    }

    /**
     * The handler is stopped before the VMM connects, so the load waits on its first page; killing
     * it then must end the load (400) and the process (152), not leave it waiting forever.
     */
    @Test
    void aHandlerThatDiesDuringTheLoadEndsTheVmm() throws Exception {
        Path hsock = dir.resolve("h.sock");
        Path api = dir.resolve("d.sock");
        try (EmberProcess h = handler(hsock, mem); EmberProcess vmm = EmberProcess.start("--api-sock", api.toString(), "--id", "uffd-d")) {
            UnixHttpClient http = vmm.api(api);
            h.signal("STOP");
            CompletableFuture<UnixHttpClient.Response> load = CompletableFuture.supplyAsync(() -> {
                try {
                    return http.put("/snapshot/load", uffdLoad(hsock, true));
                } catch (Exception e) {
                    throw new RuntimeException(e);
                }
            });
            vmm.awaitStderr("guest memory \\(" + MEM_MIB + " MiB\\) handed to the page-fault handler on " + hsock, WAIT);
            h.signal("KILL");
            UnixHttpClient.Response r = load.get(WAIT.toSeconds(), TimeUnit.SECONDS);
            int status = vmm.awaitExit(WAIT);
            if (r.status() == 400) {
                assertTrue(r.body().contains("the page-fault handler on mem_backend.backend_path " + hsock + " exited during the load"),
                        r.body());
                assertEquals(152, status, vmm.describe());
            } else { // the load did not need a page before the vCPUs ran: the running VM is stopped instead
                assertEquals(204, r.status(), r.body());
                assertEquals(1, status, vmm.describe());
            }
            assertTrue(vmm.stderr().contains("(pid " + h.pid() + ") exited"), vmm.describe());
            assertFalse(Files.exists(api), "API socket removed\n" + vmm.describe());
        }
    }

    /** A handler given another memory file refuses the VMM's layout and exits: the VMM says so and ends. */
    @Test
    void aHandlerThatRefusesTheVmmsMemoryEndsTheVmm() throws Exception {
        Path wrong = dir.resolve("wrong.mem");
        try (RandomAccessFile f = new RandomAccessFile(wrong.toFile(), "rw")) {
            f.setLength(4 << 20);
        }
        Path hsock = dir.resolve("h.sock");
        try (EmberProcess h = handler(hsock, wrong);
                EmberProcess vmm = EmberProcess.start("--api-sock", dir.resolve("r.sock").toString(), "--id", "uffd-r")) {
            UnixHttpClient http = vmm.api(dir.resolve("r.sock"));
            UnixHttpClient.Response r = http.put("/snapshot/load", uffdLoad(hsock, true));
            assertEquals(1, h.awaitExit(WAIT), h.describe());
            assertTrue(h.stderr().contains("the VMM's guest memory is " + ((long) MEM_MIB << 20) + " bytes but " + wrong
                    + " holds 4194304: is it the snapshot's memory file?"), h.describe());
            int status = vmm.awaitExit(WAIT);
            assertTrue(r.status() == 400 ? status == 152 : r.status() == 204 && status == 1, r.status() + " " + r.body() + ", exit "
                    + status + "\n" + vmm.describe());
            assertTrue(vmm.stderr().contains("(pid " + h.pid() + ") exited"), vmm.describe());
        }
    }

    /** Firecracker's texts for a socket that is missing or that nobody listens on; the load is fatal, as there. */
    @Test
    void aMissingOrDeafSocketIsRefusedWithFirecrackersError() throws Exception {
        Path stale = dir.resolve("stale.sock");
        java.nio.channels.ServerSocketChannel.open(java.net.StandardProtocolFamily.UNIX)
                .bind(java.net.UnixDomainSocketAddress.of(stale)).close();
        String[][] cases = {{dir.resolve("none.sock").toString(), "No such file or directory (os error 2)"},
                {stale.toString(), "Connection refused (os error 111)"}};
        for (String[] c : cases) {
            Path api = dir.resolve("e.sock");
            try (EmberProcess vmm = EmberProcess.start("--api-sock", api.toString())) {
                UnixHttpClient http = vmm.api(api);
                UnixHttpClient.Response r = http.put("/snapshot/load", uffdLoad(Path.of(c[0]), true));
                expect(400, r, c[0]);
                assertTrue(r.body().contains("\"Load snapshot error: Failed to restore from snapshot: Failed to load guest memory:"
                        + " Error creating guest memory from uffd: Failed to connect to UDS Unix stream: " + c[1]), r.body());
                assertTrue(r.body().contains(c[0]), r.body());
                assertEquals(152, vmm.awaitExit(WAIT), vmm.describe());
                assertFalse(Files.exists(api), "API socket removed\n" + vmm.describe());
            }
        }
    }

    /**
     * A guest on hugetlbfs (huge_pages 2M), which a File load refuses (Firecracker too): through
     * the handler, in 2 MiB pages (page_size 2097152; zero pages as copies, hugetlbfs has none).
     */
    @Test
    void aHugetlbfsGuestLoadsThroughTheHandlerIn2MibPages() throws Exception {
        Path nr = Path.of("/proc/sys/vm/nr_hugepages");
        assumeTrue(Files.isWritable(nr), "reserving huge pages needs root");
        long before = Long.parseLong(Files.readString(nr).trim());
        try {
            Files.writeString(nr, Long.toString(before + MEM_MIB / 2));
            assumeTrue(hugePagesFree() >= MEM_MIB / 2, "the kernel could not add " + MEM_MIB / 2 + " pages to the pool");
            Path img = dir.resolve("huge.img");
            try (RandomAccessFile f = new RandomAccessFile(img.toFile(), "rw")) {
                f.setLength(1 << 20);
            }
            Path hsnap = dir.resolve("huge.snap");
            Path hmem = dir.resolve("huge.mem");
            SnapshotGuests.PausedCount pausedHuge;
            try (EmberProcess first = EmberProcess.start("--api-sock", dir.resolve("ha.sock").toString(), "--id", "uffd-ha")) {
                UnixHttpClient http = first.api(dir.resolve("ha.sock"));
                SnapshotGuests.bootSnapshotScenario(http, img, "Sync", "2M");
                first.awaitStdout("^tick 2$", WAIT);
                expect(204, http.patch("/vm", "{\"state\": \"Paused\"}"), "pause");
                pausedHuge = SnapshotGuests.pausedCount(first);
                expect(204, http.put("/snapshot/create", "{\"snapshot_path\": \"" + hsnap + "\", \"mem_file_path\": \"" + hmem + "\"}"),
                        "create");
                first.terminate();
                first.awaitExit(WAIT);
            }
            Path hsock = dir.resolve("h.sock");
            try (EmberProcess h = handler(hsock, hmem);
                    EmberProcess vmm = EmberProcess.start("--api-sock", dir.resolve("hb.sock").toString(), "--id", "uffd-hb")) {
                UnixHttpClient http = vmm.api(dir.resolve("hb.sock"));
                expect(204, http.put("/snapshot/load", "{\"snapshot_path\": \"" + hsnap + "\", \"mem_backend\": {\"backend_type\": \"Uffd\","
                        + " \"backend_path\": \"" + hsock + "\"}, \"resume_vm\": true}"), "load");
                assertEquals(pausedHuge.lastTick() + 1, SnapshotGuests.firstTickAfterLoad(vmm, pausedHuge), vmm.describe());
                assertTrue(h.stderr().contains("page size 2048 KiB"), h.describe());
                vmm.type("c");
                vmm.awaitStdout("EMBER-TEST: PASS snapshot", WAIT);
                assertEquals(0, vmm.awaitExit(WAIT), vmm.describe());
                assertEquals(0, h.awaitExit(WAIT), h.describe());
                Matcher fin = java.util.regex.Pattern.compile("the VMM has gone; served (\\d+) pages copied from the file \\((\\d+) KiB\\)")
                        .matcher(h.stderr());
                assertTrue(fin.find() && Integer.parseInt(fin.group(1)) > 0 && Long.parseLong(fin.group(2)) == 2048L * Integer.parseInt(fin.group(1)),
                        h.describe());
            }
        } finally {
            Files.writeString(nr, Long.toString(before));
        }
    }

    private static long hugePagesFree() throws java.io.IOException {
        for (String line : Files.readAllLines(Path.of("/proc/meminfo"))) {
            if (line.startsWith("HugePages_Free:")) {
                return Long.parseLong(line.replaceAll("\\D", ""));
            }
        }
        return 0;
    }

    /**
     * The balloon through the handler: the guest touched its 16 MiB before the snapshot; after the
     * load it inflates them (MADV_DONTNEED: UFFD_EVENT_REMOVE at the handler), deflates and reads
     * them: zero, not the memory file's old bytes.
     */
    @Test
    void balloonPagesGivenBackComeBackZeroThroughTheHandler() throws Exception {
        Path bsnap = dir.resolve("balloon.snap");
        Path bmem = dir.resolve("balloon.mem");
        SnapshotGuests.snapshotBalloonGuest(dir, "uffd-ba", bsnap, bmem, false);
        Path hsock = dir.resolve("h.sock");
        try (EmberProcess h = handler(hsock, bmem);
                EmberProcess vmm = EmberProcess.start("--api-sock", dir.resolve("bb.sock").toString(), "--id", "uffd-bb")) {
            UnixHttpClient http = vmm.api(dir.resolve("bb.sock"));
            expect(204, http.put("/snapshot/load", "{\"snapshot_path\": \"" + bsnap + "\", \"mem_backend\": {\"backend_type\": \"Uffd\","
                    + " \"backend_path\": \"" + hsock + "\"}, \"resume_vm\": true}"), "load");
            vmm.type("x");
            vmm.awaitStdout("virtio-balloon: inflated 4096 pages, actual 4096\n", WAIT);
            vmm.type("x");
            vmm.awaitStdout("EMBER-TEST: PASS virtio-balloon", WAIT);
            assertTrue(vmm.stdout().contains("virtio-balloon: deflated 4096 pages, 0 still hold the guest's bytes\n"), vmm.describe());
            assertEquals(0, vmm.awaitExit(WAIT), vmm.describe());
            assertEquals(0, h.awaitExit(WAIT), h.describe());
            Matcher fin = java.util.regex.Pattern.compile("the VMM has gone; served \\d+ pages copied from the file \\(\\d+ KiB\\),"
                    + " \\d+ zero pages, (\\d+) zero pages after a remove, (\\d+) remove events").matcher(h.stderr());
            assertTrue(fin.find(), h.describe());
            assertTrue(Integer.parseInt(fin.group(1)) >= 4096, "every page read after the deflate was a zero page\n" + h.describe());
            assertTrue(Integer.parseInt(fin.group(2)) > 0, h.describe());
        }
    }
}
