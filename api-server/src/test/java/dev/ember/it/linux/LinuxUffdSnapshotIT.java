package dev.ember.it.linux;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ember.api.UnixHttpClient;
import dev.ember.it.EmberProcess;
import java.nio.file.Path;
import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * A Linux guest loaded with the Uffd memory backend through bin/ember-uffd-handler: the 16 MiB
 * of random data it held in RAM before the snapshot checks out by md5sum after the load, every
 * page of it served by the handler; its shell answers.
 */
@GuestUserSpace
class LinuxUffdSnapshotIT extends LinuxTest.UserSpace {
    private static final Duration STEP = Duration.ofMinutes(3);

    @Test
    void aLinuxGuestCarriesOnWithItsMemoryServedByTheHandler() throws Exception {
        Path snap = dir.resolve("linux.snap");
        Path mem = dir.resolve("linux.mem");
        try (EmberProcess first = EmberProcess.start("--api-sock", dir.resolve("a.sock").toString(), "--id", "linux-uffd-a")) {
            UnixHttpClient http = first.api(dir.resolve("a.sock"));
            expect(204, http.put("/boot-source", "{\"kernel_image_path\": \"" + LinuxImages.vmlinux() + "\", \"initrd_path\": \""
                    + LinuxImages.initramfs() + "\", \"boot_args\": \"" + LinuxImages.BASE_CMDLINE + "\"}"), "boot-source");
            expect(204, http.put("/machine-config", "{\"vcpu_count\": 2, \"mem_size_mib\": 128}"), "machine-config");
            expect(204, http.put("/actions", "{\"action_type\": \"InstanceStart\"}"), "InstanceStart");
            first.awaitStdout("EMBER-INIT: shell", LinuxTests.bootTimeout());
            first.type("dd if=/dev/urandom of=/tmp/r bs=1M count=16 2>/dev/null; md5sum /tmp/r > /tmp/sum; echo SUM-$((40+2))\n");
            first.awaitStdout("SUM-42", STEP);
            expect(204, http.patch("/vm", "{\"state\": \"Paused\"}"), "pause");
            expect(204, http.put("/snapshot/create", "{\"snapshot_path\": \"" + snap + "\", \"mem_file_path\": \"" + mem + "\"}"),
                    "create");
            first.terminate();
            first.awaitExit(STEP);
        }
        Path hsock = dir.resolve("h.sock");
        try (EmberProcess h = EmberProcess.startTool("ember-uffd-handler", hsock.toString(), mem.toString());
                EmberProcess second = EmberProcess.start("--api-sock", dir.resolve("b.sock").toString(), "--id", "linux-uffd-b")) {
            h.awaitStderr("listening on " + hsock, STEP);
            long[] ms = loadAndCheck(second, dir.resolve("b.sock"), snap, "Uffd", hsock);
            assertFalse(second.stdout().contains("EMBER-INIT: up"), "the guest carried on, it did not boot again\n" + second.describe());
            second.terminate();
            assertEquals(0, second.awaitExit(STEP), second.describe());
            assertEquals(0, h.awaitExit(STEP), h.describe());
            Matcher fin = Pattern.compile("the VMM has gone; served (\\d+) pages copied from the file \\(\\d+ KiB\\), (\\d+) zero pages")
                    .matcher(h.stderr());
            assertTrue(fin.find(), h.describe());
            assertTrue(Long.parseLong(fin.group(1)) >= 16 * 256, "the 16 MiB md5sum read came through the handler\n" + h.describe());
            // Figures for bench/README (not asserted): load, first answer, pages.
            System.out.printf("LinuxUffdSnapshotIT: Uffd load %d ms, shell answered %d ms after the PUT; handler: %s pages copied, %s zero%n",
                    ms[0], ms[1], fin.group(1), fin.group(2));
        }
        // The same with the File backend, for comparison (figures only): the Rss of the memory file's mapping.
        try (EmberProcess third = EmberProcess.start("--api-sock", dir.resolve("c.sock").toString(), "--id", "linux-uffd-c")) {
            long[] ms = loadAndCheck(third, dir.resolve("c.sock"), snap, "File", mem);
            long rssKib = -1;
            boolean inMapping = false;
            for (String line : java.nio.file.Files.readAllLines(Path.of("/proc/" + third.pid() + "/smaps"))) {
                if (line.contains(mem.toString())) {
                    inMapping = true;
                } else if (inMapping && line.startsWith("Rss:")) {
                    rssKib = Long.parseLong(line.replaceAll("\\D", ""));
                    break;
                }
            }
            System.out.printf("LinuxUffdSnapshotIT: File load %d ms, shell answered %d ms after the PUT; memory file mapping Rss %d KiB%n",
                    ms[0], ms[1], rssKib);
            third.terminate();
            assertEquals(0, third.awaitExit(STEP), third.describe());
        }
    }

    /**
     * Loads {@code snap} into {@code vm} with the {@code backend} at {@code path}, running; checks
     * the shell answers and the data's md5sum. Returns {PUT to 204, PUT to the shell's answer} in ms.
     */
    private static long[] loadAndCheck(EmberProcess vm, Path api, Path snap, String backend, Path path) throws Exception {
        UnixHttpClient http = vm.api(api);
        long t0 = System.nanoTime();
        expect(204, http.put("/snapshot/load", "{\"snapshot_path\": \"" + snap + "\", \"mem_backend\": {\"backend_type\": \"" + backend
                + "\", \"backend_path\": \"" + path + "\"}, \"resume_vm\": true}"), "load with " + backend);
        long loaded = System.nanoTime();
        vm.type("echo MARK-$((6*7))\n");
        vm.awaitStdout("MARK-42", STEP);
        long answered = System.nanoTime();
        vm.type("md5sum -c /tmp/sum; echo DONE-$((6*7))\n");
        vm.awaitStdout("DONE-42", STEP);
        assertTrue(vm.stdout().contains("/tmp/r: OK"), vm.describe());
        return new long[] {(loaded - t0) / 1_000_000, (answered - t0) / 1_000_000};
    }
}
