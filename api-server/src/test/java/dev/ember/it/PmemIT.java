package dev.ember.it;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.ember.sys.Native;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import dev.ember.sys.NativeMemory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * virtio-pmem end to end through {@code bin/ember}: the test guest's own driver finds the
 * device, reads the bytes the host put in the file at the region's {@code start}, stores its
 * own and FLUSHes; afterwards the file holds them and none of its pages is dirty in the host's
 * page cache (cachestat(2)): the VMM's fsync put them on the disk (unmapping and closing, which
 * is all the VMM does to the file when it ends, write nothing back).
 */
@NeedsKvm
class PmemIT {
    private static final Duration BOOT = Duration.ofSeconds(90);
    private static final String HOST_LINE = "EMBER-PMEM-HOST 42 bytes from the host\n";
    private static final byte[] GUEST_LINE = "EMBER-PMEM-GUEST wrote this line\n".getBytes(StandardCharsets.US_ASCII);

    @TempDir
    Path dir;

    /** A file of {@code size} bytes: the host's line at 0, 'Z' as its last byte. */
    private Path backingFile(int size) throws IOException {
        byte[] b = new byte[size];
        byte[] line = HOST_LINE.getBytes(StandardCharsets.US_ASCII);
        System.arraycopy(line, 0, b, 0, line.length);
        b[size - 1] = 'Z';
        return Files.write(dir.resolve("pmem.img"), b);
    }

    private Path config(String bootArgs, String pmem) throws IOException {
        String json = "{\n"
                + "  \"boot-source\": { \"kernel_image_path\": \"" + TestGuests.image() + "\", \"boot_args\": \"" + bootArgs + "\" },\n"
                + "  \"machine-config\": { \"vcpu_count\": 1, \"mem_size_mib\": 128 },\n"
                + "  \"pmem\": [" + pmem + "]\n"
                + "}\n";
        return Files.writeString(dir.resolve("vm.json"), json);
    }

    private static void assertPass(EmberProcess vm) throws InterruptedException {
        assertEquals(0, vm.awaitExit(BOOT), "exit status\n" + vm.describe());
        assertTrue(vm.stdout().contains("EMBER-TEST: PASS virtio-pmem"), vm.describe());
    }

    @Test
    void guestReadsTheHostsBytesAndItsFlushedStoresAreOnTheFile() throws Exception {
        int size = (3 << 20) + 10; // the region is 4 MiB: the last 1 MiB - 10 bytes are padding
        Path file = backingFile(size);
        Path cfg = config("console=ttyS0 ember.test=virtio-pmem ember.pmem_last=" + (size - 1),
                "{ \"id\": \"pm0\", \"path_on_host\": \"" + file + "\", \"root_device\": true, \"read_only\": false }");
        try (EmberProcess vm = EmberProcess.boot(cfg.toString())) {
            assertPass(vm);
            String out = vm.stdout();
            assertTrue(out.contains("virtio-pmem: host wrote: " + HOST_LINE.trim() + "\n"), vm.describe());
            assertTrue(out.contains("virtio-pmem: start 0x100000000 size 0x400000\n"), "above RAM at 4 GiB, 4 MiB\n" + vm.describe());
            assertTrue(out.contains("virtio-pmem: byte at " + (size - 1) + " is 0x5a, at " + size + " is 0x0\n"),
                    "the file's last byte, then zeroes\n" + vm.describe());
            assertTrue(out.contains(" root=/dev/pmem0 rw"), "root_device boots from /dev/pmem0\n" + vm.describe());
            assertTrue(out.contains("virtio-pmem: flush: used length 4, ret 0\n"), vm.describe());
            assertTrue(out.contains("virtio-pmem: a request of type 7 is answered with nothing\n"), vm.describe());
            assertTrue(out.contains("virtio-pmem: second flush: used length 4, ret 0\n"), vm.describe());
        }
        byte[] onFile = Files.readAllBytes(file);
        assertEquals(size, onFile.length, "the file keeps its size");
        assertArrayEquals(GUEST_LINE, Arrays.copyOfRange(onFile, 4096, 4096 + GUEST_LINE.length));
        assertArrayEquals(GUEST_LINE, Arrays.copyOfRange(onFile, (1 << 20) + 7, (1 << 20) + 7 + GUEST_LINE.length));
        long[] cache = cachestat(file);
        assumeTrue(cache != null, "cachestat(2) needs Linux 6.5 on the host");
        assertEquals(0, cache[1], "no page of the file is left dirty: the guest's FLUSH was an fsync");
    }

    @Test
    void aReadOnlyDeviceKeepsTheFileAsItWas() throws Exception {
        Path file = backingFile(2 << 20);
        byte[] before = Files.readAllBytes(file);
        Path cfg = config("console=ttyS0 ember.test=virtio-pmem ember.pmem=ro",
                "{ \"id\": \"pm0\", \"path_on_host\": \"" + file + "\", \"root_device\": true, \"read_only\": true }");
        try (EmberProcess vm = EmberProcess.boot(cfg.toString())) {
            assertPass(vm);
            String out = vm.stdout();
            assertTrue(out.contains(" root=/dev/pmem0 ro"), vm.describe());
            assertTrue(out.contains("virtio-pmem: read-only: stored 0xba at 0, read back 0x45\n"),
                    "the guest's store was discarded ('E' is still there)\n" + vm.describe());
        }
        assertArrayEquals(before, Files.readAllBytes(file), "the file is unchanged");
    }

    /**
     * A snapshot of a guest that has read its pmem region, loaded in a fresh process: the device
     * is at the same address with the same file, and the guest's stores and FLUSH after the load
     * reach the file. Then a load after the file grew is refused naming the file and the fix.
     */
    @Test
    void theDeviceCarriesOnAfterSnapshotAndLoadAndAResizedFileIsRefused() throws Exception {
        Path file = backingFile(2 << 20);
        Path snap = dir.resolve("pmem.snap");
        Path mem = dir.resolve("pmem.mem");
        try (EmberProcess first = EmberProcess.start("--api-sock", dir.resolve("a.sock").toString(), "--id", "pmem-a")) {
            dev.ember.api.UnixHttpClient http = first.api(dir.resolve("a.sock"));
            expect(204, http.put("/boot-source", "{\"kernel_image_path\": \"" + TestGuests.image()
                    + "\", \"boot_args\": \"console=ttyS0 ember.test=virtio-pmem ember.pmem_wait=1\"}"), "boot-source");
            expect(204, http.put("/machine-config", "{\"vcpu_count\": 1, \"mem_size_mib\": 64}"), "machine-config");
            expect(204, http.put("/pmem/pm0", "{\"id\": \"pm0\", \"path_on_host\": \"" + file + "\"}"), "pmem");
            expect(204, http.put("/actions", "{\"action_type\": \"InstanceStart\"}"), "InstanceStart");
            first.awaitStdout("EMBER-TEST: READY virtio-pmem", BOOT);
            assertTrue(first.stdout().contains("virtio-pmem: host wrote: " + HOST_LINE.trim() + "\n"), first.describe());
            expect(204, http.patch("/vm", "{\"state\": \"Paused\"}"), "pause");
            expect(204, http.put("/snapshot/create", "{\"snapshot_path\": \"" + snap + "\", \"mem_file_path\": \"" + mem + "\"}"),
                    "create");
            first.terminate();
            first.awaitExit(BOOT);
        }
        try (EmberProcess second = EmberProcess.start("--api-sock", dir.resolve("b.sock").toString(), "--id", "pmem-b")) {
            dev.ember.api.UnixHttpClient http = second.api(dir.resolve("b.sock"));
            expect(204, http.put("/snapshot/load", "{\"snapshot_path\": \"" + snap + "\", \"mem_backend\": {\"backend_type\": \"File\","
                    + " \"backend_path\": \"" + mem + "\"}, \"resume_vm\": true}"), "load");
            String config = http.get("/vm/config").body();
            assertTrue(config.contains("\"pmem\":[{\"id\":\"pm0\",\"path_on_host\":\"" + file + "\""), config);
            second.type("x");
            assertEquals(0, second.awaitExit(BOOT), second.describe());
            assertTrue(second.stdout().contains("EMBER-TEST: PASS virtio-pmem"), second.describe());
            assertTrue(second.stdout().contains("virtio-pmem: flush: used length 4, ret 0\n"), second.describe());
        }
        byte[] onFile = Files.readAllBytes(file);
        assertArrayEquals(GUEST_LINE, Arrays.copyOfRange(onFile, 4096, 4096 + GUEST_LINE.length), "stored after the load");

        Files.write(file, new byte[4 << 20]);
        try (EmberProcess third = EmberProcess.start("--api-sock", dir.resolve("c.sock").toString(), "--id", "pmem-c")) {
            dev.ember.api.UnixHttpClient http = third.api(dir.resolve("c.sock"));
            dev.ember.api.UnixHttpClient.Response r = http.put("/snapshot/load", "{\"snapshot_path\": \"" + snap
                    + "\", \"mem_backend\": {\"backend_type\": \"File\", \"backend_path\": \"" + mem + "\"}}");
            expect(400, r, "load with a resized pmem file");
            assertTrue(r.body().contains("pmem 'pm0'") && r.body().contains("give the backing files the sizes they had"), r.body());
            assertEquals(152, third.awaitExit(BOOT), third.describe());
        }
    }

    private static void expect(int status, dev.ember.api.UnixHttpClient.Response r, String what) {
        assertEquals(status, r.status(), what + ": " + r.body());
    }

    /** cachestat(2) of the whole file: {nr_cache, nr_dirty, nr_writeback}, or null before Linux 6.5. */
    static long[] cachestat(Path path) {
        final long sysCachestat = 451; // x86_64; newer than this build host's 6.1 uapi headers
        int fd = Native.LIBC.open(path.toString(), dev.ember.sys.LibC.O_RDONLY, 0);
        assertTrue(fd >= 0, "open " + path);
        try {
            NativeMemory range = Native.allocate(16); // struct cachestat_range { __u64 off, len; }: 0, 0 = the whole file
            NativeMemory stat = Native.allocate(40);  // struct cachestat: five __u64 counters
            long rc = Native.LIBC.syscall(sysCachestat, fd, range.address(), stat.address(), 0);
            if (rc < 0) {
                return null;
            }
            assertNotNull(stat);
            return new long[] {stat.getLong(0), stat.getLong(8), stat.getLong(16)};
        } finally {
            Native.LIBC.close(fd);
        }
    }
}
