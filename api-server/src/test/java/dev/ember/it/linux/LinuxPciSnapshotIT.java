package dev.ember.it.linux;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ember.api.UnixHttpClient;
import dev.ember.it.EmberProcess;
import java.io.RandomAccessFile;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/**
 * A Linux guest whose drive is a virtio-pci function (--enable-pci) snapshotted and loaded into a
 * new --enable-pci process: after the load the guest's driver reads the drive back with its page
 * cache dropped, so the requests and their MSI-X completions go through the restored function
 * (BAR where the guest's PCI core left it, MSI-X table and routes rebuilt, the virtqueue where it
 * was). Runs in the nested tier.
 */
@GuestUserSpace
class LinuxPciSnapshotIT extends LinuxTest.UserSpace {
    private static final Duration STEP = Duration.ofMinutes(3);

    @Test
    void aLinuxGuestReadsItsPciDriveThroughTheRestoredFunction() throws Exception {
        Path snap = dir.resolve("pci.snap");
        Path mem = dir.resolve("pci.mem");
        Path disk = dir.resolve("data.img");
        try (RandomAccessFile f = new RandomAccessFile(disk.toFile(), "rw")) {
            f.setLength(8 << 20);
        }
        try (EmberProcess first = EmberProcess.start("--api-sock", dir.resolve("a.sock").toString(), "--id", "linux-pci-a", "--enable-pci")) {
            UnixHttpClient http = first.api(dir.resolve("a.sock"));
            putBootSource(http, "");
            expect(204, http.put("/machine-config", "{\"vcpu_count\": 2, \"mem_size_mib\": 128}"), "machine-config");
            expect(204, http.put("/drives/data", "{\"drive_id\": \"data\", \"path_on_host\": \"" + disk
                    + "\", \"is_root_device\": false, \"is_read_only\": false}"), "drive");
            expect(204, http.put("/actions", "{\"action_type\": \"InstanceStart\"}"), "InstanceStart");
            first.awaitStdout("EMBER-INIT: shell", LinuxTests.bootTimeout());
            first.type("dd if=/dev/urandom of=/tmp/r bs=1M count=4 2>/dev/null; dd if=/tmp/r of=/dev/vda bs=1M conv=fsync 2>/dev/null;"
                    + " md5sum /tmp/r | cut -d' ' -f1 > /tmp/sum; grep -c PCI-MSI /proc/interrupts; echo SUM-$((40+2))\n");
            first.awaitStdout("SUM-42", STEP);
            expect(204, http.patch("/vm", "{\"state\": \"Paused\"}"), "pause");
            expect(204, http.put("/snapshot/create", "{\"snapshot_path\": \"" + snap + "\", \"mem_file_path\": \"" + mem + "\"}"),
                    "create");
            first.terminate();
            first.awaitExit(STEP);
        }
        try (EmberProcess second = EmberProcess.start("--api-sock", dir.resolve("b.sock").toString(), "--id", "linux-pci-b", "--enable-pci")) {
            UnixHttpClient http = second.api(dir.resolve("b.sock"));
            expect(204, http.put("/snapshot/load", "{\"snapshot_path\": \"" + snap + "\", \"mem_backend\": {\"backend_type\": \"File\","
                    + " \"backend_path\": \"" + mem + "\"}, \"resume_vm\": true}"), "load");
            second.type("echo 3 > /proc/sys/vm/drop_caches; head -c 4194304 /dev/vda | md5sum | cut -d' ' -f1 > /tmp/sum2;"
                    + " [ \"$(cat /tmp/sum)\" = \"$(cat /tmp/sum2)\" ] && echo SAME-$((6*7)); echo DONE-$((6*7))\n");
            second.awaitStdout("DONE-42", STEP);
            assertTrue(second.stdout().contains("SAME-42"), "the 4 MiB read back through the restored function match\n" + second.describe());
            assertFalse(second.stdout().contains("EMBER-INIT: up"), "the guest carried on, it did not boot again\n" + second.describe());
            second.terminate();
            assertEquals(0, second.awaitExit(STEP), second.describe());
        }
    }
}
